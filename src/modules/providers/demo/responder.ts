import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { abortError, type CancelSignal } from '../../../platform/cancel-signal.ts';
import { isRecord } from '../json.ts';
import type { UpstreamRequest, UpstreamResponse } from '../types.ts';
import { answerChat, completionBody, completionChunks, type AnswerIds } from './chat.ts';
import { DEMO_MODEL_ID } from './model.ts';

// The demo upstream as the upstream client sees it: a request in, an answer out (`UpstreamResponse`), made in process.
// It behaves as an OpenAI-compatible server would — `POST /v1/chat/completions` only, errors in OpenAI's format with
// their real statuses (a malformed body is the caller's 400, an unknown path 404) — and honours the abort signal
// before and during the body, as a socket would.

type Json = Record<string, unknown>;

export interface DemoUpstream {
  answer(req: UpstreamRequest, signal: CancelSignal): Promise<UpstreamResponse>;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createDemoUpstream(deps: { now?: () => number; random?: (bytes: number) => string } = {}): DemoUpstream {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? ((bytes: number) => randomBytes(bytes).toString('base64url'));
  const ids: AnswerIds = { id: (prefix) => `${prefix}-demo${random(12)}`, created: () => Math.floor(now() / 1000) };

  return {
    async answer(req, signal) {
      if (signal.aborted) throw abortError();
      const path = new URL(req.url).pathname;
      if ((req.method ?? 'POST') !== 'POST' || path !== '/v1/chat/completions') {
        return respond(404, jsonHeaders, [JSON.stringify(failure(`Invalid URL (${req.method ?? 'POST'} ${path})`))], signal);
      }
      const body = parse(req.body);
      if (!isRecord(body)) return invalid(signal, 'We could not parse the JSON body of your request: the demo upstream expects a JSON object.');
      const problem = problemWith(body);
      if (problem) return invalid(signal, problem.message, problem.param);
      if (body.model !== DEMO_MODEL_ID) {
        const message = `The model \`${String(body.model)}\` does not exist or you do not have access to it.`;
        return respond(404, jsonHeaders, [JSON.stringify(failure(message, 'model', 'model_not_found'))], signal);
      }
      const answer = await answerChat(body, ids);
      if (signal.aborted) throw abortError();
      if (body.stream !== true) return respond(200, jsonHeaders, [JSON.stringify(completionBody(answer))], signal);
      const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
      const events = [...completionChunks(answer, includeUsage).map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'];
      return respond(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }, events, signal);
    },
  };
}

const jsonHeaders = { 'content-type': 'application/json' };

const failure = (message: string, param: string | null = null, code: string | null = null) => ({
  error: { message, type: 'invalid_request_error', param, code },
});

const invalid = (signal: CancelSignal, message: string, param?: string) =>
  respond(400, jsonHeaders, [JSON.stringify(failure(message, param ?? null))], signal);

function parse(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** The first thing wrong with a chat request, named by its parameter path as OpenAI names it. */
function problemWith(body: Json): { message: string; param: string } | undefined {
  if (typeof body.model !== 'string' || body.model === '') return { message: 'You must provide a model parameter.', param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { message: "'messages' must be a non-empty array.", param: 'messages' };
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return { message: `messages[${i}].role must be one of ${[...ROLES].join(', ')}.`, param: `messages.[${i}].role` };
    }
    if (m.content !== undefined && m.content !== null && typeof m.content !== 'string' && !Array.isArray(m.content)) {
      return { message: `messages[${i}].content must be a string or an array of content parts.`, param: `messages.[${i}].content` };
    }
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
      return { message: `messages[${i}].tool_call_id is required for a tool message.`, param: `messages.[${i}].tool_call_id` };
    }
  }
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const v = body[field];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && (v as number) > 0)) return { message: `${field} must be a positive integer.`, param: field };
  }
  if (body.n !== undefined && body.n !== null && !(Number.isInteger(body.n) && (body.n as number) >= 1 && (body.n as number) <= 128)) {
    return { message: 'n must be an integer from 1 to 128.', param: 'n' };
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return { message: 'stream must be a boolean.', param: 'stream' };
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return { message: 'tools must be an array.', param: 'tools' };
    for (const [i, t] of (body.tools as unknown[]).entries()) {
      if (!isRecord(t) || t.type !== 'function' || !isRecord(t.function) || typeof t.function.name !== 'string' || !FUNCTION_NAME.test(t.function.name)) {
        return { message: `tools[${i}] must be a function with a name of letters, digits, _ and - (at most 64).`, param: `tools.[${i}].function.name` };
      }
    }
  }
  return undefined;
}

/**
 * An answer as the upstream client gives one (providers/types.ts `UpstreamResponse`): `statusCode`, `headers`, and
 * a body to iterate, read with `text()` or `destroy()` — here a Node Readable with `text()`.
 */
function respond(statusCode: number, headers: Record<string, string>, parts: string[], signal: CancelSignal): UpstreamResponse {
  const stream = Readable.from(parts.map((p) => Buffer.from(p)), { objectMode: false });
  const onAbort = () => stream.destroy(abortError());
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
  const body = Object.assign(stream, {
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  });
  return { statusCode, headers, body };
}
