import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { PlatformError, type BindingCheck, type PlatformAdapter, type PublishAsset, type PublishContent, type PublishRun } from '../adapter.ts';
import { ensureBundle, extensionOf, noteText } from './bundle.ts';
import { callJson, type Fetch, makeNonce, scrub, sha256Hex, textOf, trackProgress, type TrackedProgress } from './open-platform.ts';

// 小红书 publishes only what a user confirms in its app: its open platform has no server-side note publishing, only
// the JS SDK share, `xhs.share({ shareInfo, verifyConfig, fail })`, which a web page on the phone calls to open the
// app's note editor with the note filled in. This follows the SDK's server side as Xiaohongshu's open-platform JS SDK
// documentation describes it:
//   1. POST {baseUrl}/api/sns/v1/ext/access/token, JSON {app_key, nonce, timestamp (ms), signature} where
//      signature = sha256hex("appKey=<app_key>&nonce=<nonce>&timeStamp=<timestamp>" + app_secret) (the three pairs in
//      key order) → {success, code, msg, data: {access_token, expires_in}};
//   2. the page's verifyConfig {appKey, nonce, timestamp, signature}: the same hash, with the access token in place
//      of the secret.
// shareInfo wants publicly reachable media URLs, so a run stores the note's pictures (or video and cover) as files of
// the job, keeps the note and a signed verify config in the job's progress, and hands the user a link to Tollgate's
// share page (`share_url`, a QR code in the console) whose random token is stored with the job: the page's API
// (share.routes.ts) answers the note and a verify config, re-signed here when it is close to its end. The note
// bundle stays as the fallback. Tollgate never reports the note as posted: the user says so.

const ACCEPTS = ['image', 'writing', 'video'] as const;
const TIMEOUT_MS = 15_000;
/** A share config closer than this to its token's end is made afresh. */
export const MARGIN_MS = 10 * 60_000;
/** Xiaohongshu's default token lifetime when it does not say (24 h). */
const DEFAULT_TTL_MS = 24 * 3600_000;
/** The console's share page for the phone (web/src/App.tsx): `<PUBLIC_BASE_URL>/share/xiaohongshu/<token>`. */
export const XHS_SHARE_PAGE = '/share/xiaohongshu';

const Credentials = z.strictObject({ app_key: z.string().trim().min(1), app_secret: z.string().trim().min(1) });
type Credentials = z.infer<typeof Credentials>;

const TokenAnswer = z.object({
  success: z.boolean().optional(),
  code: z.union([z.number(), z.string()]).optional(),
  msg: z.string().optional(),
  data: z.object({ access_token: z.string().min(1), expires_in: z.number().optional() }).nullish(),
});

export const XhsShareConfig = z.object({
  appKey: z.string(),
  nonce: z.string(),
  timestamp: z.string(),
  signature: z.string(),
  /** When the access token behind the signature ends (ISO 8601). */
  expires_at: z.string(),
});
export type XhsShareConfig = z.infer<typeof XhsShareConfig>;

/** The note as shareInfo wants it, its media as file-store keys of the job (the page's API makes them public URLs). */
export const XhsShareNote = z.object({
  type: z.enum(['normal', 'video']),
  title: z.string(),
  content: z.string(),
  images: z.array(z.string()),
  video: z.string().optional(),
  cover: z.string().optional(),
});
export type XhsShareNote = z.infer<typeof XhsShareNote>;

/** The SDK's signature over appKey, nonce and timeStamp (sorted by key), keyed by `key`: the secret, or a token. */
export function xhsSignature(appKey: string, nonce: string, timestamp: string, key: string): string {
  return sha256Hex(`appKey=${appKey}&nonce=${nonce}&timeStamp=${timestamp}${key}`);
}

// A share token is `<job id>.<32 random bytes>`: the id finds the job by its key, the random part is the capability.
const SHARE_TOKEN = /^([1-9]\d{0,15})\.[A-Za-z0-9_-]{43}$/;
const makeShareToken = (jobId: number) => `${jobId}.${randomBytes(32).toString('base64url')}`;

/** The job a share token names, or undefined when the text is not a share token. */
export function shareTokenJob(token: string): number | undefined {
  const id = Number(SHARE_TOKEN.exec(token)?.[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** Whether `given` is the token stored with the job, compared in constant time. */
export function shareTokenMatches(stored: unknown, given: string): boolean {
  return typeof stored === 'string' && timingSafeEqual(Buffer.from(sha256Hex(stored)), Buffer.from(sha256Hex(given)));
}

function refuse(content: PublishContent): string | null {
  if (!(ACCEPTS as readonly string[]).includes(content.type)) return 'Xiaohongshu takes images, notes and videos; this creation cannot be posted there.';
  if (content.type === 'video' && !content.video) return 'This video creation has no video file to post.';
  if (content.images.length === 0 && !content.video) return 'a Xiaohongshu note needs at least one image or a video';
  return null;
}

function credentialsOf(raw: Record<string, string>): Credentials {
  const parsed = Credentials.safeParse(raw);
  if (!parsed.success) throw new PlatformError('credentials', 'The saved Xiaohongshu app_key / app_secret are incomplete: bind Xiaohongshu again.', false);
  return parsed.data;
}

/** Access tokens and the verify configs signed with them: for the adapter's runs and for the share page's API. */
export function createXhsShareSigner(o: { baseUrl: string; fetch?: Fetch; now?: () => Date; timeoutMs?: number }) {
  const root = o.baseUrl.replace(/\/+$/, '');
  const fetchFn = o.fetch ?? fetch;
  const now = o.now ?? (() => new Date());

  async function accessToken(c: Credentials, signal?: AbortSignal): Promise<{ token: string; expiresAt: Date }> {
    const nonce = makeNonce();
    const at = now().getTime();
    const body = { app_key: c.app_key, nonce, timestamp: at, signature: xhsSignature(c.app_key, nonce, String(at), c.app_secret) };
    const secrets = [c.app_secret];
    const { status, body: answer } = await callJson(
      fetchFn,
      `${root}/api/sns/v1/ext/access/token`,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) },
      { platform: 'Xiaohongshu', secrets, timeoutMs: o.timeoutMs ?? TIMEOUT_MS, signal },
    );
    if (status >= 500) throw new PlatformError(`http_${status}`, `Xiaohongshu answered HTTP ${status}; it will be tried again.`, true);
    const parsed = TokenAnswer.safeParse(answer);
    const token = parsed.success ? parsed.data.data?.access_token : undefined;
    if (!parsed.success || parsed.data.success === false || !token) {
      const code = parsed.success && parsed.data.code !== undefined ? String(parsed.data.code) : 'token_refused';
      const said = parsed.success && parsed.data.msg ? ` (${scrub(parsed.data.msg, secrets)})` : '';
      throw new PlatformError(
        code,
        `Xiaohongshu refused the app's key or secret${said}. Check app_key and app_secret in the Xiaohongshu open platform (应用管理) and that the app may use the JS share SDK, then bind again.`,
        false,
      );
    }
    // Xiaohongshu documents expires_in as the moment the token ends, in ms; a small number is read as seconds left.
    const expires = parsed.data.data?.expires_in;
    const expiresAt = expires === undefined ? at + DEFAULT_TTL_MS : expires > 1e12 ? expires : at + expires * 1000;
    return { token, expiresAt: new Date(expiresAt) };
  }

  async function shareConfig(c: Credentials, signal?: AbortSignal): Promise<XhsShareConfig> {
    const { token, expiresAt } = await accessToken(c, signal);
    const nonce = makeNonce();
    const timestamp = String(now().getTime());
    return { appKey: c.app_key, nonce, timestamp, signature: xhsSignature(c.app_key, nonce, timestamp, token), expires_at: expiresAt.toISOString() };
  }

  return {
    /** Checks the app's key and secret by fetching a token; throws PlatformError when Xiaohongshu refuses them. */
    async verify(credentials: Record<string, string>, signal?: AbortSignal): Promise<void> {
      await accessToken(credentialsOf(credentials), signal);
    },
    /** `saved` while it has more than MARGIN_MS left, else a config signed afresh (one token call): `renewed` says which. */
    async current(credentials: Record<string, string>, saved: unknown, signal?: AbortSignal): Promise<{ config: XhsShareConfig; renewed: boolean }> {
      const kept = XhsShareConfig.safeParse(saved);
      if (kept.success && Date.parse(kept.data.expires_at) - MARGIN_MS > now().getTime()) return { config: kept.data, renewed: false };
      return { config: await shareConfig(credentialsOf(credentials), signal), renewed: true };
    },
  };
}

export type XhsShareSigner = ReturnType<typeof createXhsShareSigner>;

/**
 * The note's media stored as the job's files, once: a note's pictures in order, or a video and its cover. Saved at
 * once as `share_note`, so a run that comes back stores nothing again.
 */
async function ensureNote(r: PublishRun, tracked: TrackedProgress, content: PublishContent): Promise<XhsShareNote> {
  const saved = XhsShareNote.safeParse(tracked.progress.share_note);
  if (saved.success) return saved.data;
  const store = async (name: string, asset: PublishAsset) => r.storeFile(`xiaohongshu-${name}.${extensionOf(asset)}`, asset.contentType, await asset.bytes());
  const text = { title: content.title, content: noteText(content.html) };
  let note: XhsShareNote;
  if (content.video) {
    const video = await store('video', content.video);
    note = { ...text, type: 'video', images: [], video, ...(content.cover ? { cover: await store('cover', content.cover) } : {}) };
  } else {
    const images: string[] = [];
    for (const [i, image] of content.images.entries()) images.push(await store(`image-${String(i + 1).padStart(2, '0')}`, image));
    note = { ...text, type: 'normal', images };
  }
  await tracked.save({ progress: { share_note: note } });
  return note;
}

export function createXiaohongshuAdapter(o: {
  baseUrl: string;
  /** Where the console is reached from a phone (PUBLIC_BASE_URL): the share page's link starts with it. */
  publicBaseUrl: string;
  fetch?: Fetch;
  now?: () => Date;
  timeoutMs?: number;
}): PlatformAdapter {
  const signer = createXhsShareSigner(o);
  const sharePage = `${o.publicBaseUrl.replace(/\/+$/, '')}${XHS_SHARE_PAGE}`;

  return {
    platform: 'xiaohongshu',
    label: '小红书',
    capability: 'share',
    accepts: ACCEPTS,
    credentialFields: [
      { name: 'app_key', label: 'App Key（小红书开放平台应用）', secret: false },
      { name: 'app_secret', label: 'App Secret', secret: true },
    ],
    credentials: Credentials as unknown as z.ZodType<Record<string, string>>,

    async verify(credentials, signal): Promise<BindingCheck> {
      await signer.verify(credentials, signal);
      return {
        accountName: null,
        accountType: 'open_platform_app',
        capability: 'share',
        note: 'Xiaohongshu publishes only what you confirm in its app: Tollgate prepares each note, and you open it in the Xiaohongshu app from your phone.',
      };
    },

    refuse,

    async run(r) {
      credentialsOf(r.credentials);
      const tracked = trackProgress(r);
      const content = await r.content();
      const refusal = refuse(content);
      if (refusal) throw new PlatformError('unsupported_content', refusal, false);
      const fileKey = await ensureBundle(r, tracked, async () => content, { platform: 'xiaohongshu', format: 'note' });
      await ensureNote(r, tracked, content);
      // Signed here too, so that refused credentials fail the job in the console rather than on the phone.
      const { config, renewed } = await signer.current(r.credentials, tracked.progress.share, r.signal);
      if (renewed) await tracked.save({ progress: { share: config } });
      let token = textOf(tracked.progress.share_token);
      if (!token) {
        token = makeShareToken(r.jobId);
        await tracked.save({ progress: { share_token: token } });
      }
      return {
        kind: 'needs_user_action',
        action: {
          kind: 'share',
          shareUrl: `${sharePage}/${token}`,
          fileKey,
          message:
            'Xiaohongshu publishes only what you confirm in its app, so this note has not been posted yet. Scan the code with your phone: the page opens the Xiaohongshu app with the note filled in, and you post it there. The note bundle has the same pictures (or video) and text if you would rather post by hand.',
        },
      };
    },
  };
}
