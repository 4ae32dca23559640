import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createTaskBook, dashScopeError, requestId, sendJsonWith, type TaskBook, type TaskKind } from './dashscope-tasks.ts';
import { type FakeUpstream, leakyMessage, type RecordedRequest, sleep, startFakeServer, startSse, writeSse } from './upstream.ts';

export { FAKE_MP4, fakePng, PNG_SIGNATURE, type FakeTaskStatus, type TaskStep } from './dashscope-tasks.ts';

// A fake Alibaba DashScope on 127.0.0.1, speaking both of its wire formats:
// - compatible mode, `POST /compatible-mode/v1/chat/completions`: OpenAI's chat format (stream or not, the usage chunk
//   of `stream_options.include_usage`, `data: [DONE]`), with OpenAI-style errors plus DashScope's `request_id`;
// - the native async-task API (dashscope-tasks.ts): `POST /api/v1/services/aigc/text2image/image-synthesis`,
//   `POST /api/v1/services/aigc/video-generation/video-synthesis` (both refuse a call without `X-DashScope-Async:
//   enable`, as DashScope does), `GET /api/v1/tasks/{task_id}`, and the result links, with native errors
//   `{code, message, request_id}`.
// Both want `Authorization: Bearer <key>`; with `requireKey` any other key is refused. Tests steer the next answers
// through `chat` and `tasks`; a task fault applies to the next task call, submit or query alike.
//
// Chat replies are deterministic (`fakeChatReply`) and counted like Qwen's tokenizer roughly counts (`qwenTokens`).

const SUBMIT_PATHS: Record<string, TaskKind> = {
  '/api/v1/services/aigc/text2image/image-synthesis': 'image',
  '/api/v1/services/aigc/video-generation/video-synthesis': 'video',
};
const TASK_PATH = /^\/api\/v1\/tasks\/([^/]+)$/;

type TaskFault = { kind: 'throttle'; retryAfterSeconds?: number } | { kind: 'error' } | { kind: 'hang' } | { kind: 'leak-key' };

export interface FakeDashScope extends FakeUpstream {
  chat: {
    calls: number;
    /** Milliseconds between streamed chunks: long enough for a client to leave mid-stream. */
    chunkDelayMs: number;
    /** The next `n` chats answer 500 internal_error. */
    failNext(n?: number): void;
    /** The next chats answer these texts, in order, instead of the echo (e.g. a PPT outline's JSON). */
    replies: string[];
    /** The next `n` chats never answer (for a client's timeout). */
    hangNext(n?: number): void;
  };
  tasks: TaskBook & {
    /** The next `n` task calls answer 429 Throttling.RateQuota, with `Retry-After` when given. */
    throttleNext(n?: number, retryAfterSeconds?: number): void;
    /** The next `n` task calls answer 500 InternalError. */
    failNext(n?: number): void;
    /** The next `n` task calls never answer. */
    hangNext(n?: number): void;
    /** The next task call answers 401 with the caller's key quoted in every field (and its last four characters). */
    leakKeyNext(): void;
  };
  /** The most recent request whose path contains `pathPart` (every request: `requests`). */
  lastRequest(pathPart?: string): RecordedRequest | undefined;
}

export async function startFakeDashScope(opts: { requireKey?: string } = {}): Promise<FakeDashScope> {
  let baseUrl = '';
  const book = createTaskBook(() => baseUrl);
  const faults: TaskFault[] = [];
  const queue = (n: number, fault: TaskFault) => faults.push(...Array<TaskFault>(n).fill(fault));
  let chatFailures = 0;
  let chatHangs = 0;

  const chat: FakeDashScope['chat'] = {
    calls: 0,
    chunkDelayMs: 0,
    failNext: (n = 1) => void (chatFailures += n),
    hangNext: (n = 1) => void (chatHangs += n),
    replies: [],
  };
  const tasks: FakeDashScope['tasks'] = Object.assign(book, {
    throttleNext: (n = 1, retryAfterSeconds?: number) => queue(n, { kind: 'throttle', retryAfterSeconds }),
    failNext: (n = 1) => queue(n, { kind: 'error' }),
    hangNext: (n = 1) => queue(n, { kind: 'hang' }),
    leakKeyNext: () => queue(1, { kind: 'leak-key' }),
  });

  function taskCall(req: RecordedRequest, res: http.ServerResponse, kind: TaskKind | undefined, taskId: string | undefined) {
    const key = bearerOf(req);
    if (!key) return sendJsonWith(res, 401, dashScopeError('InvalidApiKey', 'No API-key provided.'));
    if (opts.requireKey !== undefined && key !== opts.requireKey) return sendJsonWith(res, 401, dashScopeError('InvalidApiKey', 'Invalid API-key provided.'));
    const fault = faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'error') return sendJsonWith(res, 500, dashScopeError('InternalError', 'An internal error has occured, please try again later or contact service support.'));
    if (fault?.kind === 'throttle') {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return sendJsonWith(res, 429, dashScopeError('Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.'), headers);
    }
    if (fault?.kind === 'leak-key') return sendJsonWith(res, 401, { code: `InvalidApiKey:${key}`, message: leakyMessage(key), request_id: requestId(), api_key: key });
    if (taskId !== undefined) return book.query(decodeURIComponent(taskId), res);
    if (req.headers['x-dashscope-async'] !== 'enable') {
      return sendJsonWith(res, 403, dashScopeError('AccessDenied', 'current user api does not support synchronous calls'));
    }
    book.submit(kind as TaskKind, req, res);
  }

  async function chatCall(req: RecordedRequest, res: http.ServerResponse) {
    chat.calls += 1;
    const key = bearerOf(req);
    if (!key || (opts.requireKey !== undefined && key !== opts.requireKey)) {
      return sendJsonWith(res, 401, compatError('Incorrect API key provided. ', 'invalid_request_error', 'invalid_api_key'));
    }
    if (chatHangs > 0) return void (chatHangs -= 1);
    if (chatFailures > 0) {
      chatFailures -= 1;
      return sendJsonWith(res, 500, compatError('An internal error has occured, please try again later or contact service support.', 'internal_error', 'internal_error'));
    }
    const body = (req.body ?? {}) as { model?: unknown; messages?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
    const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
    if (typeof body.model !== 'string' || messages.length === 0) {
      return sendJsonWith(res, 400, compatError('<400> InternalError.Algo.InvalidParameter: model and messages are required', 'invalid_request_error', 'invalid_parameter_error'));
    }
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const reply = chat.replies.shift() ?? fakeChatReply(textOf(lastUser?.content));
    const promptTokens = messages.reduce((s, m) => s + qwenTokens(textOf(m.content)) + 4, 3);
    const completionTokens = qwenTokens(reply);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, prompt_tokens_details: { cached_tokens: 0 } };
    const base = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: null };

    if (body.stream !== true) {
      const choice = { message: { role: 'assistant', content: reply }, finish_reason: 'stop', index: 0, logprobs: null };
      return sendJsonWith(res, 200, { choices: [choice], object: 'chat.completion', usage, ...base });
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      ({ choices: [{ delta, finish_reason: finish, index: 0, logprobs: null }], object: 'chat.completion.chunk', usage: null, ...base });
    startSse(res);
    writeSse(res, chunk({ content: '', role: 'assistant' }, null));
    const chars = Array.from(reply);
    for (let i = 0; i < chars.length; i += 4) {
      if (chat.chunkDelayMs) await sleep(chat.chunkDelayMs);
      if (res.destroyed) return;
      writeSse(res, chunk({ content: chars.slice(i, i + 4).join('') }, null));
    }
    writeSse(res, chunk({ content: '' }, 'stop'));
    if (body.stream_options?.include_usage === true) writeSse(res, { choices: [], object: 'chat.completion.chunk', usage, ...base });
    writeSse(res, '[DONE]');
    res.end();
  }

  const server = await startFakeServer(async (req, res) => {
    if (req.method === 'GET' && book.download(req, res)) return;
    if (req.method === 'POST' && req.path === '/compatible-mode/v1/chat/completions') return chatCall(req, res);
    const kind = req.method === 'POST' ? SUBMIT_PATHS[req.path] : undefined;
    const taskId = req.method === 'GET' ? TASK_PATH.exec(req.path)?.[1] : undefined;
    if (kind || taskId) return taskCall(req, res, kind, taskId);
    sendJsonWith(res, 404, dashScopeError('InvalidURL', 'Invalid URL provided in your request.'));
  });
  baseUrl = server.url;
  const lastRequest = (pathPart = '') => [...server.requests].reverse().find((r) => r.path.includes(pathPart));
  return Object.assign(server, { chat, tasks, lastRequest });
}

const bearerOf = (req: RecordedRequest) => /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];

/** Compatible mode's errors: OpenAI's shape, plus DashScope's request id. */
const compatError = (message: string, type: string, code: string) => ({ error: { message, type, param: null, code }, request_id: requestId() });

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String(p.text) : '')).join(' ');
  return '';
}

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/g;

/** About what Qwen's tokenizer counts: a token per CJK character or punctuation mark, one per four other characters. */
export function qwenTokens(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  const other = text.replace(CJK, '').replace(/\s+/g, '').length;
  return cjk + Math.ceil(other / 4);
}

/** The fake's answer to a prompt: a fixed zh-CN sentence that quotes the prompt's first words (at most 16 characters). */
export function fakeChatReply(prompt: string): string {
  const gist = Array.from(prompt.trim().split(/\s+/).slice(0, 3).join(' ')).slice(0, 16).join('');
  return `好的，关于「${gist}」，以下是通义千问的示例回答。`;
}
