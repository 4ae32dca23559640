import { createHash, randomBytes } from 'node:crypto';
import { type FakeUpstream, sendJson, startFakeServer } from './upstream.ts';

// A fake Xiaohongshu open platform (edith.xiaohongshu.com) for the JS SDK share, as its documentation describes it:
//   POST /api/sns/v1/ext/access/token  JSON {app_key, nonce, timestamp (ms), signature}
//        signature = sha256hex("appKey=<app_key>&nonce=<nonce>&timeStamp=<timestamp>" + app_secret)
//        → {success: true, code: 0, msg, data: {access_token, expires_in (the moment it ends, ms)}}
// A refusal is {success: false, code, msg, data: null}. Xiaohongshu does not publish its codes; the fake uses
// -1 for an unknown app_key, -2 for a wrong signature (its msg echoes the signature it was sent) and -3 for a stale
// timestamp (more than 5 minutes off).
//
// `checkShare(config)` is the JS SDK: it recomputes a page's verifyConfig signature over one of the app's live access
// tokens, as xhs.share does before it opens the app.

export interface FakeXiaohongshu extends FakeUpstream {
  /** Access tokens handed out. */
  tokens: { appKey: string; token: string; until: number }[];
  checkShare(config: { appKey?: unknown; nonce?: unknown; timestamp?: unknown; signature?: unknown }): boolean;
}

const SKEW_MS = 5 * 60_000;
const sign = (appKey: string, nonce: string, timestamp: string, key: string) =>
  createHash('sha256').update(`appKey=${appKey}&nonce=${nonce}&timeStamp=${timestamp}${key}`, 'utf8').digest('hex');

export async function startFakeXiaohongshu(opts: { apps: Record<string, string>; now?: () => Date; ttlMs?: number }): Promise<FakeXiaohongshu> {
  const now = () => (opts.now ?? (() => new Date()))().getTime();
  const tokens: FakeXiaohongshu['tokens'] = [];
  const refuse = (code: number, msg: string) => ({ success: false, code, msg, data: null });

  const server = await startFakeServer((req, res) => {
    if (req.method !== 'POST' || req.path !== '/api/sns/v1/ext/access/token') return sendJson(res, 404, refuse(404, 'not found'));
    const b = (req.body ?? {}) as Record<string, unknown>;
    const appKey = String(b.app_key ?? '');
    const secret = opts.apps[appKey];
    if (secret === undefined) return sendJson(res, 200, refuse(-1, `app_key ${appKey} 不存在`));
    const timestamp = String(b.timestamp ?? '');
    if (b.signature !== sign(appKey, String(b.nonce ?? ''), timestamp, secret)) {
      return sendJson(res, 200, refuse(-2, `签名验证失败: signature=${String(b.signature)}`));
    }
    if (Math.abs(Number(timestamp) - now()) > SKEW_MS) return sendJson(res, 200, refuse(-3, 'timestamp 已过期'));
    const entry = { appKey, token: `${randomBytes(24).toString('base64url')}`, until: now() + (opts.ttlMs ?? 24 * 3600_000) };
    tokens.push(entry);
    sendJson(res, 200, { success: true, code: 0, msg: '成功', data: { access_token: entry.token, expires_in: entry.until } });
  });

  function checkShare(c: { appKey?: unknown; nonce?: unknown; timestamp?: unknown; signature?: unknown }): boolean {
    return tokens.some(
      (t) => t.appKey === c.appKey && t.until > now() && sign(t.appKey, String(c.nonce), String(c.timestamp), t.token) === c.signature,
    );
  }

  return Object.assign(server, { tokens, checkShare });
}
