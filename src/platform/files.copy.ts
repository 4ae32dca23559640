import net from 'node:net';
import { Readable } from 'node:stream';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { isFileKey, type FileStore, type StoredFile } from './files.ts';
import { guardedLookup, isPublicAddress, PRIVATE_UPSTREAMS_HINT } from './ssrf.ts';

// Copies a provider's result (an image, a video) from its temporary link into the file store before the link expires
// (DashScope's after 24 h). Callers retry what `retryable` says may work next time — and only that: an expired link or
// a file of the wrong type stays wrong, however often it is fetched.

export type FileCopyFailure = 'refused' | 'status' | 'network' | 'timeout' | 'too_big' | 'wrong_type' | 'empty' | 'store';

export class FileCopyError extends Error {
  override name = 'FileCopyError';
  /**
   * @param status the provider's HTTP status, for `status` failures.
   * The message names the link by origin and path only: providers sign their links in the query string.
   */
  constructor(readonly reason: FileCopyFailure, message: string, readonly retryable: boolean, readonly status?: number) {
    super(message);
  }
}

export interface CopyOptions {
  /** Past this many bytes the download is aborted and nothing is stored. */
  maxBytes: number;
  /** For the whole copy: connect, headers and body. */
  timeoutMs: number;
  /** `ALLOW_PRIVATE_UPSTREAMS`: http:// and private addresses (tests, local development). */
  allowPrivate: boolean;
  /** The media types accepted, e.g. `/^image\//`; parameters (`; charset=…`) are not part of what is tested. */
  allowedTypes: RegExp;
}

const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** The link answers, but says the file is not (or no longer) there for us. */
const GONE = new Set([403, 404, 410]);

/** Origin and path, shortened: what an error may say about a link. */
function describe(url: URL): string {
  const where = `${url.origin}${url.pathname}`;
  return where.length > 200 ? `${where.slice(0, 200)}…` : where;
}

/** Drops a body we will not read; undici reports the abort as an error that nobody else listens for. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

const refused = (message: string) => new FileCopyError('refused', message, false);

/** The SSRF rules of DESIGN.md §3 for a link we did not choose; host names are checked again when connecting. */
function checkedUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('File link is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw refused(`File link ${describe(url)} must use https${url.protocol === 'http:' ? `; ${PRIVATE_UPSTREAMS_HINT}` : ''}`);
  }
  if (url.username || url.password) throw refused(`File link ${describe(url)} must not contain credentials`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Sockets skip the lookup for a literal address, so guardedLookup never sees it: judged here.
  if (!allowPrivate && net.isIP(host) !== 0 && !isPublicAddress(host)) {
    throw refused(`File link ${describe(url)} is a private address; ${PRIVATE_UPSTREAMS_HINT}`);
  }
  return url;
}

function transportError(err: unknown, where: string, timedOut: boolean): FileCopyError {
  if (err instanceof FileCopyError) return err;
  if (
    timedOut || err instanceof undiciErrors.ConnectTimeoutError || err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return new FileCopyError('timeout', `Download of ${where} timed out`, true);
  }
  const code = (err as { code?: string }).code;
  if (code === 'EUPSTREAMPRIVATE') return refused(`File link ${where} resolves to a private address; ${PRIVATE_UPSTREAMS_HINT}`);
  return new FileCopyError('network', `Download of ${where} failed${code ? ` (${code})` : ''}`, true);
}

interface Attempt {
  agent: Agent;
  options: CopyOptions;
  signal: AbortSignal;
  timedOut: () => boolean;
}

/** GET, following a few redirects, each of which must pass the same checks as the first link. */
async function fetchFile(a: Attempt, raw: string, hops = 0): Promise<{ url: URL; res: Dispatcher.ResponseData }> {
  const url = checkedUrl(raw, a.options.allowPrivate);
  let res: Dispatcher.ResponseData;
  try {
    res = await a.agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // undici hands the body over as sent: a compressed one would be stored compressed.
      headers: { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'Tollgate-files/1' },
      signal: a.signal,
    });
  } catch (err) {
    throw transportError(err, describe(url), a.timedOut());
  }
  if (!REDIRECTS.has(res.statusCode)) return { url, res };
  discard(res.body);
  const location = res.headers.location;
  if (typeof location !== 'string' || hops >= MAX_REDIRECTS) {
    throw new FileCopyError('status', `Download of ${describe(url)} was redirected too often or nowhere`, false, res.statusCode);
  }
  return fetchFile(a, new URL(location, url).href, hops + 1);
}

function statusError(where: string, status: number): FileCopyError {
  const retryable = status === 408 || status === 429 || status >= 500;
  const why = GONE.has(status) ? ' (the link has expired or the file is gone)' : '';
  return new FileCopyError('status', `Download of ${where} answered HTTP ${status}${why}`, retryable, status);
}

const mediaTypeOf = (header: string | string[] | undefined) =>
  ((Array.isArray(header) ? header[0] : header) ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

/** The body as it arrives, cut off (and the connection dropped) once it passes `maxBytes`. */
async function* bounded(body: AsyncIterable<Buffer>, where: string, a: Attempt): AsyncGenerator<Buffer> {
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > a.options.maxBytes) throw new FileCopyError('too_big', `${where} is larger than ${a.options.maxBytes} bytes`, false);
      yield chunk;
    }
  } catch (err) {
    throw transportError(err, where, a.timedOut());
  }
  if (size === 0) throw new FileCopyError('empty', `Download of ${where} returned no bytes`, false);
}

/**
 * Downloads `url` into `store` under `key`: bounded in time and size, type-checked, through the SSRF guard. Nothing
 * is stored unless the whole body arrived. Throws a FileCopyError.
 */
export async function copyFromUrl(store: FileStore, url: string, key: string, options: CopyOptions): Promise<StoredFile> {
  // A bad key is the caller's bug, not a failed download: thrown as is, never as something to retry.
  if (!isFileKey(key)) throw new Error('copyFromUrl: invalid file key');
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const agent = new Agent({
    connect: { timeout: options.timeoutMs, lookup: guardedLookup(options.allowPrivate) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const attempt: Attempt = { agent, options, signal: controller.signal, timedOut: () => timedOut };
  try {
    const { url: final, res } = await fetchFile(attempt, url);
    const where = describe(final);
    if (res.statusCode !== 200) {
      discard(res.body);
      throw statusError(where, res.statusCode);
    }
    const contentType = mediaTypeOf(res.headers['content-type']);
    if (!options.allowedTypes.test(contentType)) {
      discard(res.body);
      throw new FileCopyError('wrong_type', `${where} is ${contentType || 'of no declared type'}, not ${options.allowedTypes.source}`, false);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      discard(res.body);
      throw new FileCopyError('too_big', `${where} is ${declared} bytes, more than ${options.maxBytes}`, false);
    }
    try {
      return await store.put(key, Readable.from(bounded(res.body, where, attempt), { objectMode: false }), contentType);
    } catch (err) {
      if (err instanceof FileCopyError) throw err;
      // The download was fine; the store (disk full, S3 unavailable) was not. The link may still work next time.
      throw new FileCopyError('store', `Storing ${where} failed: ${(err as Error).message}`, true);
    }
  } catch (err) {
    throw transportError(err, describeRaw(url), timedOut);
  } finally {
    clearTimeout(timer);
    await agent.destroy().catch(() => undefined);
  }
}

function describeRaw(raw: string): string {
  try {
    return describe(new URL(raw));
  } catch {
    return 'the file link';
  }
}
