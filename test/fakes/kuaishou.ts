import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { listenLocal } from './upstream.ts';

// A fake Kuaishou open platform (open.kuaishou.com) and its upload gateway, on one 127.0.0.1 server, speaking the
// documented wire format: every answer is JSON with `result` (1 = success, else the error code) and `error_msg`;
// app_id and access_token travel in the query string.
//   GET  /openapi/user_info                      → {user_info: {name, …}}
//   POST /openapi/photo/start_upload             → {upload_token, endpoint} (endpoint = this server's host:port)
//   POST /api/upload?upload_token                → the whole video as the body
//   POST /api/upload/fragment?upload_token&fragment_id, POST /api/upload/complete?upload_token&fragment_count
//   POST /openapi/photo/publish?upload_token     → multipart caption + cover; {video_info: {photo_id, play_url, pending}}
//   GET  /openapi/photo/info?photo_id            → {video_info}
//   GET  /oauth2/refresh_token?app_id&app_secret&refresh_token&grant_type=refresh_token → a new pair; the old refresh
//        token stops working, as Kuaishou's documentation says.
//   GET  /oauth2/authorize?app_id&scope&response_type=code&ua&redirect_uri&state → the user's consent page, answered
//        at once as `consent` says: 302 to redirect_uri with `code` (single-use, 2 minutes) and `state`, or with the
//        state alone (declined).
//   GET  /oauth2/access_token?app_id&app_secret&code&grant_type=authorization_code → {access_token, expires_in,
//        refresh_token, refresh_token_expires_in, open_id, scopes}
// Codes: 100200102 unknown token (its error_msg quotes the token, as leaky upstreams do), 100200108 expired token,
// 100200101 wrong app, 100200103 wrong response_type, 100200104 wrong grant_type, 100200105 unknown or spent code,
// 100200113 spent refresh token, 120001 no such photo, 120002 video not (fully) uploaded, 100400 bad parameters.
// Raw bodies are kept as bytes: the video a test uploads is the video the fake holds.

type Fault = number | 'drop';
type Answer = Record<string, unknown>;

interface Upload {
  bytes?: Buffer;
  fragments: Map<number, Buffer>;
}

export interface FakePhoto {
  photoId: string;
  caption: string;
  cover: Buffer;
  video: Buffer;
  pendingPolls: number;
}

export interface FakeKuaishou {
  url: string;
  app: { app_id: string; app_secret: string };
  /** Every request, in order (path and method; no bodies). */
  requests: { method: string; path: string }[];
  /** Photos created by publish calls: its size is the number of posts on the account. */
  photos: FakePhoto[];
  /** Issues a user authorisation (what /oauth2/access_token would answer). */
  grant(): { access_token: string; refresh_token: string };
  /** Makes an access token expired (answers 100200108 from then on). */
  expire(accessToken: string): void;
  /** The next request to `path` answers `result: code` without doing anything, or does its work and drops the connection. */
  failNext(path: string, fault: Fault): void;
  /** Videos published from now on stay `pending` for this many info polls. */
  pendingPolls: number;
  /** What the user does on the authorise page: approve (granting `scopes`, default: what was asked) or decline. */
  consent: { approve: boolean; scopes?: string[] };
  /** Authorisation codes issued by the authorise page, in order (what the browser carried back). */
  codes: string[];
  close(): Promise<void>;
}

const token = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;
const CODE_TTL_MS = 2 * 60_000;
const refusal = (result: number, error_msg: string): Answer => ({ result, error_msg });

export async function startFakeKuaishou(): Promise<FakeKuaishou> {
  const app = { app_id: `ks${randomBytes(8).toString('hex')}`, app_secret: token('') };
  const access = new Map<string, { expired: boolean }>();
  const refresh = new Set<string>();
  const uploads = new Map<string, Upload>();
  const codes = new Map<string, { scopes: string[]; until: number }>();
  const faults = new Map<string, Fault[]>();
  let host = '';

  const fake = {
    url: '',
    app,
    requests: [] as { method: string; path: string }[],
    photos: [] as FakePhoto[],
    pendingPolls: 0,
    consent: { approve: true } as FakeKuaishou['consent'],
    codes: [] as string[],
    grant() {
      const pair = { access_token: token('ChFvYXV0aC5hY2Nlc3NUb2tlbh'), refresh_token: token('ChJvYXV0aC5yZWZyZXNoVG9rZW4') };
      access.set(pair.access_token, { expired: false });
      refresh.add(pair.refresh_token);
      return pair;
    },
    expire(accessToken: string) {
      const t = access.get(accessToken);
      if (t) t.expired = true;
    },
    failNext(path: string, fault: Fault) {
      faults.set(path, [...(faults.get(path) ?? []), fault]);
    },
  };

  function authorise(q: URLSearchParams): Answer | undefined {
    if (q.get('app_id') !== app.app_id) return refusal(100200101, 'invalid client');
    const t = q.get('access_token') ?? '';
    const known = access.get(t);
    if (!known) return refusal(100200102, `access_token ${t} is invalid`);
    if (known.expired) return refusal(100200108, 'access_token expired');
    return undefined;
  }

  async function publish(q: URLSearchParams, headers: http.IncomingHttpHeaders, raw: Buffer): Promise<Answer> {
    const upload = uploads.get(q.get('upload_token') ?? '');
    if (!upload?.bytes) return refusal(120002, '视频未上传成功');
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': String(headers['content-type']) }, body: new Uint8Array(raw) }).formData();
    const caption = form.get('caption');
    const cover = form.get('cover');
    if (typeof caption !== 'string' || !(cover instanceof Blob) || cover.size === 0) return refusal(100400, 'caption and cover are required');
    const photo: FakePhoto = { photoId: randomBytes(8).toString('hex'), caption, cover: Buffer.from(await cover.arrayBuffer()), video: upload.bytes, pendingPolls: fake.pendingPolls };
    fake.photos.push(photo);
    uploads.delete(q.get('upload_token') ?? '');
    return { result: 1, video_info: videoInfo(photo) };
  }

  function videoInfo(p: FakePhoto) {
    return {
      photo_id: p.photoId,
      caption: p.caption,
      cover: `https://p1.a.yximgs.com/upic/${p.photoId}.jpg`,
      play_url: `https://www.kuaishou.com/short-video/${p.photoId}`,
      create_time: Date.now(),
      like_count: 0,
      comment_count: 0,
      view_count: 0,
      pending: p.pendingPolls > 0,
    };
  }

  function fragments(q: URLSearchParams, raw: Buffer, complete: boolean): Answer {
    const upload = uploads.get(q.get('upload_token') ?? '');
    if (!upload) return refusal(100400, 'invalid upload_token');
    if (!complete) {
      upload.fragments.set(Number(q.get('fragment_id')), raw);
      return { result: 1 };
    }
    const count = Number(q.get('fragment_count'));
    const parts = Array.from({ length: count }, (_, i) => upload.fragments.get(i));
    if (count < 1 || parts.some((p) => !p)) return refusal(100400, 'fragments missing');
    upload.bytes = Buffer.concat(parts as Buffer[]);
    return { result: 1 };
  }

  function renew(q: URLSearchParams): Answer {
    if (q.get('app_id') !== app.app_id || q.get('app_secret') !== app.app_secret) return refusal(100200101, 'invalid client');
    if (q.get('grant_type') !== 'refresh_token') return refusal(100200104, 'unsupported grant_type');
    const old = q.get('refresh_token') ?? '';
    if (!refresh.delete(old)) return refusal(100200113, 'refresh_token expired');
    const pair = fake.grant();
    return { result: 1, ...pair, expires_in: 172800, refresh_token_expires_in: 15552000, scopes: ['user_info', 'user_video_publish'] };
  }

  /** The consent page: a redirect back to the app, or a refusal of the request itself as JSON. */
  function consentPage(q: URLSearchParams): { redirect: string } | Answer {
    if (q.get('app_id') !== app.app_id) return refusal(100200101, 'invalid client');
    if (q.get('response_type') !== 'code') return refusal(100200103, 'unsupported response_type');
    const back = URL.canParse(q.get('redirect_uri') ?? '') ? new URL(q.get('redirect_uri') as string) : undefined;
    if (!back || !/^https?:$/.test(back.protocol)) return refusal(100200100, 'invalid redirect_uri');
    const asked = (q.get('scope') ?? '').split(',').filter(Boolean);
    if (fake.consent.approve) {
      const code = token('');
      codes.set(code, { scopes: fake.consent.scopes ?? asked, until: Date.now() + CODE_TTL_MS });
      fake.codes.push(code);
      back.searchParams.set('code', code);
    }
    if (q.has('state')) back.searchParams.set('state', q.get('state') as string);
    return { redirect: back.toString() };
  }

  function exchange(q: URLSearchParams): Answer {
    if (q.get('app_id') !== app.app_id || q.get('app_secret') !== app.app_secret) return refusal(100200101, 'invalid client');
    if (q.get('grant_type') !== 'authorization_code') return refusal(100200104, 'unsupported grant_type');
    const code = q.get('code') ?? '';
    const issued = codes.get(code);
    codes.delete(code);
    if (!issued || issued.until < Date.now()) return { ...refusal(100200105, `code ${code} is invalid`), error: 'invalid_grant' };
    const pair = fake.grant();
    return { result: 1, ...pair, expires_in: 172800, refresh_token_expires_in: 15552000, open_id: `f${randomBytes(8).toString('hex')}`, scopes: issued.scopes };
  }

  async function route(method: string, path: string, q: URLSearchParams, headers: http.IncomingHttpHeaders, raw: Buffer): Promise<Answer> {
    if (method === 'GET' && path === '/oauth2/refresh_token') return renew(q);
    if (method === 'GET' && path === '/oauth2/access_token') return exchange(q);
    if (method === 'POST' && path === '/api/upload') {
      const upload = uploads.get(q.get('upload_token') ?? '');
      if (!upload) return refusal(100400, 'invalid upload_token');
      upload.bytes = raw;
      return { result: 1 };
    }
    if (method === 'POST' && path === '/api/upload/fragment') return fragments(q, raw, false);
    if (method === 'POST' && path === '/api/upload/complete') return fragments(q, raw, true);
    const denied = authorise(q);
    if (denied) return denied;
    if (method === 'GET' && path === '/openapi/user_info') {
      return { result: 1, user_info: { name: '快手测试号', sex: 'F', fans: 12, follow: 3, head: 'https://p2.a.yximgs.com/uhead/a.jpg', city: '' } };
    }
    if (method === 'POST' && path === '/openapi/photo/start_upload') {
      const uploadToken = randomBytes(12).toString('hex');
      uploads.set(uploadToken, { fragments: new Map() });
      return { result: 1, upload_token: uploadToken, endpoint: host };
    }
    if (method === 'POST' && path === '/openapi/photo/publish') return publish(q, headers, raw);
    if (method === 'GET' && path === '/openapi/photo/info') {
      const photo = fake.photos.find((p) => p.photoId === q.get('photo_id'));
      if (!photo) return refusal(120001, '视频不存在');
      if (photo.pendingPolls > 0) photo.pendingPolls -= 1;
      return { result: 1, video_info: videoInfo(photo) };
    }
    return refusal(100400, `no such api: ${method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      fake.requests.push({ method, path: url.pathname });
      const fault = faults.get(url.pathname)?.shift();
      if (typeof fault === 'number') return send(res, refusal(fault, 'injected failure'));
      if (method === 'GET' && url.pathname === '/oauth2/authorize') {
        const page = consentPage(url.searchParams);
        if (typeof page.redirect !== 'string') return send(res, page, 400);
        res.writeHead(302, { location: page.redirect });
        return void res.end();
      }
      route(method, url.pathname, url.searchParams, req.headers, Buffer.concat(chunks))
        .then((answer) => (fault === 'drop' ? res.socket?.destroy() : send(res, answer)))
        .catch((err: Error) => send(res, refusal(100200500, `fake crashed: ${err.message}`), 500));
    });
  });
  const listening = await listenLocal(server);
  host = listening.url.replace(/^http:\/\//, '');
  return Object.assign(fake, listening);
}

function send(res: http.ServerResponse, body: Answer, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}
