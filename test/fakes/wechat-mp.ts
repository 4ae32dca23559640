import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { listenLocal } from './upstream.ts';

// A stand-in for api.weixin.qq.com as an official account's publishing uses it, written from WeChat's documentation
// independently of src/: stable_token, material/add_material (type=image), media/uploadimg, draft/add, draft/batchget,
// freepublish/submit, freepublish/get, freepublish/batchget. Answers are WeChat's: HTTP 200 with `{errcode, errmsg}`
// on refusal (errmsg ending in a `rid`), the bare result on success.
//
// Tokens follow the stable token rules: a normal call answers the current token until its last 5 minutes, then issues
// a new one while the old stays valid until it expires (the 5-minute overlap); force_refresh issues a new one and the
// old fails at once (at most one forced refresh per 30 s, others answer the current token). Time is the fake's clock:
// `advance(ms)` moves it. A publish walks its status sequence one step per freepublish/get, and settles on its last
// status once `settleMs` has passed since it was submitted, polled or not.

export const FAKE_APPID = 'wx0123456789abcdef';
export const FAKE_SECRET = '0123456789abcdef0123456789abcdef';

const TOKEN_LIFE_S = 7200;
const OVERLAP_MS = 5 * 60_000;
const FORCE_GAP_MS = 30_000;
const MB = 1024 * 1024;

export interface FakeAccount {
  appid: string;
  secret: string;
  verified: boolean;
  /** Every token issued, oldest first. */
  issued: string[];
  current?: string;
  lastForcedAt?: number;
}
export interface FakeUpload { kind: 'material' | 'uploadimg'; appid: string; filename: string; contentType: string; size: number; mediaId?: string; url: string }
export interface FakeArticle { title: string; author?: string; digest?: string; content: string; thumb_media_id: string; [k: string]: unknown }
export interface FakeDraft { mediaId: string; appid: string; articles: FakeArticle[]; inBox: boolean; updateTime: number }
export interface FakePublish { publishId: string; appid: string; mediaId: string; status: number; next: number[]; submittedAt: number; articleId?: string; articleUrl?: string }
export interface FakeCall { path: string; appid?: string; body: unknown }

type Answer = Record<string, unknown>;
type Fault = number | 'drop';

const ERRMSG: Record<number, string> = {
  [-1]: 'system error', 40001: 'invalid credential, access_token is invalid or not latest', 40004: 'invalid media type',
  40002: 'invalid grant_type', 40005: 'invalid file type', 40035: 'invalid args', 40006: 'invalid file size', 40007: 'invalid media_id', 40009: 'invalid image size',
  40013: 'invalid appid', 40066: 'invalid url', 40125: 'invalid appsecret', 40164: 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist',
  41001: 'access_token missing', 41005: 'media data missing', 42001: 'access_token expired', 43002: 'require POST method',
  44003: 'empty news data', 45003: 'title size out of limit', 45002: 'content size out of limit', 45009: 'reach max api daily quota limit',
  47001: 'data format error', 48001: 'api unauthorized',
};
const refuse = (errcode: number): Answer => ({ errcode, errmsg: `${ERRMSG[errcode] ?? 'injected failure'} rid: ${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}` });
const sniff = (b: Buffer) =>
  b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) ? 'png'
  : b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff ? 'jpeg'
  : b.subarray(0, 4).toString('latin1') === 'GIF8' ? 'gif'
  : b.subarray(0, 2).toString('latin1') === 'BM' ? 'bmp' : undefined;
const newId = (n = 24) => randomBytes(n).toString('base64url');

function mediaPart(contentType: string | undefined, raw: Buffer): { filename: string; contentType: string; data: Buffer } | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!m) return undefined;
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  for (let at = raw.indexOf(delimiter); at !== -1; ) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    const next = headEnd === -1 ? -1 : raw.indexOf(delimiter, headEnd);
    if (next === -1) return undefined;
    const head = raw.subarray(at + delimiter.length + 2, headEnd).toString('utf8');
    if (/\bname="media"/.test(head)) {
      const filename = /filename="([^"]*)"/.exec(head)?.[1] ?? '';
      return { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '', data: raw.subarray(headEnd + 4, next - 2) };
    }
    at = next;
  }
  return undefined;
}

export async function startFakeWechatMp(opts: { accounts?: { appid: string; secret: string; verified?: boolean }[]; settleMs?: number; start?: Date } = {}) {
  let clock = (opts.start ?? new Date('2026-03-01T02:00:00Z')).getTime();
  const settleMs = opts.settleMs ?? 10 * 60_000;
  const accounts = new Map<string, FakeAccount>(
    (opts.accounts ?? [{ appid: FAKE_APPID, secret: FAKE_SECRET }]).map((a) => [a.appid, { appid: a.appid, secret: a.secret, verified: a.verified ?? true, issued: [] }]),
  );
  const tokens = new Map<string, { appid: string; expiresAt: number; revoked: boolean }>();
  const drafts: FakeDraft[] = [];
  const publishes: FakePublish[] = [];
  const published: { articleId: string; appid: string; url: string; articles: FakeArticle[]; deleted: boolean; updateTime: number }[] = [];
  const uploads: FakeUpload[] = [];
  const calls: FakeCall[] = [];
  const faults = new Map<string, Fault[]>();
  let outcome = [1, 0];
  let serial = 2247483000;

  function issue(acct: FakeAccount): string {
    const token = `${serial++}_${newId(60)}`;
    tokens.set(token, { appid: acct.appid, expiresAt: clock + TOKEN_LIFE_S * 1000, revoked: false });
    acct.issued.push(token);
    acct.current = token;
    return token;
  }

  function stableToken(body: Answer): Answer {
    if (body.grant_type !== 'client_credential') return refuse(40002);
    const acct = accounts.get(String(body.appid));
    if (!acct) return refuse(40013);
    if (body.secret !== acct.secret) return refuse(40125);
    const current = acct.current ? tokens.get(acct.current) : undefined;
    const force = body.force_refresh === true && (acct.lastForcedAt === undefined || clock - acct.lastForcedAt >= FORCE_GAP_MS);
    if (force) {
      acct.lastForcedAt = clock;
      if (current) current.revoked = true;
    } else if (current && !current.revoked && clock < current.expiresAt - OVERLAP_MS) {
      return { access_token: acct.current, expires_in: Math.floor((current.expiresAt - clock) / 1000) };
    }
    return { access_token: issue(acct), expires_in: TOKEN_LIFE_S };
  }

  function settle(p: FakePublish, status: number) {
    p.status = status;
    if (status !== 0 && status !== 5 && status !== 6) return;
    const draft = drafts.find((d) => d.mediaId === p.mediaId) as FakeDraft;
    draft.inBox = false; // a published draft leaves the draft box
    p.articleId = newId(30);
    p.articleUrl = `https://mp.weixin.qq.com/s?__biz=${newId(9)}&mid=${serial++}&idx=1&sn=${randomBytes(16).toString('hex')}#rd`;
    published.unshift({ articleId: p.articleId, appid: p.appid, url: p.articleUrl, articles: draft.articles, deleted: status !== 0, updateTime: Math.floor(clock / 1000) });
  }

  function upload(kind: FakeUpload['kind'], appid: string, part: ReturnType<typeof mediaPart>, query: URLSearchParams): Answer {
    if (kind === 'material' && query.get('type') !== 'image') return refuse(40004);
    if (!part) return refuse(41005);
    if (part.data.length === 0) return refuse(40006);
    const type = sniff(part.data);
    const allowed = kind === 'material' ? ['png', 'jpeg', 'gif', 'bmp'] : ['png', 'jpeg'];
    if (!type || !allowed.includes(type)) return refuse(40005);
    if (kind === 'material' ? part.data.length > 10 * MB : part.data.length >= MB) return refuse(40009);
    const url = `http://mmbiz.qpic.cn/mmbiz_${type === 'jpeg' ? 'jpg' : type}/${newId(40)}/0?wx_fmt=${type}`;
    const mediaId = kind === 'material' ? newId(32) : undefined;
    uploads.push({ kind, appid, filename: part.filename, contentType: part.contentType, size: part.data.length, mediaId, url });
    return kind === 'material' ? { media_id: mediaId, url, item: [] } : { url };
  }

  /** WeChat drops every body image it did not host; a cover must be this account's permanent material. */
  function addDraft(appid: string, body: Answer): Answer {
    const articles = Array.isArray(body.articles) ? (body.articles as FakeArticle[]) : [];
    if (articles.length === 0 || articles.some((a) => !a.title || !a.content)) return refuse(44003);
    if (articles.some((a) => Array.from(a.title).length > 64)) return refuse(45003);
    if (articles.some((a) => a.content.length >= 20_000)) return refuse(45002);
    const ours = uploads.filter((u) => u.appid === appid);
    if (articles.some((a) => !ours.some((u) => u.mediaId !== undefined && u.mediaId === a.thumb_media_id))) return refuse(40007);
    const hosted = (src: string) => ours.some((u) => u.url === src.replace(/&amp;/g, '&'));
    const kept = articles.map((a) => ({ ...a, content: a.content.replace(/<img\b[^>]*\bsrc="([^"]*)"[^>]*>/g, (tag, src: string) => (hosted(src) ? tag : '')) }));
    const draft: FakeDraft = { mediaId: newId(32), appid, articles: kept, inBox: true, updateTime: Math.floor(clock / 1000) };
    drafts.push(draft);
    return { media_id: draft.mediaId };
  }

  function page<T>(items: T[], body: Answer): { slice: T[]; head: Answer } | { refused: Answer } {
    const offset = Number(body.offset ?? 0);
    const count = Number(body.count ?? 0);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 1 || count > 20) return { refused: refuse(40035) };
    const slice = items.slice(offset, offset + count);
    return { slice, head: { total_count: items.length, item_count: slice.length } };
  }
  const newsItems = (articles: FakeArticle[], noContent: boolean, extra: Answer = {}) =>
    articles.map((a) => ({ ...a, ...(noContent ? { content: undefined } : {}), thumb_url: uploads.find((u) => u.mediaId === a.thumb_media_id)?.url, ...extra }));

  function endpoint(path: string, appid: string, body: Answer, part: ReturnType<typeof mediaPart>, query: URLSearchParams): Answer {
    const acct = accounts.get(appid) as FakeAccount;
    const noContent = body.no_content === 1;
    switch (path) {
      case '/cgi-bin/material/add_material': return upload('material', appid, part, query);
      case '/cgi-bin/media/uploadimg': return upload('uploadimg', appid, part, query);
      case '/cgi-bin/draft/add': return addDraft(appid, body);
      case '/cgi-bin/draft/batchget': {
        const p = page([...drafts].reverse().filter((d) => d.appid === appid && d.inBox), body);
        if ('refused' in p) return p.refused;
        return { ...p.head, item: p.slice.map((d) => ({ media_id: d.mediaId, content: { news_item: newsItems(d.articles, noContent) }, update_time: d.updateTime })) };
      }
      case '/cgi-bin/freepublish/submit': {
        const draft = drafts.find((d) => d.appid === appid && d.inBox && d.mediaId === body.media_id);
        if (!draft) return refuse(40007);
        if (!acct.verified) return refuse(48001);
        const [first, ...next] = outcome;
        const p: FakePublish = { publishId: String(serial++), appid, mediaId: draft.mediaId, status: 1, next, submittedAt: clock };
        publishes.push(p);
        settle(p, first ?? 0);
        return { errcode: 0, errmsg: 'ok', publish_id: p.publishId, msg_data_id: serial++ };
      }
      case '/cgi-bin/freepublish/get': {
        const p = publishes.find((x) => x.appid === appid && x.publishId === String(body.publish_id));
        if (!p) return refuse(40007);
        const answer: Answer = { publish_id: p.publishId, publish_status: p.status, fail_idx: [2, 3, 4].includes(p.status) ? [1] : [] };
        if (p.articleId) Object.assign(answer, { article_id: p.articleId, article_detail: { count: 1, item: [{ idx: 1, article_url: p.articleUrl }] } });
        const step = p.next.shift();
        if (step !== undefined) settle(p, step);
        return answer;
      }
      case '/cgi-bin/freepublish/batchget': {
        const p = page(published.filter((a) => a.appid === appid), body);
        if ('refused' in p) return p.refused;
        return { ...p.head, item: p.slice.map((a) => ({ article_id: a.articleId, content: { news_item: newsItems(a.articles, noContent, { url: a.url, is_deleted: a.deleted }) }, update_time: a.updateTime })) };
      }
      default: return refuse(40066);
    }
  }

  function answer(path: string, query: URLSearchParams, contentType: string | undefined, raw: Buffer): Answer {
    let body: Answer = {};
    const part = contentType?.startsWith('multipart/form-data') ? mediaPart(contentType, raw) : undefined;
    if (!part && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Answer;
      } catch {
        return refuse(47001);
      }
    }
    if (path === '/cgi-bin/stable_token') {
      calls.push({ path, appid: String(body.appid), body: { ...body, secret: '(hidden)' } });
      return stableToken(body);
    }
    const token = query.get('access_token');
    const held = token ? tokens.get(token) : undefined;
    calls.push({ path, appid: held?.appid, body: part ? { media: { filename: part.filename, contentType: part.contentType, size: part.data.length } } : body });
    if (!token) return refuse(41001);
    if (!held || held.revoked) return refuse(40001);
    if (clock >= held.expiresAt) return refuse(42001);
    return endpoint(path, held.appid, body, part, query);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const fault = faults.get(url.pathname)?.shift();
      const send = (a: Answer) => {
        res.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' });
        res.end(JSON.stringify(a));
      };
      if (req.method !== 'POST') return send(refuse(43002));
      if (typeof fault === 'number') {
        calls.push({ path: url.pathname, body: { injected: fault } });
        return send(refuse(fault));
      }
      const a = answer(url.pathname, url.searchParams, req.headers['content-type'], Buffer.concat(chunks));
      // "It happened but we never heard": the work is done, the answer is lost.
      if (fault === 'drop') return void res.socket?.destroy();
      send(a);
    });
  });
  const listening = await listenLocal(server);

  return {
    baseUrl: listening.url,
    accounts, drafts, publishes, uploads, calls,
    /** The next call to `path` answers `errcode` without doing anything, or does its work and drops the connection. */
    failNext(path: string, fault: Fault) {
      faults.set(path, [...(faults.get(path) ?? []), fault]);
    },
    setVerified(appid: string, verified: boolean) {
      (accounts.get(appid) as FakeAccount).verified = verified;
    },
    /** The publish_status sequence of the next submissions (default 1 then 0). */
    setPublishOutcome(sequence: number[]) {
      outcome = [...sequence];
    },
    now: () => new Date(clock),
    advance(ms: number) {
      clock += ms;
      for (const p of publishes) {
        const last = p.next.at(-1);
        if (last !== undefined && clock - p.submittedAt >= settleMs) {
          p.next = [];
          settle(p, last);
        }
      }
    },
    close: listening.close,
  };
}

export type FakeWechatMp = Awaited<ReturnType<typeof startFakeWechatMp>>;
