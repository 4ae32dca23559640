import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { deflateSync } from 'node:zlib';
import type { RecordedRequest } from './upstream.ts';

// The asynchronous half of the fake DashScope (dashscope.ts): Wanx text-to-image and Wan video-synthesis tasks, the
// task query, and the result links (OSS-signed URLs in real life) that serve real bytes — a PNG per image, a small MP4.
// A task's answers are a script of statuses, one per query (the last one repeats); by default PENDING, then RUNNING,
// then SUCCEEDED on the `queriesToSucceed`-th query. An id the fake never issued is UNKNOWN, as DashScope answers for an
// unknown or expired task. Result links can be made to expire (OSS's 403 XML) or to fail once (500) and then work.

export type FakeTaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';
/** One query's answer: a status, or a failure carrying DashScope's `output.code` / `output.message`. */
export type TaskStep = FakeTaskStatus | { status: 'FAILED'; code: string; message: string };
export type TaskKind = 'image' | 'video';

interface FakeTask {
  id: string;
  kind: TaskKind;
  prompt: string;
  n: number;
  durationSeconds: number;
  size: string;
  steps: TaskStep[];
  queries: number;
  submitTime: string;
}

const SIZE = /^\d{3,4}\*\d{3,4}$/;

export const requestId = () => randomUUID();
export const dashScopeError = (code: string, message: string) => ({ code, message, request_id: requestId() });

export function sendJsonWith(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** DashScope's time format: `2025-10-11 19:02:27.297`. */
const stamp = (d = new Date()) => d.toISOString().replace('T', ' ').slice(0, 23);

export function createTaskBook(baseUrl: () => string) {
  const tasks = new Map<string, FakeTask>();
  const scripts: TaskStep[][] = [];
  const linkFaults = new Map<string, 'expired' | 'fail-once'>();
  const downloads = new Map<string, number>();

  const book = {
    /** Queries until a task with no script succeeds (PENDING first, RUNNING in between). */
    queriesToSucceed: 3,
    /** When set, every answered task query carries `Retry-After: <seconds>`. */
    retryAfterSeconds: undefined as number | undefined,
    submits: { image: 0, video: 0 } as Record<TaskKind, number>,
    /** Task ids in the order they were issued. */
    ids: [] as string[],
    /** The next submitted task answers these statuses, one per query, instead of the default lifecycle. */
    scriptNext(steps: TaskStep[]) {
      scripts.push(steps);
    },
    queries: (taskId: string) => tasks.get(taskId)?.queries ?? 0,
    /** Downloads of every result link whose path contains `match` (a task id, a path, a whole URL). */
    downloads: (match: string) => sum(downloads, pathOf(match)),
    /** Links whose path contains `match` answer 403 "Request has expired" from now on. */
    expireLinks(match: string) {
      linkFaults.set(pathOf(match), 'expired');
    },
    /** The next download of a link whose path contains `match` answers 500; the one after works. */
    failLinkOnce(match: string) {
      linkFaults.set(pathOf(match), 'fail-once');
    },

    submit(kind: TaskKind, req: RecordedRequest, res: http.ServerResponse) {
      const body = (req.body ?? {}) as { model?: unknown; input?: { prompt?: unknown }; parameters?: Record<string, unknown> };
      const params = body.parameters ?? {};
      if (typeof body.model !== 'string' || !body.model) return sendJsonWith(res, 400, dashScopeError('BadRequest.EmptyModel', 'Required parameter "model" missing from request.'));
      const prompt = body.input?.prompt;
      if (typeof prompt !== 'string' || !prompt) return sendJsonWith(res, 400, dashScopeError('InvalidParameter', 'Field required: input.prompt'));
      const size = params.size ?? (kind === 'image' ? '1024*1024' : '1280*720');
      if (typeof size !== 'string' || !SIZE.test(size)) {
        return sendJsonWith(res, 400, dashScopeError('InvalidParameter', `The size is not match the allowed size: ${String(size)}. Use width*height.`));
      }
      const n = params.n ?? 1;
      if (kind === 'image' && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 4)) {
        return sendJsonWith(res, 400, dashScopeError('InvalidParameter', 'n must be an integer between 1 and 4.'));
      }
      const duration = params.duration ?? 5;
      if (kind === 'video' && (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 2 || duration > 15)) {
        return sendJsonWith(res, 400, dashScopeError('InvalidParameter', 'duration must be an integer between 2 and 15.'));
      }
      const task: FakeTask = {
        id: randomUUID(), kind, prompt, size, n: Number(n), durationSeconds: Number(duration),
        steps: scripts.shift() ?? defaultSteps(book.queriesToSucceed), queries: 0, submitTime: stamp(),
      };
      tasks.set(task.id, task);
      book.ids.push(task.id);
      book.submits[kind] += 1;
      sendJsonWith(res, 200, { output: { task_status: 'PENDING', task_id: task.id }, request_id: requestId() });
    },

    query(taskId: string, res: http.ServerResponse) {
      const headers: Record<string, string> = book.retryAfterSeconds === undefined ? {} : { 'retry-after': String(book.retryAfterSeconds) };
      const task = tasks.get(taskId);
      if (!task) return sendJsonWith(res, 200, { request_id: requestId(), output: { task_id: taskId, task_status: 'UNKNOWN' } }, headers);
      task.queries += 1;
      const step = task.steps[Math.min(task.queries, task.steps.length) - 1] ?? 'UNKNOWN';
      sendJsonWith(res, 200, answerFor(task, step, baseUrl()), headers);
    },

    /** GET /results/<task>/<i>.png or /results/<task>.mp4; true when the path is a result link. */
    download(req: RecordedRequest, res: http.ServerResponse): boolean {
      const m = /^\/results\/([0-9a-f-]{36})(?:\/(\d+)\.png|\.mp4)$/.exec(req.path);
      if (!m) return false;
      downloads.set(req.path, (downloads.get(req.path) ?? 0) + 1);
      const fault = [...linkFaults].find(([match]) => req.path.includes(match));
      const task = tasks.get(m[1] as string);
      const index = m[2] === undefined ? undefined : Number(m[2]);
      if (fault?.[1] === 'expired') {
        sendOssError(res, 403, 'AccessDenied', 'Request has expired.');
      } else if (fault?.[1] === 'fail-once') {
        linkFaults.delete(fault[0]);
        sendOssError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      } else if (!task || (index === undefined) !== (task.kind === 'video') || (index !== undefined && index >= task.n)) {
        sendOssError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      } else {
        sendResult(res, index);
      }
      return true;
    },
  };
  return book;
}

/** A video (no index) or the index-th image of a task. */
function sendResult(res: http.ServerResponse, index: number | undefined) {
  const bytes = index === undefined ? FAKE_MP4 : fakePng(index);
  res.writeHead(200, { 'content-type': index === undefined ? 'video/mp4' : 'image/png', 'content-length': String(bytes.length) });
  res.end(bytes);
}

export type TaskBook = ReturnType<typeof createTaskBook>;

function defaultSteps(queriesToSucceed: number): TaskStep[] {
  const running = Math.max(0, queriesToSucceed - 2);
  return queriesToSucceed <= 1 ? ['SUCCEEDED'] : ['PENDING', ...Array<TaskStep>(running).fill('RUNNING'), 'SUCCEEDED'];
}

const pathOf = (match: string) => (/^https?:\/\//.test(match) ? new URL(match).pathname : match);
const sum = (counts: Map<string, number>, match: string) => [...counts].reduce((s, [path, c]) => (path.includes(match) ? s + c : s), 0);

/** A query's body, shaped as DashScope shapes it for the task's kind and status. */
function answerFor(task: FakeTask, step: TaskStep, baseUrl: string) {
  const status = typeof step === 'string' ? step : step.status;
  const times = { submit_time: task.submitTime, ...(status === 'PENDING' ? {} : { scheduled_time: task.submitTime }) };
  const ended = ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(status) ? { end_time: stamp() } : {};
  const output: Record<string, unknown> = { task_id: task.id, task_status: status, ...(status === 'UNKNOWN' ? {} : { ...times, ...ended }) };
  if (typeof step === 'object') Object.assign(output, { code: step.code, message: step.message });
  // OSS-signed links, as DashScope hands them out: valid 24 h.
  const signature = `?Expires=${Math.floor(Date.now() / 1000) + 86_400}&OSSAccessKeyId=LTAIfake&Signature=fake%3D`;
  const done = status === 'SUCCEEDED';
  if (task.kind === 'image') {
    output.task_metrics = { TOTAL: task.n, SUCCEEDED: done ? task.n : 0, FAILED: status === 'FAILED' ? task.n : 0 };
    if (done) output.results = Array.from({ length: task.n }, (_, i) => ({ url: `${baseUrl}/results/${task.id}/${i}.png${signature}` }));
    return { request_id: requestId(), output, ...(done ? { usage: { image_count: task.n } } : {}) };
  }
  if (done) Object.assign(output, { video_url: `${baseUrl}/results/${task.id}.mp4${signature}`, orig_prompt: task.prompt, actual_prompt: task.prompt });
  return { request_id: requestId(), output, ...(done ? { usage: { video_duration: task.durationSeconds, video_ratio: task.size, video_count: 1 } } : {}) };
}

/** OSS's XML error, which a result link answers (an expired signature is a 403 AccessDenied). */
function sendOssError(res: http.ServerResponse, status: number, code: string, message: string) {
  const id = requestId().replace(/-/g, '').slice(0, 24).toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-oss-request-id': id });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>${id}</RequestId>\n` +
      `  <HostId>dashscope-result-bj.oss-cn-beijing.aliyuncs.com</HostId>\n</Error>\n`,
  );
}

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A valid 8×8 RGB PNG, one colour per result index, so two results of a task differ. */
export function fakePng(index: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, no filter, no interlace
  const rgb = [(40 * index) % 256, 120, 200];
  const row = Buffer.from([0, ...Array.from({ length: 8 }, () => rgb).flat()]);
  const pixels = Buffer.concat(Array.from({ length: 8 }, () => row));
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(pixels)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** An MP4's opening boxes (`ftyp`, then an `mdat` of filler): a few hundred bytes a store can copy and serve. */
export const FAKE_MP4: Buffer = (() => {
  const box = (type: string, payload: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(8 + payload.length);
    return Buffer.concat([size, Buffer.from(type, 'ascii'), payload]);
  };
  const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'ascii'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'ascii')]));
  return Buffer.concat([ftyp, box('mdat', Buffer.alloc(360, 0x2a))]);
})();
