import { createHash } from 'node:crypto';
import { z } from 'zod';
import { scrubSecrets } from '../../../platform/redact.ts';
import { systemClock, type Clock } from '../../../platform/time.ts';
import { PlatformError, type PublishAsset } from '../adapter.ts';

// The WeChat official account API (api.weixin.qq.com) as publishing needs it: a stable access token, permanent image
// material (the cover), body images, drafts, and free publishing. WeChat reports errors as `{errcode, errmsg}` with
// HTTP 200; every non-zero errcode becomes a PlatformError whose message says what WeChat said and what to do.
//
// The access token travels in the query string, so no URL ever goes into an error: a failed fetch is reported by its
// socket error code only, and WeChat's own text is scrubbed of the token and the secret before anyone sees it.

export interface WechatCredentials {
  appId: string;
  appSecret: string;
}

export interface Article {
  title: string;
  author?: string;
  digest: string;
  content: string;
  thumbMediaId: string;
}

export interface PublishStatus {
  publishStatus: number;
  articleId?: string;
  articleUrl?: string;
}

/** Tokens that WeChat no longer takes: refresh once and try the call again. */
const TOKEN_REFUSED = new Set([40001, 40014, 42001]);
/** Errcodes worth trying again later: system busy, quota and per-minute limits. */
const RETRYABLE = new Set([-1, 45009, 45011]);
/** What a user can do about an errcode. */
const ADVICE: Record<number, string> = {
  [-1]: 'WeChat is busy; it will be tried again.',
  40001: 'Check the AppSecret (设置与开发 → 基本配置), and that no other system force-refreshes this account\'s access token.',
  40013: 'Check the AppID / AppSecret: the AppID is not one WeChat knows (设置与开发 → 基本配置).',
  40125: 'Check the AppID / AppSecret: WeChat did not accept the AppSecret (reset it in 设置与开发 → 基本配置 if unsure).',
  40164: "Add the server's IP address to the official account's IP whitelist (设置与开发 → 基本配置 → IP白名单), then try again.",
  40005: 'Use a JPG or PNG image (the cover may also be GIF or BMP).',
  40006: 'The image file is empty or damaged: choose another image.',
  40007: 'The uploaded cover or draft is no longer on WeChat: publish it again.',
  40009: 'Use a smaller image (the cover at most 10 MB, images inside the article under 1 MB).',
  45009: "The official account's daily API quota is used up; it will be tried again later.",
  45011: 'Too many calls this minute; it will be tried again shortly.',
  48001: 'This account is not verified for publishing by API (认证): publish the draft in the official account backend.',
  53503: 'The draft did not pass WeChat\'s publishing check: open it in the official account backend to see why.',
  53504: 'Open the draft in the official account backend (草稿箱) and publish it there.',
  53505: 'Open the draft in the official account backend, save it once by hand, then publish it.',
};

const MARGIN_MS = 5 * 60_000;
const PAGE = 20;
const MAX_PAGES = 50;
const BODY_IMAGE_MAX = 1024 * 1024;
const COVER_MAX = 10 * 1024 * 1024;
const COVER_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/bmp'];
const BODY_TYPES = ['image/jpeg', 'image/png'];
const EXTENSION: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/bmp': 'bmp' };

const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });
const MaterialAnswer = z.object({ media_id: z.string().min(1), url: z.string() });
const UrlAnswer = z.object({ url: z.string().min(1) });
const MediaAnswer = z.object({ media_id: z.string().min(1) });
const id = z.union([z.string(), z.number()]).transform(String);
const SubmitAnswer = z.object({ publish_id: id });
const StatusAnswer = z.object({
  publish_status: z.number(),
  article_id: z.string().optional(),
  article_detail: z.object({ item: z.array(z.object({ article_url: z.string().optional() })).optional() }).optional(),
});
const NewsItem = z.object({ thumb_media_id: z.string().optional(), url: z.string().optional(), is_deleted: z.boolean().optional() });
const Page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ total_count: z.number(), item_count: z.number(), item: z.array(item).default([]) });
const DraftPage = Page(z.object({ media_id: z.string(), content: z.object({ news_item: z.array(NewsItem).default([]) }) }));
const PublishedPage = Page(z.object({ article_id: z.string(), content: z.object({ news_item: z.array(NewsItem).default([]) }) }));

type Answer = Record<string, unknown>;
interface Request {
  json?: unknown;
  form?: () => Promise<FormData>;
  query?: string;
}

/** Image type the asset really is, by its content type or else its name. */
function imageType(asset: PublishAsset): string {
  const type = asset.contentType.toLowerCase().replace('image/jpg', 'image/jpeg');
  if (type.startsWith('image/')) return type;
  const ext = /\.(\w+)$/.exec(asset.name)?.[1]?.toLowerCase();
  return ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : `image/${ext ?? 'unknown'}`;
}

/** Refuses, before anything is sent, an image WeChat would refuse. */
export function checkImage(asset: PublishAsset, role: 'cover' | 'body'): void {
  const [types, max] = role === 'cover' ? [COVER_TYPES, COVER_MAX] : [BODY_TYPES, BODY_IMAGE_MAX];
  const what = role === 'cover' ? `The cover image ${asset.name}` : `The image ${asset.name}`;
  if (!types.includes(imageType(asset))) {
    const allowed = role === 'cover' ? 'JPG, PNG, GIF or BMP' : 'JPG or PNG';
    throw new PlatformError(`${role}_image_type`, `${what} is ${asset.contentType}: WeChat takes only ${allowed} here. Convert it and publish again.`, false);
  }
  if (role === 'cover' ? asset.size > max : asset.size >= max) {
    const limit = role === 'cover' ? 'at most 10 MB' : 'under 1 MB';
    throw new PlatformError(`${role}_image_size`, `${what} is ${(asset.size / 1024 / 1024).toFixed(1)} MB: WeChat takes images ${limit} here. Use a smaller image and publish again.`, false);
  }
}

function transportError(err: unknown, signal: AbortSignal): PlatformError {
  if (signal.aborted) return new PlatformError('timeout', 'WeChat did not answer in time; it will be tried again.', true);
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return new PlatformError('network', `WeChat could not be reached${code}; it will be tried again.`, true);
}

export function createWechatClient(deps: { baseUrl: string; fetch?: typeof fetch; clock?: Clock; timeoutMs?: number }) {
  const root = deps.baseUrl.replace(/\/+$/, '');
  const fetchFn = deps.fetch ?? fetch;
  const clock = deps.clock ?? systemClock;
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const tokens = new Map<string, { token: string; freshUntil: number }>();
  const inflight = new Map<string, Promise<string>>();

  // The secret is part of the key so that a changed secret for the same AppID is checked again, not served from cache.
  const keyOf = (cred: WechatCredentials) => `${cred.appId}:${createHash('sha256').update(cred.appSecret).digest('hex').slice(0, 16)}`;

  function refusal(answer: Answer, hide: string[]): PlatformError {
    const errcode = Number(answer.errcode);
    const said = scrubSecrets(typeof answer.errmsg === 'string' ? answer.errmsg : '', hide, { marker: '***', withheld: '(details withheld: they quoted a credential)' });
    const advice = ADVICE[errcode] ?? 'Check the official account backend, then try again.';
    return new PlatformError(String(errcode), `WeChat said "${said.slice(0, 200)}" (errcode ${errcode}). ${advice}`, RETRYABLE.has(errcode));
  }

  async function post(path: string, req: Request, signal?: AbortSignal): Promise<Answer> {
    const limit = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
    // Built before the try: a stored file that cannot be read is not WeChat being unreachable.
    const body = req.form ? await req.form() : JSON.stringify(req.json);
    const headers = req.form ? undefined : { 'content-type': 'application/json' };
    let res: Response;
    let text: string;
    try {
      res = await fetchFn(`${root}${path}${req.query ?? ''}`, { method: 'POST', headers, body, signal: limit });
      text = await res.text();
    } catch (err) {
      throw transportError(err, limit);
    }
    if (res.status >= 500) throw new PlatformError(`http_${res.status}`, `WeChat answered HTTP ${res.status}; it will be tried again.`, true);
    try {
      const answer = JSON.parse(text) as unknown;
      if (answer && typeof answer === 'object' && !Array.isArray(answer)) return answer as Answer;
    } catch {
      // Reported below.
    }
    throw new PlatformError('invalid_response', `WeChat answered HTTP ${res.status} with something that is not its API's JSON.`, res.status === 429);
  }

  function parse<T>(schema: z.ZodType<T>, answer: Answer): T {
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw new PlatformError('invalid_response', 'WeChat answered in a shape this server does not know.', false);
    return parsed.data;
  }

  function fetchToken(cred: WechatCredentials, forceRefresh: boolean, signal?: AbortSignal): Promise<string> {
    const key = keyOf(cred);
    const running = inflight.get(key);
    if (running) return running;
    const started = (async () => {
      const answer = await post('/cgi-bin/stable_token', {
        json: { grant_type: 'client_credential', appid: cred.appId, secret: cred.appSecret, force_refresh: forceRefresh },
      }, signal);
      if (answer.errcode !== undefined && answer.errcode !== 0) throw refusal(answer, [cred.appSecret]);
      const { access_token, expires_in } = parse(TokenAnswer, answer);
      const lifeMs = expires_in * 1000;
      tokens.set(key, { token: access_token, freshUntil: clock.now().getTime() + lifeMs - Math.min(MARGIN_MS, lifeMs / 2) });
      return access_token;
    })().finally(() => inflight.delete(key));
    inflight.set(key, started);
    return started;
  }

  async function token(cred: WechatCredentials, signal?: AbortSignal): Promise<string> {
    const cached = tokens.get(keyOf(cred));
    if (cached && clock.now().getTime() < cached.freshUntil) return cached.token;
    return fetchToken(cred, false, signal);
  }

  /** A token other than `refused`: the stable token API answers the current one, forced only if it is the same. */
  async function replace(cred: WechatCredentials, refused: string, signal?: AbortSignal): Promise<string> {
    const key = keyOf(cred);
    if (tokens.get(key)?.token === refused) tokens.delete(key);
    const next = await token(cred, signal);
    return next !== refused ? next : fetchToken(cred, true, signal);
  }

  async function call(cred: WechatCredentials, path: string, req: Request, signal?: AbortSignal): Promise<Answer> {
    const hide = (t: string) => [cred.appSecret, t];
    const send = (t: string) => post(path, { ...req, query: `?access_token=${encodeURIComponent(t)}${req.query ?? ''}` }, signal);
    let current = await token(cred, signal);
    let answer = await send(current);
    if (TOKEN_REFUSED.has(Number(answer.errcode))) {
      current = await replace(cred, current, signal);
      answer = await send(current);
    }
    if (answer.errcode !== undefined && answer.errcode !== 0) throw refusal(answer, hide(current));
    return answer;
  }

  async function form(asset: PublishAsset): Promise<FormData> {
    const type = imageType(asset);
    const name = /\.\w+$/.test(asset.name) ? asset.name : `${asset.name}.${EXTENSION[type] ?? 'jpg'}`;
    const data = new FormData();
    data.append('media', new Blob([new Uint8Array(await asset.bytes())], { type }), name);
    return data;
  }

  /** Pages through a list and answers the first item `match` finds. */
  async function search<I, R>(cred: WechatCredentials, path: string, schema: z.ZodType<{ total_count: number; item_count: number; item: I[] }>,
    noContent: 0 | 1, match: (item: I) => R | undefined, signal?: AbortSignal): Promise<R | undefined> {
    for (let page = 0, offset = 0; page < MAX_PAGES; page += 1) {
      const list = parse(schema, await call(cred, path, { json: { offset, count: PAGE, no_content: noContent } }, signal));
      for (const item of list.item) {
        const found = match(item);
        if (found !== undefined) return found;
      }
      offset += list.item.length;
      if (list.item.length === 0 || offset >= list.total_count) return undefined;
    }
    return undefined;
  }

  return {
    /** Checks the credentials by fetching a token (the cached one is not enough: the secret or IP list may have changed). */
    async verify(cred: WechatCredentials, signal?: AbortSignal): Promise<void> {
      tokens.delete(keyOf(cred));
      await fetchToken(cred, false, signal);
    },

    /** A permanent image (the article's `thumb_media_id`). */
    async addMaterialImage(cred: WechatCredentials, asset: PublishAsset, signal?: AbortSignal): Promise<{ mediaId: string; url: string }> {
      checkImage(asset, 'cover');
      const answer = await call(cred, '/cgi-bin/material/add_material', { query: '&type=image', form: () => form(asset) }, signal);
      const { media_id, url } = parse(MaterialAnswer, answer);
      return { mediaId: media_id, url };
    },

    /** An image inside the article: WeChat filters out any image URL not made by this call. */
    async uploadBodyImage(cred: WechatCredentials, asset: PublishAsset, signal?: AbortSignal): Promise<{ url: string }> {
      checkImage(asset, 'body');
      return parse(UrlAnswer, await call(cred, '/cgi-bin/media/uploadimg', { form: () => form(asset) }, signal));
    },

    async addDraft(cred: WechatCredentials, a: Article, signal?: AbortSignal): Promise<{ mediaId: string }> {
      const article = {
        title: a.title, ...(a.author ? { author: a.author } : {}), digest: a.digest, content: a.content,
        thumb_media_id: a.thumbMediaId, need_open_comment: 0, only_fans_can_comment: 0,
      };
      const { media_id } = parse(MediaAnswer, await call(cred, '/cgi-bin/draft/add', { json: { articles: [article] } }, signal));
      return { mediaId: media_id };
    },

    /** The draft whose cover is `thumbMediaId`: how a retry finds a draft it made but never heard back about. */
    findDraftByThumb(cred: WechatCredentials, thumbMediaId: string, signal?: AbortSignal): Promise<string | undefined> {
      return search(cred, '/cgi-bin/draft/batchget', DraftPage, 1,
        (d) => (d.content.news_item.some((n) => n.thumb_media_id === thumbMediaId) ? d.media_id : undefined), signal);
    },

    async submit(cred: WechatCredentials, mediaId: string, signal?: AbortSignal): Promise<{ publishId: string }> {
      const { publish_id } = parse(SubmitAnswer, await call(cred, '/cgi-bin/freepublish/submit', { json: { media_id: mediaId } }, signal));
      return { publishId: publish_id };
    },

    async publishStatus(cred: WechatCredentials, publishId: string, signal?: AbortSignal): Promise<PublishStatus> {
      const s = parse(StatusAnswer, await call(cred, '/cgi-bin/freepublish/get', { json: { publish_id: publishId } }, signal));
      const articleUrl = s.article_detail?.item?.[0]?.article_url;
      return { publishStatus: s.publish_status, ...(s.article_id ? { articleId: s.article_id } : {}), ...(articleUrl ? { articleUrl } : {}) };
    },

    /** A published, not deleted article whose cover is `thumbMediaId`. */
    findPublishedByThumb(cred: WechatCredentials, thumbMediaId: string, signal?: AbortSignal): Promise<{ articleId: string; url?: string } | undefined> {
      return search(cred, '/cgi-bin/freepublish/batchget', PublishedPage, 0, (p) => {
        const item = p.content.news_item.find((n) => n.thumb_media_id === thumbMediaId && !n.is_deleted);
        return item ? { articleId: p.article_id, ...(item.url ? { url: item.url } : {}) } : undefined;
      }, signal);
    },
  };
}

export type WechatClient = ReturnType<typeof createWechatClient>;
