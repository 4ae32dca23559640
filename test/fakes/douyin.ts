import { createHash, randomBytes } from 'node:crypto';
import { type FakeUpstream, sendJson, startFakeServer } from './upstream.ts';

// A fake Douyin open platform (open.douyin.com) for the H5 share, speaking the documented wire format:
//   POST /oauth/client_token/  JSON {client_key, client_secret, grant_type: "client_credential"}
//        → {data: {access_token: "clt.…", expires_in, error_code: 0, description: ""}, message: "success"}
//   GET  /open/getticket/      header access-token → {data: {ticket, expires_in, error_code: 0, description}, extra}
// Errors come with HTTP 200 and a non-zero data.error_code: 10003 unknown client_key, 10013 wrong secret, 10002 bad
// parameters, 2190008 expired client token (its description quotes the token, as leaky upstreams do), 2100004 busy.
// Tokens and tickets last `ttlSeconds` by the fake's clock; a new ticket leaves the app's previous one working for five
// more minutes, then it is dead, as Douyin documents.
//
// `openShare(url)` is the Douyin app: it takes a snssdk1128://openplatform/share link, recomputes the md5 signature
// over nonce_str, the app's live tickets and timestamp, and refuses a link whose signature matches none of them.

export interface ShareCheck {
  ok: boolean;
  reason?: 'not_a_share' | 'unknown_client' | 'signature' | 'no_media';
  params?: Record<string, string>;
}

export interface FakeDouyin extends FakeUpstream {
  /** The next call to `path` answers this error_code. */
  failNext(path: string, errorCode: number): void;
  /** How many client-token and ticket calls arrived. */
  calls: { clientToken: number; ticket: number };
  openShare(url: string): ShareCheck;
}

const GRACE_MS = 5 * 60_000;
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export async function startFakeDouyin(opts: { apps: Record<string, string>; now?: () => Date; ttlSeconds?: number }): Promise<FakeDouyin> {
  const now = () => (opts.now ?? (() => new Date()))().getTime();
  const ttl = opts.ttlSeconds ?? 7200;
  const tokens = new Map<string, { clientKey: string; until: number }>();
  // Per app, newest first: { ticket, until } where `until` is cut to now + grace when a newer ticket is issued.
  const tickets = new Map<string, { ticket: string; until: number }[]>();
  const faults = new Map<string, number[]>();
  const extra = () => ({ logid: randomBytes(8).toString('hex').toUpperCase(), now: now() });
  const error = (error_code: number, description: string) => ({ data: { error_code, description }, extra: { ...extra(), error_code, description } });
  const calls = { clientToken: 0, ticket: 0 };

  const server = await startFakeServer((req, res) => {
    const fault = faults.get(req.path)?.shift();
    if (fault !== undefined) return sendJson(res, 200, error(fault, 'injected failure'));
    if (req.method === 'POST' && req.path === '/oauth/client_token/') {
      calls.clientToken += 1;
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (b.grant_type !== 'client_credential' || typeof b.client_key !== 'string') return sendJson(res, 200, error(10002, '参数错误'));
      if (!(b.client_key in opts.apps)) return sendJson(res, 200, error(10003, 'client_key不存在'));
      if (opts.apps[b.client_key] !== b.client_secret) return sendJson(res, 200, error(10013, 'client_key或者client_secret报错'));
      const access_token = `clt.${randomBytes(24).toString('hex')}`;
      tokens.set(access_token, { clientKey: b.client_key, until: now() + ttl * 1000 });
      return sendJson(res, 200, { data: { access_token, description: '', error_code: 0, expires_in: ttl }, message: 'success' });
    }
    if (req.method === 'GET' && req.path === '/open/getticket/') {
      calls.ticket += 1;
      const presented = String(req.headers['access-token'] ?? '');
      const t = tokens.get(presented);
      if (!t || t.until <= now()) return sendJson(res, 200, error(2190008, `access_token ${presented} 已过期`));
      const ticket = `@${randomBytes(32).toString('base64')}`;
      const live = (tickets.get(t.clientKey) ?? []).map((old) => ({ ...old, until: Math.min(old.until, now() + GRACE_MS) }));
      tickets.set(t.clientKey, [{ ticket, until: now() + ttl * 1000 }, ...live]);
      const ok = { error_code: 0, description: '' };
      return sendJson(res, 200, { data: { ticket, expires_in: ttl, ...ok }, extra: { ...extra(), ...ok, sub_error_code: 0, sub_description: '' } });
    }
    sendJson(res, 404, error(2100005, 'Parameter error'));
  });

  function openShare(url: string): ShareCheck {
    if (!url.startsWith('snssdk1128://openplatform/share?')) return { ok: false, reason: 'not_a_share' };
    const params = Object.fromEntries(new URL(url).searchParams);
    if (params.share_type !== 'h5') return { ok: false, reason: 'not_a_share' };
    const clientKey = params.client_key ?? '';
    if (!(clientKey in opts.apps) || !tickets.has(clientKey)) return { ok: false, reason: 'unknown_client' };
    const live = (tickets.get(clientKey) ?? []).filter((t) => t.until > now());
    const signed = live.some((t) => md5(`nonce_str=${params.nonce_str}&ticket=${t.ticket}&timestamp=${params.timestamp}`) === params.signature);
    if (!signed) return { ok: false, reason: 'signature' };
    if (!params.video_path && !params.image_path) return { ok: false, reason: 'no_media' };
    return { ok: true, params };
  }

  return Object.assign(server, {
    calls,
    failNext: (path: string, errorCode: number) => void faults.set(path, [...(faults.get(path) ?? []), errorCode]),
    openShare,
  });
}
