import { z } from 'zod';
import { PlatformError, type BindingCheck, type PlatformAdapter, type PublishContent } from '../adapter.ts';
import { ensureBundle, extensionOf } from './bundle.ts';
import { callJson, type Fetch, makeNonce, md5Hex, scrub, sha256Hex, textOf, trackProgress } from './open-platform.ts';

// 抖音 publishes only what a user confirms in its app. This follows the Douyin open platform's "发布内容至抖音 H5
// 场景" (H5 share) as documented at developer.open-douyin.com:
//   1. POST {baseUrl}/oauth/client_token/ JSON {client_key, client_secret, grant_type: "client_credential"}
//      → {data: {access_token, expires_in, error_code, description}, message};
//   2. GET {baseUrl}/open/getticket/ with header `access-token: <client_token>` → {data: {ticket, expires_in,
//      error_code, description}, extra}; a new ticket ends the previous one (after a 5-minute grace), so tickets are
//      kept per app for their lifetime rather than fetched per job;
//   3. the share schema snssdk1128://openplatform/share?share_type=h5&client_key&nonce_str&timestamp (s)&signature
//      &state&title&video_path|image_path&share_to_publish, with signature = md5hex("nonce_str=…&ticket=…&timestamp=…").
// The user opens the schema (a QR code scanned with the Douyin app) and confirms the post there; `state` carries the
// job id. Douyin fetches the media itself, so the file is stored and its public URL comes from `mediaUrl`.

const ACCEPTS = ['video', 'image'] as const;
const TIMEOUT_MS = 15_000;
/** A ticket (or a share made with it) closer than this to its end is not handed out again. */
const MARGIN_MS = 5 * 60_000;
/** Douyin's "system busy" codes: worth trying again. */
const BUSY = new Set([2100004, -1]);
/** Client key or secret refused (10003: no such client_key; 10013: key and secret do not match). */
const CREDENTIALS_REFUSED = new Set([10002, 10003, 10013]);

const Credentials = z.strictObject({ client_key: z.string().trim().min(1), client_secret: z.string().trim().min(1) });
type Credentials = z.infer<typeof Credentials>;

const Answer = z.object({
  data: z.looseObject({
    error_code: z.coerce.number().default(0),
    description: z.string().optional(),
    access_token: z.string().optional(),
    ticket: z.string().optional(),
    expires_in: z.coerce.number().optional(),
  }),
});

interface Ticket {
  ticket: string;
  expiresAt: number;
}

/** The share schema's signature, as the H5 share documentation defines it. */
export function douyinSignature(nonce: string, ticket: string, timestamp: string): string {
  return md5Hex(`nonce_str=${nonce}&ticket=${ticket}&timestamp=${timestamp}`);
}

function refuse(content: PublishContent): string | null {
  if (!(ACCEPTS as readonly string[]).includes(content.type)) return 'Douyin takes videos and images; this creation cannot be shared there.';
  if (content.type === 'video' && !content.video) return 'This video creation has no video file to share.';
  if (content.type === 'image' && content.images.length === 0) return 'This image creation has no image to share.';
  return null;
}

function credentialsOf(raw: Record<string, string>): Credentials {
  const parsed = Credentials.safeParse(raw);
  if (!parsed.success) throw new PlatformError('credentials', 'The saved Douyin client_key / client_secret are incomplete: bind Douyin again.', false);
  return parsed.data;
}

function refusal(code: number, said: string, step: 'client_token' | 'ticket'): PlatformError {
  if (BUSY.has(code)) return new PlatformError(String(code), `Douyin is busy (${said}); it will be tried again.`, true);
  const advice = CREDENTIALS_REFUSED.has(code)
    ? 'Check client_key and client_secret in the Douyin open platform (应用详情), then bind again.'
    : step === 'ticket'
      ? 'Make sure the app has the 发布内容至抖音 H5 share (h5.share) and 获取 openTicket (open.get.ticket) abilities in the Douyin open platform.'
      : 'Check the app in the Douyin open platform, then bind again.';
  return new PlatformError(String(code), `Douyin refused the ${step === 'ticket' ? 'share ticket' : 'app credentials'} (${said}). ${advice}`, false);
}

export function createDouyinAdapter(o: {
  baseUrl: string;
  /** A publicly reachable URL of a stored file, working until `until`: Douyin downloads the video or image from it. */
  mediaUrl: (fileKey: string, until: Date) => string;
  fetch?: Fetch;
  now?: () => Date;
  timeoutMs?: number;
}): PlatformAdapter {
  const root = o.baseUrl.replace(/\/+$/, '');
  const fetchFn = o.fetch ?? fetch;
  const now = o.now ?? (() => new Date());
  // Keyed by a hash of key and secret: a ticket is handed out only to the credentials that earned it.
  const tickets = new Map<string, Ticket>();

  async function call(step: 'client_token' | 'ticket', url: string, init: RequestInit, secrets: string[], signal?: AbortSignal) {
    const { status, body } = await callJson(fetchFn, url, init, { platform: 'Douyin', secrets, timeoutMs: o.timeoutMs ?? TIMEOUT_MS, signal });
    if (status >= 500) throw new PlatformError(`http_${status}`, `Douyin answered HTTP ${status}; it will be tried again.`, true);
    const parsed = Answer.safeParse(body);
    if (!parsed.success) throw new PlatformError('invalid_response', `Douyin answered HTTP ${status} with an unexpected ${step} body.`, false);
    const d = parsed.data.data;
    if (d.error_code !== 0) throw refusal(d.error_code, scrub(d.description || 'no description', secrets), step);
    return d;
  }

  async function ticketFor(c: Credentials, signal?: AbortSignal): Promise<Ticket> {
    const cacheKey = sha256Hex(`${c.client_key}\u0000${c.client_secret}`);
    const cached = tickets.get(cacheKey);
    if (cached && cached.expiresAt - MARGIN_MS > now().getTime()) return cached;
    const token = await call(
      'client_token',
      `${root}/oauth/client_token/`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ client_key: c.client_key, client_secret: c.client_secret, grant_type: 'client_credential' }),
      },
      [c.client_secret],
      signal,
    );
    if (!token.access_token) throw new PlatformError('invalid_response', 'Douyin answered the client token call without a token.', false);
    const at = now().getTime();
    const t = await call('ticket', `${root}/open/getticket/`, { headers: { 'access-token': token.access_token, accept: 'application/json' } }, [c.client_secret, token.access_token], signal);
    if (!t.ticket) throw new PlatformError('invalid_response', 'Douyin answered the ticket call without a ticket.', false);
    const ticket = { ticket: t.ticket, expiresAt: at + (t.expires_in ?? 7200) * 1000 };
    tickets.set(cacheKey, ticket);
    return ticket;
  }

  return {
    platform: 'douyin',
    label: '抖音',
    capability: 'share',
    accepts: ACCEPTS,
    credentialFields: [
      { name: 'client_key', label: 'Client Key（抖音开放平台应用）', secret: false },
      { name: 'client_secret', label: 'Client Secret', secret: true },
    ],
    credentials: Credentials as unknown as z.ZodType<Record<string, string>>,

    async verify(credentials, signal): Promise<BindingCheck> {
      await ticketFor(credentialsOf(credentials), signal);
      return {
        accountName: null,
        accountType: 'open_platform_app',
        capability: 'share',
        note: 'Douyin publishes only what you confirm in its app: Tollgate makes a share code for each post, and you scan it with Douyin and confirm.',
      };
    },

    refuse,

    async run(r) {
      const c = credentialsOf(r.credentials);
      const tracked = trackProgress(r);
      const { progress } = tracked;
      const savedUntil = textOf(progress.share_expires_at);
      let shareUrl = textOf(progress.share_url);
      let expiresAt = savedUntil;
      let fileKey = textOf(progress.bundle_key);

      if (!shareUrl || !fileKey || !savedUntil || Date.parse(savedUntil) - MARGIN_MS <= now().getTime()) {
        const content = await r.content();
        const refused = refuse(content);
        if (refused) throw new PlatformError('unsupported_content', refused, false);
        fileKey = await ensureBundle(r, tracked, async () => content, { platform: 'douyin', format: 'note' });
        const media = content.video ?? content.images[0] ?? content.cover;
        if (!media) throw new PlatformError('unsupported_content', 'There is no video or image to share to Douyin.', false);
        let mediaKey = textOf(progress.media_key);
        if (!mediaKey) {
          const kind = content.video ? 'video' : 'image';
          mediaKey = await r.storeFile(`douyin-${kind}.${extensionOf(media)}`, media.contentType, await media.bytes());
          await tracked.save({ progress: { media_key: mediaKey } });
        }

        const ticket = await ticketFor(c, r.signal);
        const nonce = makeNonce();
        const timestamp = String(Math.floor(now().getTime() / 1000));
        const params = new URLSearchParams({
          share_type: 'h5',
          client_key: c.client_key,
          nonce_str: nonce,
          timestamp,
          signature: douyinSignature(nonce, ticket.ticket, timestamp),
          state: String(r.jobId),
          title: content.title,
          [content.video ? 'video_path' : 'image_path']: o.mediaUrl(mediaKey, new Date(ticket.expiresAt)),
          // Straight to the publish page works for a single video only; an image goes through the editor.
          share_to_publish: content.video ? '1' : '0',
        });
        shareUrl = `snssdk1128://openplatform/share?${params.toString()}`;
        expiresAt = new Date(ticket.expiresAt).toISOString();
        await tracked.save({ progress: { share_url: shareUrl, share_expires_at: expiresAt } });
      }

      return {
        kind: 'needs_user_action',
        action: {
          kind: 'share',
          shareUrl,
          fileKey,
          expiresAt,
          message:
            'Douyin publishes only what you confirm in its app, so this has not been posted yet. Scan the code with the Douyin app (or open the link on your phone) and confirm the post before the code expires; the bundle has the same files if you would rather post by hand.',
        },
      };
    },
  };
}
