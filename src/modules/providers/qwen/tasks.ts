import { type Dispatcher, request } from 'undici';
import { z } from 'zod';
import { scrubSecrets } from '../../../platform/redact.ts';

// DashScope's asynchronous task API, which Wanx images and Wan videos go through (compatible mode has no video, and
// its images are not Wanx): submit with `X-DashScope-Async: enable` (without it DashScope answers 403 "current user
// api does not support synchronous calls"), then poll `GET /api/v1/tasks/{task_id}` until the task ends. Result links
// are OSS-signed and expire after 24 h; copying them is the caller's job.
//
// Providers take no idempotency key: a submit that fails retryably (a timeout, a dropped connection) may still have
// created a task, so callers store the task id before doing anything else and never resubmit blindly.

export type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

export interface TaskSnapshot {
  taskId: string;
  status: TaskStatus;
  /** Image results, or `[video_url]`. */
  urls: string[];
  usage?: { imageCount?: number; videoDuration?: number; videoCount?: number };
  /** A FAILED task's `output.code` / `output.message` (scrubbed). */
  error?: { code: string; message: string };
  /** DashScope's `Retry-After` on the query, when it sent one. */
  retryAfterSeconds?: number;
}

/** `1024x1024` as people write it; DashScope wants `1024*1024`. */
export type Size = `${number}x${number}`;

export interface ImageTask { model: string; prompt: string; negativePrompt?: string; size: Size; n: number }
export interface VideoTask { model: string; prompt: string; durationSeconds: number; size?: Size }

/**
 * A failed call. `status` is DashScope's HTTP status, undefined when no answer arrived (`code` is then `timeout` or
 * `connection`); `invalid_response` is an answer that is not DashScope's format. The message never holds the API key.
 */
export class DashScopeTaskError extends Error {
  override readonly name = 'DashScopeTaskError';
  constructor(
    readonly status: number | undefined,
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toJSON() {
    return { name: this.name, status: this.status, code: this.code, message: this.message, retryable: this.retryable, retryAfterSeconds: this.retryAfterSeconds };
  }
}

const STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN'] as const;

const SubmitAnswer = z.object({ output: z.object({ task_id: z.string().min(1), task_status: z.enum(STATUSES) }) });

const count = z.number().nonnegative().optional();
const TaskAnswer = z.object({
  output: z.object({
    task_id: z.string().min(1),
    task_status: z.enum(STATUSES),
    // An image task may succeed with some results failed: those carry code/message instead of a url.
    results: z.array(z.object({ url: z.string().optional() })).optional(),
    video_url: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  // Wan 2.x reports `video_duration`; some newer models report `duration`.
  usage: z.object({ image_count: count, video_duration: count, duration: count, video_count: count }).optional(),
});

const ErrorBody = z.object({ code: z.string().optional(), message: z.string().optional() });

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;
const MAX_MESSAGE = 300;
const KEY_QUOTED = 'DashScope refused the request (details withheld: they quoted the API key).';

export function createDashScopeTasks(deps: {
  /** DashScope's root, e.g. `https://dashscope.aliyuncs.com` (not the `/compatible-mode` base of chat). */
  baseUrl: string;
  /** Read on every call, so a rotated key takes effect at once. */
  apiKey: () => string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** For an HTTP-date `Retry-After`. */
  now?: () => Date;
}) {
  const root = deps.baseUrl.replace(/\/+$/, '');
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const now = deps.now ?? (() => new Date());

  async function call<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown) {
    const key = deps.apiKey();
    const scrub = (text: string) => scrubSecrets(text, [key], { marker: '***', withheld: KEY_QUOTED, maxLength: MAX_MESSAGE });
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await request(`${root}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${key}`,
          ...(method === 'POST' ? { 'content-type': 'application/json', 'x-dashscope-async': 'enable' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw transportError(err, signal, timeoutMs);
    }
    const retryAfterSeconds = parseRetryAfter(headers['retry-after'], now());
    const json = parseJson(text);
    if (status < 200 || status > 299) {
      const parsed = ErrorBody.safeParse(json);
      const code = parsed.success && parsed.data.code ? scrub(parsed.data.code) : `http_${status}`;
      const message = parsed.success && parsed.data.message ? parsed.data.message : `DashScope answered ${status}: ${text.slice(0, 200)}`;
      throw new DashScopeTaskError(status, code, scrub(message), RETRYABLE_STATUS(status), retryAfterSeconds);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new DashScopeTaskError(status, 'invalid_response', `DashScope answered ${status} with an unexpected body: ${scrub(text.slice(0, 200))}`, false);
    }
    return { data: parsed.data, retryAfterSeconds, scrub };
  }

  return {
    async submitImage(task: ImageTask): Promise<{ taskId: string }> {
      const { data } = await call('POST', '/api/v1/services/aigc/text2image/image-synthesis', SubmitAnswer, {
        model: task.model,
        input: { prompt: task.prompt, ...(task.negativePrompt ? { negative_prompt: task.negativePrompt } : {}) },
        parameters: { size: dashScopeSize(task.size), n: task.n },
      });
      return { taskId: data.output.task_id };
    },

    async submitVideo(task: VideoTask): Promise<{ taskId: string }> {
      const { data } = await call('POST', '/api/v1/services/aigc/video-generation/video-synthesis', SubmitAnswer, {
        model: task.model,
        input: { prompt: task.prompt },
        parameters: { duration: task.durationSeconds, ...(task.size ? { size: dashScopeSize(task.size) } : {}) },
      });
      return { taskId: data.output.task_id };
    },

    async getTask(taskId: string): Promise<TaskSnapshot> {
      const { data, retryAfterSeconds, scrub } = await call('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}`, TaskAnswer);
      return snapshotOf(data, retryAfterSeconds, scrub);
    },
  };
}

export type DashScopeTasks = ReturnType<typeof createDashScopeTasks>;

function snapshotOf(data: z.infer<typeof TaskAnswer>, retryAfterSeconds: number | undefined, scrub: (text: string) => string): TaskSnapshot {
  const { output, usage } = data;
  const urls = output.video_url ? [output.video_url] : (output.results ?? []).flatMap((r) => (r.url ? [r.url] : []));
  const snapshot: TaskSnapshot = { taskId: output.task_id, status: output.task_status, urls };
  if (usage) {
    snapshot.usage = {
      ...(usage.image_count !== undefined && { imageCount: usage.image_count }),
      ...((usage.video_duration ?? usage.duration) !== undefined && { videoDuration: usage.video_duration ?? usage.duration }),
      ...(usage.video_count !== undefined && { videoCount: usage.video_count }),
    };
  }
  if (output.task_status === 'FAILED') {
    snapshot.error = { code: scrub(output.code ?? 'TaskFailed'), message: scrub(output.message ?? 'DashScope reported the task as failed') };
  }
  if (retryAfterSeconds !== undefined) snapshot.retryAfterSeconds = retryAfterSeconds;
  return snapshot;
}

function dashScopeSize(size: Size): string {
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) throw new DashScopeTaskError(undefined, 'invalid_size', `size must be WIDTHxHEIGHT, got ${size}`, false);
  return `${m[1]}*${m[2]}`;
}

function transportError(err: unknown, signal: AbortSignal, timeoutMs: number): DashScopeTaskError {
  const name = (err as { name?: string }).name ?? '';
  const code = (err as { code?: string }).code ?? '';
  if (signal.aborted || name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new DashScopeTaskError(undefined, 'timeout', `DashScope did not answer within ${timeoutMs} ms`, true);
  }
  // The socket error's code only: nothing else of the error (its cause, the request it wraps) goes into the message.
  return new DashScopeTaskError(undefined, 'connection', `DashScope could not be reached${code ? ` (${code})` : ''}`, true);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Delta-seconds or an HTTP date, as RFC 9110 allows; anything else is ignored. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

