import { z } from 'zod';
import { PlatformError, type BindingCheck, type PlatformAdapter, type PublishContent } from '../adapter.ts';
import { ensureBundle } from './bundle.ts';
import { callJson, type Fetch, makeNonce, scrub, sha256Hex, textOf, trackProgress } from './open-platform.ts';

// 小红书 publishes only what a user confirms in its app: its open platform has no server-side note publishing, only
// the JS SDK share, `xhs.share({ shareInfo, verifyConfig })`, which opens the app's note editor on a web page. This
// follows the SDK's server side as Xiaohongshu's open-platform JS SDK documentation describes it:
//   1. POST {baseUrl}/api/sns/v1/ext/access/token, JSON {app_key, nonce, timestamp (ms), signature} where
//      signature = sha256hex("appKey=<app_key>&nonce=<nonce>&timeStamp=<timestamp>" + app_secret) (the three pairs in
//      key order) → {success, code, msg, data: {access_token, expires_in}};
//   2. the page's verifyConfig {appKey, nonce, timestamp, signature}: the same hash, with the access token in place
//      of the secret.
// shareInfo wants publicly reachable media URLs, and Xiaohongshu defines no share link a server could hand out. So a
// run keeps the verify config in the job's progress (`share`, for a Tollgate page that calls xhs.share) and gives the
// user the note bundle to post in the app; it never reports the note as posted.

const ACCEPTS = ['image', 'writing', 'video'] as const;
const TIMEOUT_MS = 15_000;
/** A share config closer than this to its token's end is made afresh. */
const MARGIN_MS = 10 * 60_000;
/** Xiaohongshu's default token lifetime when it does not say (24 h). */
const DEFAULT_TTL_MS = 24 * 3600_000;

const Credentials = z.strictObject({ app_key: z.string().trim().min(1), app_secret: z.string().trim().min(1) });
type Credentials = z.infer<typeof Credentials>;

const TokenAnswer = z.object({
  success: z.boolean().optional(),
  code: z.union([z.number(), z.string()]).optional(),
  msg: z.string().optional(),
  data: z.object({ access_token: z.string().min(1), expires_in: z.number().optional() }).nullish(),
});

export interface XhsShareConfig {
  appKey: string;
  nonce: string;
  timestamp: string;
  signature: string;
  /** When the access token behind the signature ends (ISO 8601). */
  expires_at: string;
}

/** The SDK's signature over appKey, nonce and timeStamp (sorted by key), keyed by `key`: the secret, or a token. */
export function xhsSignature(appKey: string, nonce: string, timestamp: string, key: string): string {
  return sha256Hex(`appKey=${appKey}&nonce=${nonce}&timeStamp=${timestamp}${key}`);
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

export function createXiaohongshuAdapter(o: { baseUrl: string; fetch?: Fetch; now?: () => Date; timeoutMs?: number }): PlatformAdapter {
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

  async function shareConfig(c: Credentials, signal: AbortSignal): Promise<XhsShareConfig> {
    const { token, expiresAt } = await accessToken(c, signal);
    const nonce = makeNonce();
    const timestamp = String(now().getTime());
    return { appKey: c.app_key, nonce, timestamp, signature: xhsSignature(c.app_key, nonce, timestamp, token), expires_at: expiresAt.toISOString() };
  }

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
      await accessToken(credentialsOf(credentials), signal);
      return {
        accountName: null,
        accountType: 'open_platform_app',
        capability: 'share',
        note: 'Xiaohongshu publishes only what you confirm in its app: Tollgate prepares each note, and you post it in the Xiaohongshu app.',
      };
    },

    refuse,

    async run(r) {
      const c = credentialsOf(r.credentials);
      const tracked = trackProgress(r);
      const content = await r.content();
      const refusal = refuse(content);
      if (refusal) throw new PlatformError('unsupported_content', refusal, false);
      const fileKey = await ensureBundle(r, tracked, async () => content, { platform: 'xiaohongshu', format: 'note' });

      const saved = tracked.progress.share as Partial<XhsShareConfig> | undefined;
      const fresh = textOf(saved?.expires_at) && Date.parse(saved?.expires_at as string) - MARGIN_MS > now().getTime();
      if (!fresh) await tracked.save({ progress: { share: await shareConfig(c, r.signal) } });
      return {
        kind: 'needs_user_action',
        action: {
          kind: 'share',
          fileKey,
          message:
            'Xiaohongshu publishes only what you confirm in its app, so this note has not been posted yet. Download the note bundle, save its pictures (or video) to your phone and post them in the Xiaohongshu app; the title and text are in title.txt and note.txt.',
        },
      };
    },
  };
}
