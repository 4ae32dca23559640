import type http from 'node:http';
import {
  applyDirectives,
  credentialOf,
  type Directives,
  directivesIn,
  type FakeUpstream,
  leakyMessage,
  markerOf,
  type RecordedRequest,
  replyWords,
  sendJson,
  startFakeServer,
  startSse,
  writeSse,
} from './upstream.ts';

// A fake of Anthropic's Messages API (anthropic-version 2023-06-01), written from Anthropic's documentation and
// independently of src/ so it can check the adapter. Directives are read from the last user turn only, so a tool round
// trip ends: the follow-up request carries the tool result, not `[[tool]]`. Besides the shared directives,
// `[[stream-error]]` sends an `overloaded_error` event after the first text delta of a stream, as Anthropic does under
// load. The credential markers of upstream.ts steer it too: a refused key gets Anthropic's 401 on every endpoint, and the
// model list (`GET /v1/models`) can be empty or rate-limited.

type Json = Record<string, unknown>;
type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Json };

interface Reply {
  content: Block[];
  stopReason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';
  stopSequence: string | null;
  inputTokens: number;
  outputTokens: number;
}

export const FAKE_ANTHROPIC_MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-latest'];
export const FAKE_TOOL_INPUT = { city: 'Paris', unit: 'celsius' };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, message: string): Json {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: 'req_fake0000000000000000' };
}

/** Anthropic's error shape with the key in every field, and in fields Anthropic does not have. */
export const leakyAnthropicError = (_status: number, key: string): Json => ({
  type: 'error',
  error: { type: key, message: leakyMessage(key), code: key, param: key },
  request_id: key,
});

export async function startFakeAnthropic(): Promise<FakeUpstream> {
  let served = 0;
  return startFakeServer(async (req, res) => {
    if (!hasHeaders(req, res)) return;
    if (req.method === 'GET' && req.path === '/v1/models') return listModels(req, res);
    if (req.method === 'POST' && req.path === '/v1/messages') return answerMessages(req, res, (served += 1));
    sendJson(res, 404, anthropicErrorBody(404, `Not found: ${req.method} ${req.path}`));
  });
}

function hasHeaders(req: RecordedRequest, res: http.ServerResponse): boolean {
  // API keys travel in x-api-key (the documented header, which the adapter uses); the official SDK sends them as
  // `Authorization: Bearer`, which Anthropic accepts too.
  if (!credentialOf(req)) {
    sendJson(res, 401, anthropicErrorBody(401, 'x-api-key header is required'));
    return false;
  }
  if (typeof req.headers['anthropic-version'] !== 'string') {
    sendJson(res, 400, anthropicErrorBody(400, 'anthropic-version: header is required'));
    return false;
  }
  if (markerOf(req) === 'refused') {
    sendJson(res, 401, anthropicErrorBody(401, 'invalid x-api-key'));
    return false;
  }
  return true;
}

function listModels(req: RecordedRequest, res: http.ServerResponse): void {
  const marker = markerOf(req);
  if (marker === 'throttled') return sendJson(res, 429, anthropicErrorBody(429, 'Number of requests has exceeded your rate limit.'));
  sendJson(res, 200, modelList(marker === 'noModels' ? [] : FAKE_ANTHROPIC_MODELS));
}

function modelList(ids: string[]): Json {
  const data = ids.map((id) => ({
    type: 'model',
    id,
    display_name: id.replace(/^claude-/, 'Claude ').replace(/-/g, ' '),
    created_at: '2025-09-29T00:00:00Z',
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

async function answerMessages(req: RecordedRequest, res: http.ServerResponse, n: number): Promise<void> {
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Json;
  const invalid = invalidRequest(body);
  if (invalid) return sendJson(res, 400, anthropicErrorBody(400, invalid));
  const messages = body.messages as Json[];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const prompt = textOf(lastUser?.content);
  const d = directivesIn(prompt);
  if (await applyDirectives(d, req, res, anthropicErrorBody, leakyAnthropicError)) return;
  const reply = planReply(body, prompt, d, n);
  const message = {
    id: `msg_fake${String(n).padStart(6, '0')}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: reply.content,
    stop_reason: reply.stopReason,
    stop_sequence: reply.stopSequence,
    ...(d.noUsage ? {} : { usage: usageOf(reply.inputTokens, reply.outputTokens) }),
  };
  if (body.stream === true) return streamMessage(res, message, reply, d, prompt.includes('[[stream-error]]'), credentialOf(req));
  if (d.stall) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"msg_');
    return;
  }
  sendJson(res, 200, message);
}

/** The checks of Anthropic's that a translation bug would trip. */
function invalidRequest(body: Json): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  let previousToolUses = new Set<string>();
  for (const [i, m] of (body.messages as Json[]).entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content as Json[]);
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    if (blocks.some((b) => b.type === 'text' && !b.text)) return `messages.${i}: text content blocks must be non-empty`;
    for (const b of blocks) {
      if (b.type === 'tool_result' && !previousToolUses.has(b.tool_use_id as string)) {
        return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}`;
      }
    }
    previousToolUses = new Set(blocks.filter((b) => b.type === 'tool_use').map((b) => b.id as string));
  }
  return undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[])
    .map((b) => (b.type === 'tool_result' ? textOf(b.content) : typeof b.text === 'string' ? b.text : ''))
    .join(' ');
}

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Input tokens: the words of the system prompt and of every turn, so a test can predict the count. */
function inputTokensOf(body: Json): number {
  const turns = (body.messages as Json[]).map((m) => textOf(m.content));
  return countWords([textOf(body.system), ...turns].join(' '));
}

function planReply(body: Json, prompt: string, d: Directives, n: number): Reply {
  const inputTokens = inputTokensOf(body);
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  const firstTool = tools[0];
  if (d.tool && typeof firstTool?.name === 'string') {
    const text = replyWords(prompt, 4).join(' ');
    const id = `toolu_fake${String(n).padStart(6, '0')}`;
    const call: Block = { type: 'tool_use', id, name: firstTool.name, input: FAKE_TOOL_INPUT };
    const outputTokens = countWords(text) + Math.ceil(JSON.stringify(FAKE_TOOL_INPUT).length / 4);
    const content: Block[] = [{ type: 'text', text }, call];
    return { content, stopReason: 'tool_use', stopSequence: null, inputTokens, outputTokens };
  }
  const words = replyWords(prompt);
  const maxTokens = body.max_tokens as number;
  let text = words.slice(0, maxTokens).join(' ');
  let stopReason: Reply['stopReason'] = words.length > maxTokens ? 'max_tokens' : 'end_turn';
  let stopSequence: string | null = null;
  for (const s of Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : []) {
    // Each cut shortens the text, so the earliest stop sequence wins, as in generation.
    const at = text.indexOf(s);
    if (at < 0) continue;
    text = text.slice(0, at);
    stopReason = 'stop_sequence';
    stopSequence = s;
  }
  return { content: [{ type: 'text', text }], stopReason, stopSequence, inputTokens, outputTokens: countWords(text) };
}

const usageOf = (inputTokens: number, outputTokens: number) => ({
  input_tokens: inputTokens,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: outputTokens,
});

function event(res: http.ServerResponse, data: Json & { type: string }): void {
  writeSse(res, data, data.type);
}

function streamMessage(res: http.ServerResponse, message: Json, reply: Reply, d: Directives, failMidway: boolean, key: string): void {
  startSse(res);
  const usage = d.noUsage ? {} : { usage: usageOf(reply.inputTokens, 1) };
  event(res, { type: 'message_start', message: { ...message, content: [], stop_reason: null, stop_sequence: null, ...usage } });
  if (d.stall) return;
  event(res, { type: 'ping' });
  for (const [index, block] of reply.content.entries()) {
    const opened = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
    event(res, { type: 'content_block_start', index, content_block: opened });
    for (const delta of deltasOf(block)) {
      event(res, { type: 'content_block_delta', index, delta });
      if (failMidway) {
        event(res, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
        return void res.end();
      }
      if (d.leakStream) {
        writeSse(res, leakyAnthropicError(500, key), 'error');
        return void res.end();
      }
    }
    event(res, { type: 'content_block_stop', index });
  }
  const finalUsage = d.noUsage ? {} : { usage: { output_tokens: reply.outputTokens } };
  const delta = { stop_reason: reply.stopReason, stop_sequence: reply.stopSequence };
  event(res, { type: 'message_delta', delta, ...finalUsage });
  event(res, { type: 'message_stop' });
  res.end();
}

function deltasOf(block: Block): Json[] {
  if (block.type === 'text') {
    return block.text.split(' ').map((word, i) => ({ type: 'text_delta', text: i === 0 ? word : ` ${word}` }));
  }
  // Anthropic opens a tool's input with an empty fragment, then sends the JSON in arbitrary pieces.
  const fragments = ['', ...chunksOf(JSON.stringify(block.input), 7)];
  return fragments.map((partial_json) => ({ type: 'input_json_delta', partial_json }));
}

function chunksOf(text: string, size: number): string[] {
  return Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
}
