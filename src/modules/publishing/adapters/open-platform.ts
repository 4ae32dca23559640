import { createHash, randomBytes } from 'node:crypto';
import { PlatformError, type Progress, type PublishRun } from '../adapter.ts';
import { scrubSecrets } from '../../../platform/redact.ts';

// What the Douyin, Xiaohongshu and Kuaishou adapters share: a JSON call to an open platform that never lets a URL, a
// token or a secret into an error (their tokens travel in query strings and headers, and their error texts like to
// quote what they were given), the hashes their signatures use, nonces, and a job's progress kept as it is saved.

export type Fetch = typeof fetch;

export interface CallOptions {
  /** The platform's name as users know it, for messages. */
  platform: string;
  /** Credentials and tokens this call carries: cut out of anything the platform says. */
  secrets: readonly (string | undefined)[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

const MAX_MESSAGE = 300;

/**
 * The platform's own words, safe to show: every credential becomes `***`, and if a piece of one still shows (a "token
 * ending in …" hint, a truncated echo) the text is withheld altogether.
 */
export const scrub = (text: string, secrets: readonly (string | undefined)[]): string =>
  scrubSecrets(text, secrets, { marker: '***', withheld: '(details withheld: they quoted a credential)', maxLength: MAX_MESSAGE });

function transportError(err: unknown, platform: string, timedOut: boolean, stopped: boolean): PlatformError {
  if (stopped) return new PlatformError('stopped', `The run was stopped before ${platform} answered; it will be tried again.`, true);
  if (timedOut) return new PlatformError('timeout', `${platform} did not answer in time; it will be tried again.`, true);
  // The socket error's code only: the error itself quotes the URL, and the URL may carry a token.
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return new PlatformError('network', `${platform} could not be reached${code}; it will be tried again.`, true);
}

/** One HTTP call that answers JSON. Transport failures and non-JSON answers become retryable-or-not PlatformErrors. */
export async function callJson(fetchFn: Fetch, url: string, init: RequestInit, o: CallOptions): Promise<JsonAnswer> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let status: number;
  let text: string;
  try {
    const res = await fetchFn(url, { ...init, signal });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw transportError(err, o.platform, timeout.aborted, o.signal?.aborted === true);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const retryable = status >= 500 || status === 429;
    throw new PlatformError(`http_${status}`, `${o.platform} answered HTTP ${status} without its API's JSON${retryable ? '; it will be tried again' : ''}.`, retryable);
  }
  return { status, body: body as Record<string, unknown> };
}

export const md5Hex = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** 32 hex characters: within every platform's nonce limit (Xiaohongshu: 32). */
export const makeNonce = () => randomBytes(16).toString('hex');

export const textOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The job's progress as this run knows it: `r.progress` is what the run started with, so each save is merged here too
 * and later steps see it.
 */
export function trackProgress(r: PublishRun) {
  const progress: Progress = { ...r.progress };
  return {
    progress,
    async save(patch: Parameters<PublishRun['save']>[0]): Promise<void> {
      await r.save(patch);
      Object.assign(progress, patch.progress ?? {});
    },
  };
}

export type TrackedProgress = ReturnType<typeof trackProgress>;
