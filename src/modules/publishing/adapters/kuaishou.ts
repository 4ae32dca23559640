import { z } from 'zod';
import { PlatformError, type BindingCheck, type Outcome, type PlatformAdapter, type PublishAsset, type PublishContent } from '../adapter.ts';
import { extensionOf } from './bundle.ts';
import { BUSY, kuaishouCall, type KuaishouApp, type KuaishouEndpoint, kuaishouTokens, OK } from './kuaishou-token.ts';
import { type Fetch, textOf, trackProgress, type TrackedProgress } from './open-platform.ts';

// 快手 by its open platform (open.kuaishou.com, 内容管理 → 创建视频), for a user who authorised the app with the
// user_video_publish scope: POST /openapi/photo/start_upload → {upload_token, endpoint}; the video to
// http://{endpoint}/api/upload (one body, under 10 MB) or /api/upload/fragment + /api/upload/complete; then POST
// /openapi/photo/publish (multipart: caption, cover) → {video_info: {photo_id, play_url, pending}}. Every answer has
// `result` (1 = success, otherwise the error code, with `error_msg`); tokens travel in the query string. An expired
// access token (100200108) is refreshed once at GET /oauth2/refresh_token when the binding has a refresh token.
//
// Publishing is the one step that must never happen twice: `publish_requested` is saved before the call, and a run
// that finds it without a photo_id did not hear back — the video may be on Kuaishou — so it asks the user to look
// instead of publishing again. An explicit refusal (result ≠ 1) means nothing was published, and clears the marker.
//
// A refresh hands out a new refresh token and retires the old one: the new pair is stored in the binding at once
// (`updateCredentials`), so the next expiry can be renewed again.
//
// A binding holds the app its tokens belong to (app_id, app_secret: the manual bind, the user's own app), or only the
// tokens (the OAuth authorisation, kuaishou-oauth.ts): those belong to the operator's app (KUAISHOU_APP_ID), whose
// secret stays in the configuration and is read at each run, so rotating it needs no binding changed.

const ACCEPTS = ['video'] as const;
const TIMEOUT_MS = 20_000;
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
/** Bodies up to this size go in one upload (Kuaishou: under 10 MB); bigger ones in fragments of this size. */
const CHUNK_BYTES = 8 * 1024 * 1024;
const PENDING_RETRY_SECONDS = 60;

const TOKEN_EXPIRED = 100200108;
/** The user's authorisation is gone (invalid token, cancelled, expired, never given, refresh token expired). */
const BIND_AGAIN = new Set([100200102, 100200109, 100200110, 100200111, 100200113]);
const ADVICE: Record<number, string> = {
  100200100: 'Kuaishou refused the request as malformed; this is a Tollgate problem — try again later or contact support.',
  100200101: 'Kuaishou does not recognise the app: check app_id and app_secret in the Kuaishou open platform, then bind again.',
  100200108: 'The Kuaishou authorisation has expired and could not be renewed: bind Kuaishou again.',
  100200106: 'The authorisation lacks the video publishing permission (user_video_publish): bind Kuaishou again and allow publishing.',
  100200500: 'Kuaishou had an internal error; it will be tried again.',
  100400: 'Kuaishou refused the video\'s details (caption or cover): change them and publish again.',
  120001: 'Kuaishou no longer has this video (it was deleted or did not pass review): check your works in the Kuaishou app.',
  120002: 'Kuaishou did not receive the whole video: publish again to upload it afresh.',
  120003: 'Kuaishou could not publish the video (it may break its content rules): check the video, then publish again.',
};

const Credentials = z
  .strictObject({
    app_id: z.string().trim().min(1).optional(),
    app_secret: z.string().trim().min(1).optional(),
    access_token: z.string().trim().min(1),
    refresh_token: z.string().trim().min(1).optional(),
    /** The Kuaishou user who authorised (the OAuth flow records it). */
    open_id: z.string().trim().min(1).optional(),
  })
  .refine((c) => (c.app_id === undefined) === (c.app_secret === undefined), { message: 'app_id and app_secret go together', path: ['app_secret'] });

interface Credentials {
  app: KuaishouApp;
  access_token: string;
  refresh_token?: string;
}
const StartAnswer = z.object({ upload_token: z.string().min(1), endpoint: z.string().min(1) });
const VideoInfo = z.object({ photo_id: z.coerce.string().min(1), play_url: z.string().optional(), pending: z.boolean().optional() });
const VideoAnswer = z.object({ video_info: VideoInfo });
const UserAnswer = z.object({ user_info: z.object({ name: z.string().optional() }) });

type Query = Record<string, string>;

function refuse(content: PublishContent): string | null {
  if (content.type !== 'video' || !content.video) return 'Kuaishou takes videos only; this creation has no video to publish.';
  if (!content.cover) return 'A Kuaishou video needs a cover image: choose a cover for it, then publish.';
  return null;
}

function credentialsOf(raw: Record<string, string>, operatorApp: KuaishouApp | undefined): Credentials {
  const parsed = Credentials.safeParse(raw);
  if (!parsed.success) throw new PlatformError('credentials', 'The saved Kuaishou authorisation is incomplete: bind Kuaishou again.', false);
  const c = parsed.data;
  const app = c.app_id && c.app_secret ? { appId: c.app_id, appSecret: c.app_secret } : operatorApp;
  if (!app) {
    throw new PlatformError('credentials', 'This Kuaishou authorisation was given to the server\'s Kuaishou app, which is no longer set up: bind Kuaishou with your own app\'s credentials.', false);
  }
  return { app, access_token: c.access_token, ...(c.refresh_token ? { refresh_token: c.refresh_token } : {}) };
}

function kuaishouError(result: number, said: string): PlatformError {
  const advice = BIND_AGAIN.has(result)
    ? 'Kuaishou no longer accepts this authorisation: bind Kuaishou again.'
    : (ADVICE[result] ?? 'Check the post and the binding, then publish again.');
  return new PlatformError(String(result), `Kuaishou refused the request (${result}: ${said}). ${advice}`, BUSY.has(result));
}

/** Calls for one binding; a refreshed access token replaces the stored one for the rest of this run. */
function kuaishouSession(
  o: KuaishouEndpoint,
  c: Credentials,
  signal?: AbortSignal,
  onRenewed?: (patch: Record<string, string>) => Promise<void>,
) {
  let accessToken = c.access_token;
  let refreshed = false;
  const secrets = () => [c.app.appSecret, c.access_token, c.refresh_token, accessToken];
  const send = (url: string, init: RequestInit, timeoutMs = o.timeoutMs) => kuaishouCall(o, url, init, { secrets: secrets(), signal, timeoutMs });

  async function refresh(): Promise<void> {
    if (!c.refresh_token) throw kuaishouError(TOKEN_EXPIRED, 'access_token expired');
    refreshed = true;
    const a = await kuaishouTokens(o, c.app, { grant_type: 'refresh_token', refresh_token: c.refresh_token }, signal);
    if (!a.ok) {
      throw new PlatformError(String(a.result), `Kuaishou would not renew the expired authorisation (${a.result}: ${a.said}). Bind Kuaishou again.`, BUSY.has(a.result));
    }
    accessToken = a.tokens.access_token;
    await onRenewed?.({ access_token: accessToken, ...(a.tokens.refresh_token ? { refresh_token: a.tokens.refresh_token } : {}) });
  }

  /** An open-API call with the user's token; an expired token is refreshed once and the call made again. */
  async function api<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, extra: Query = {}, body?: () => BodyInit): Promise<T> {
    for (;;) {
      const query = new URLSearchParams({ app_id: c.app.appId, access_token: accessToken, ...extra });
      const a = await send(`${o.root}${path}?${query}`, { method, body: body?.(), headers: { accept: 'application/json' } });
      if (a.result === TOKEN_EXPIRED && !refreshed) {
        await refresh();
        continue;
      }
      if (a.result !== OK) throw kuaishouError(a.result, a.said);
      const parsed = schema.safeParse(a.body);
      if (!parsed.success) throw new PlatformError('invalid_response', `Kuaishou answered ${path} without the fields it documents.`, false);
      return parsed.data;
    }
  }

  /** A call to the upload gateway Kuaishou named (plain http, as its documentation gives it). */
  async function upload(endpoint: string, path: string, query: Query, body?: Buffer, contentType?: string): Promise<void> {
    const base = /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/+$/, '') : `http://${endpoint}`;
    // A copy into a plain ArrayBuffer: what fetch's body typing takes (a Buffer may sit on a shared pool).
    const init: RequestInit = { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, ...(body ? { body: new Uint8Array(body) } : {}) };
    const a = await send(`${base}${path}?${new URLSearchParams(query)}`, init, UPLOAD_TIMEOUT_MS);
    if (a.result !== OK) throw kuaishouError(a.result, a.said);
  }

  return { api, upload };
}

type Session = ReturnType<typeof kuaishouSession>;

async function uploadVideo(s: Session, endpoint: string, token: string, video: PublishAsset, chunkBytes: number): Promise<void> {
  const bytes = await video.bytes();
  if (bytes.length <= chunkBytes) return s.upload(endpoint, '/api/upload', { upload_token: token }, bytes, video.contentType);
  const count = Math.ceil(bytes.length / chunkBytes);
  for (let i = 0; i < count; i += 1) {
    const part = bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes);
    await s.upload(endpoint, '/api/upload/fragment', { upload_token: token, fragment_id: String(i) }, part, video.contentType);
  }
  await s.upload(endpoint, '/api/upload/complete', { upload_token: token, fragment_count: String(count) });
}

function outcomeOf(info: z.infer<typeof VideoInfo>): Outcome {
  if (info.pending) return { kind: 'pending', retryAfterSeconds: PENDING_RETRY_SECONDS };
  return { kind: 'published', ...(info.play_url ? { url: info.play_url } : {}) };
}

async function publish(s: Session, t: TrackedProgress, content: PublishContent, uploadToken: string): Promise<Outcome> {
  const cover = content.cover as PublishAsset;
  const coverBytes = await cover.bytes();
  const caption = content.summary && content.summary !== content.title ? `${content.title} ${content.summary}` : content.title;
  const form = () => {
    const f = new FormData();
    f.append('caption', caption);
    f.append('cover', new Blob([new Uint8Array(coverBytes)], { type: cover.contentType }), `cover.${extensionOf(cover)}`);
    return f;
  };
  await t.save({ state: 'submitted', progress: { publish_requested: true } });
  let answer: z.infer<typeof VideoAnswer>;
  try {
    answer = await s.api('POST', '/openapi/photo/publish', VideoAnswer, { upload_token: uploadToken }, form);
  } catch (err) {
    // Kuaishou answered with a refusal: nothing was published, and trying again is safe.
    if (err instanceof PlatformError && /^\d+$/.test(err.code)) {
      const reupload = err.code === '120002' ? { upload_token: null, endpoint: null, uploaded: false } : {};
      await t.save({ progress: { publish_requested: false, ...reupload } });
    }
    throw err;
  }
  await t.save({ progress: { photo_id: answer.video_info.photo_id } });
  return outcomeOf(answer.video_info);
}

/** The open platform at `baseUrl` (open.kuaishou.com, or a fake in tests). */
export function kuaishouEndpoint(o: { baseUrl: string; fetch?: Fetch; timeoutMs?: number }): KuaishouEndpoint {
  return { root: o.baseUrl.replace(/\/+$/, ''), fetchFn: o.fetch ?? fetch, timeoutMs: o.timeoutMs ?? TIMEOUT_MS };
}

/** `app` is the operator's app (KUAISHOU_APP_ID), for bindings made by authorising it (they hold tokens only). */
export function createKuaishouAdapter(o: { baseUrl: string; app?: KuaishouApp; fetch?: Fetch; timeoutMs?: number; chunkBytes?: number }): PlatformAdapter {
  const deps = kuaishouEndpoint(o);
  const chunkBytes = o.chunkBytes ?? CHUNK_BYTES;

  return {
    platform: 'kuaishou',
    label: '快手',
    capability: 'api_publish',
    accepts: ACCEPTS,
    credentialFields: [
      { name: 'app_id', label: 'App ID（快手开放平台应用）', secret: false },
      { name: 'app_secret', label: 'App Secret', secret: true },
      { name: 'access_token', label: 'Access Token（用户授权）', secret: true },
      { name: 'refresh_token', label: 'Refresh Token（可选）', secret: true, optional: true },
    ],
    credentials: Credentials as unknown as z.ZodType<Record<string, string>>,

    async verify(credentials, signal): Promise<BindingCheck> {
      let renewed: Record<string, string> | undefined;
      const s = kuaishouSession(deps, credentialsOf(credentials, o.app), signal, async (patch) => {
        renewed = { ...renewed, ...patch };
      });
      const { user_info } = await s.api('GET', '/openapi/user_info', UserAnswer);
      return {
        accountName: user_info.name ?? null,
        accountType: 'creator',
        capability: 'api_publish',
        note: 'Tollgate publishes videos to this Kuaishou account through the open platform (it needs the user_video_publish permission).',
        ...(renewed ? { renewed } : {}),
      };
    },

    refuse,

    async run(r) {
      const s = kuaishouSession(deps, credentialsOf(r.credentials, o.app), r.signal, r.updateCredentials);
      const t = trackProgress(r);
      const { progress } = t;

      const photoId = textOf(progress.photo_id);
      if (photoId) return outcomeOf((await s.api('GET', '/openapi/photo/info', VideoAnswer, { photo_id: photoId })).video_info);
      if (progress.publish_requested === true) {
        return {
          kind: 'needs_user_action',
          action: {
            kind: 'check_backend',
            message:
              'Tollgate asked Kuaishou to publish this video but never heard back, so it may already be on your account. Look at your works in the Kuaishou app before publishing it again.',
          },
        };
      }

      const content = await r.content();
      const refused = refuse(content);
      if (refused) throw new PlatformError('unsupported_content', refused, false);

      let uploadToken = textOf(progress.upload_token);
      let endpoint = textOf(progress.endpoint);
      if (!uploadToken || !endpoint) {
        ({ upload_token: uploadToken, endpoint } = await s.api('POST', '/openapi/photo/start_upload', StartAnswer));
        await t.save({ state: 'uploading_assets', progress: { upload_token: uploadToken, endpoint, uploaded: false } });
      }
      if (progress.uploaded !== true) {
        await uploadVideo(s, endpoint, uploadToken, content.video as PublishAsset, chunkBytes);
        await t.save({ progress: { uploaded: true } });
      }
      return publish(s, t, content, uploadToken);
    },
  };
}
