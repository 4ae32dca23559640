import type http from 'node:http';
import { fakePng } from './dashscope-tasks.ts';
import {
  applyDirectives, credentialOf, directivesIn, leakyMessage, markerOf, replyWords, sendJson, sleep, startFakeServer, startSse, writeSse, writeSseSplit,
  type FakeUpstream, type RecordedRequest,
} from './upstream.ts';

// A fake OpenAI-compatible upstream: chat completions (stream or not, tool calls, include_usage), completions,
// embeddings (float or base64), image generations and the model list. It answers on any path prefix, so the same fake
// stands in for OpenAI (`/v1`), Qianfan (`/v2`), DashScope compatible mode and Azure deployments
// (`/openai/deployments/<name>/…?api-version=`). Shared directives are in upstream.ts; `[[pace:N]]` waits N ms
// between streamed chunks. Chat and text completions stream. `[[fill]]` answers with all the output the request
// allows (see `fill`).
//
// The key must come as OpenAI wants it, `Authorization: Bearer <key>` (or Azure's `api-key` header). The credential
// markers of upstream.ts steer the model list (`GET …/models`) and the legacy balance endpoint
// (`GET /dashboard/billing/credit_grants`); a refused key is quoted back in full in the 401, as OpenAI quotes keys.
//
// Token counts are deterministic: prompt tokens = words in the request's text, completion tokens = words in the reply
// (12, or 5 for a tool call).

type Json = Record<string, unknown>;

const errorBody = (status: number, message: string) => ({
  error: { message, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', code: status === 401 ? 'invalid_api_key' : null, param: null },
});

/** OpenAI's error shape with the key in every field, and in one OpenAI does not have. */
export const leakyErrorBody = (_status: number, key: string) => ({
  error: { message: leakyMessage(key), type: key, code: key, param: key, key_hint: key.slice(-6) },
  detail: key,
});

export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join(' ');
  if (value && typeof value === 'object') {
    const o = value as Json;
    return [o.content, o.text, o.prompt, o.input, o.messages].filter((v) => v !== undefined).map(textOf).join(' ');
  }
  return '';
}

export const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

function lastUserText(body: Json): string {
  const messages = (body.messages as Json[] | undefined) ?? [];
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return textOf(user?.content ?? body.prompt ?? body.input ?? '');
}

export async function startFakeOpenAi(options: { requireKey?: string } = {}): Promise<FakeUpstream> {
  return startFakeServer(async (req, res) => {
    // Where `[[hosted]]` image links point: public, like a provider's signed CDN link.
    if (req.method === 'GET' && req.path.startsWith('/hosted-images/')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      return void res.end(fakePng(Number(/(\d+)\.png$/.exec(req.path)?.[1] ?? 0)));
    }
    const key = keyOf(req);
    if (!key) return sendJson(res, 401, errorBody(401, "You didn't provide an API key. Use an Authorization header with Bearer auth."));
    if ((options.requireKey && !key.includes(options.requireKey)) || markerOf(req) === 'refused') {
      return sendJson(res, 401, errorBody(401, `Incorrect API key provided: ${key}. You can find your API key in your account.`));
    }
    if (req.method === 'GET' && req.path.endsWith('/models')) return modelList(req, res);
    if (req.method === 'GET' && req.path.endsWith('/dashboard/billing/credit_grants')) return creditGrants(req, res);
    const body = (req.body ?? {}) as Json;
    const d = directivesIn(textOf(body));
    if (await applyDirectives(d, req, res, errorBody, leakyErrorBody)) return;
    if (textOf(body).includes('[[fill]]') && body.stream !== true) return fill(req, res, body);
    if (req.path.endsWith('/chat/completions')) return chat(req, res, body, d.stall, d.noUsage, d.tool, pace(body), d.leakStream);
    if (req.path.endsWith('/completions')) return completion(req, res, body, d.noUsage, d.leakStream);
    if (req.path.endsWith('/embeddings')) return embeddings(res, body, d.noUsage);
    if (req.path.endsWith('/images/generations')) return images(res, body, `http://${req.headers.host}`);
    sendJson(res, 404, errorBody(404, `Unknown path ${req.path}`));
  });
}

/** The key as OpenAI reads it: a bearer token, or Azure's `api-key` header. */
function keyOf(req: RecordedRequest): string | undefined {
  const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  const azure = req.headers['api-key'];
  return bearer ?? (typeof azure === 'string' && azure ? azure : undefined);
}

export const FAKE_OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4o'];

function modelList(req: RecordedRequest, res: http.ServerResponse) {
  const marker = markerOf(req);
  if (marker === 'throttled') return sendJson(res, 429, errorBody(429, 'Rate limit reached for requests. Please try again in 20s.'));
  const ids = marker === 'noModels' ? [] : FAKE_OPENAI_MODELS;
  sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) });
}

/** The legacy dashboard balance (US$): 120.5 available, 1.25 for a `lowBalance` credential. */
function creditGrants(req: RecordedRequest, res: http.ServerResponse) {
  const available = markerOf(req) === 'lowBalance' ? 1.25 : 120.5;
  const granted = 150;
  sendJson(res, 200, {
    object: 'credit_summary',
    total_granted: granted,
    total_used: granted - available,
    total_available: available,
    grants: { object: 'list', data: [{ object: 'credit_grant', id: 'grant-fake', grant_amount: granted, used_amount: granted - available, effective_at: 1_700_000_000, expires_at: 1_800_000_000 }] },
  });
}

const pace = (body: Json) => Number(/\[\[pace:(\d+)\]\]/.exec(textOf(body))?.[1] ?? 0);

async function chat(req: RecordedRequest, res: http.ServerResponse, body: Json, stall: boolean, noUsage: boolean, tool: boolean, paceMs: number, leak: boolean) {
  const promptTokens = wordCount(textOf(body.messages));
  const words = replyWords(lastUserText(body));
  const tools = (body.tools as { function?: { name?: string } }[] | undefined) ?? [];
  const callTool = tool && tools.length > 0;
  const completionTokens = callTool ? 5 : words.length;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const id = `chatcmpl-fake${req.path.length}${promptTokens}`;
  const base = { id, object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model };
  const toolCall = { id: 'call_fake1', type: 'function', function: { name: tools[0]?.function?.name ?? 'tool', arguments: '{"city":"Paris"}' } };

  if (body.stream !== true) {
    const message = callTool ? { role: 'assistant', content: null, tool_calls: [toolCall] } : { role: 'assistant', content: words.join(' ') };
    return sendJson(res, 200, {
      id, object: 'chat.completion', created: 1_700_000_000, model: body.model,
      choices: [{ index: 0, message, finish_reason: callTool ? 'tool_calls' : 'stop' }],
      ...(noUsage ? {} : { usage }),
    });
  }
  startSse(res);
  writeSse(res, { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  if (stall) return; // headers and one chunk, then silence: the gateway's idle timeout must end it.
  if (leak) {
    writeSse(res, leakyErrorBody(500, credentialOf(req)));
    return void res.end();
  }
  if (callTool) {
    writeSse(res, { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...toolCall, function: { name: toolCall.function.name, arguments: '' } }] }, finish_reason: null }] });
    for (const part of ['{"city":', '"Paris"}']) {
      writeSse(res, { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: part } }] }, finish_reason: null }] });
    }
  } else {
    // `[[utf8-split]]`: each word ends in two Chinese characters, and its event reaches the gateway cut inside one.
    const split = textOf(body).includes('[[utf8-split]]');
    for (const [i, word] of words.entries()) {
      if (paceMs) await sleep(paceMs);
      if (res.destroyed) return;
      const chunk = { ...base, choices: [{ index: 0, delta: { content: `${i === 0 ? '' : ' '}${word}${split ? '通行' : ''}` }, finish_reason: null }] };
      if (split) await writeSseSplit(res, chunk);
      else writeSse(res, chunk);
    }
  }
  writeSse(res, { ...base, choices: [{ index: 0, delta: {}, finish_reason: callTool ? 'tool_calls' : 'stop' }] });
  const wantsUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  if (wantsUsage && !noUsage) writeSse(res, { ...base, choices: [], usage });
  writeSse(res, '[DONE]');
  res.end();
}

function completion(req: RecordedRequest, res: http.ServerResponse, body: Json, noUsage: boolean, leak: boolean) {
  const promptTokens = wordCount(textOf(body.prompt));
  const words = replyWords(textOf(body.prompt));
  const usage = { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length };
  const base = { id: 'cmpl-fake', object: 'text_completion', created: 1_700_000_000, model: body.model };
  if (body.stream !== true) {
    return sendJson(res, 200, { ...base, choices: [{ index: 0, text: words.join(' '), finish_reason: 'stop', logprobs: null }], ...(noUsage ? {} : { usage }) });
  }
  startSse(res);
  for (const [i, word] of words.entries()) {
    writeSse(res, { ...base, choices: [{ index: 0, text: i === 0 ? word : ` ${word}`, finish_reason: null, logprobs: null }] });
    if (leak) {
      writeSse(res, leakyErrorBody(500, credentialOf(req)));
      return void res.end();
    }
  }
  writeSse(res, { ...base, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: null }] });
  const wantsUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  if (wantsUsage && !noUsage) writeSse(res, { ...base, choices: [], usage });
  writeSse(res, '[DONE]');
  res.end();
}

function embeddings(res: http.ServerResponse, body: Json, noUsage: boolean) {
  const inputs = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
  const vector = (i: number) => [0.1 * (i + 1), -0.2, 0.3, 0.05];
  const encode = (v: number[]) => Buffer.from(new Float32Array(v).buffer).toString('base64');
  const promptTokens = wordCount(textOf(inputs));
  sendJson(res, 200, {
    object: 'list',
    data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding: body.encoding_format === 'base64' ? encode(vector(i)) : vector(i) })),
    model: body.model,
    ...(noUsage ? {} : { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }),
  });
}

/** Links to nowhere, or with `[[hosted]]` in the prompt links this fake serves (a real PNG); `[[b64]]`: the bytes inline. */
function images(res: http.ServerResponse, body: Json, origin: string) {
  const n = typeof body.n === 'number' ? body.n : 1;
  const prompt = String(body.prompt);
  const item = (i: number) =>
    prompt.includes('[[b64]]')
      ? { b64_json: fakePng(i).toString('base64'), revised_prompt: prompt }
      : { url: prompt.includes('[[hosted]]') ? `${origin}/hosted-images/${i}.png` : `https://images.example.invalid/fake-${i}.png`, revised_prompt: prompt };
  sendJson(res, 200, { created: 1_700_000_000, data: Array.from({ length: n }, (_, i) => item(i)) });
}

/**
 * `[[fill]]`: the most the request allows, as a real upstream may generate it — every choice runs to its limit
 * (`max_completion_tokens`, else `max_tokens`, else 16, OpenAI's completions default), `n` choices, and for completions
 * `best_of` of them generated and billed while `n` are returned. Non-streamed chat and text completions.
 */
function fill(req: RecordedRequest, res: http.ServerResponse, body: Json) {
  const limit = Number(body.max_completion_tokens ?? body.max_tokens ?? 16);
  const n = Number(body.n ?? 1);
  const generated = Math.max(n, Number(body.best_of ?? 1));
  const chatRequest = req.path.endsWith('/chat/completions');
  const promptTokens = wordCount(textOf(chatRequest ? body.messages : body.prompt));
  const text = replyWords('fill', limit).join(' ');
  const choices = Array.from({ length: n }, (_, index) =>
    chatRequest ? { index, message: { role: 'assistant', content: text }, finish_reason: 'length' } : { index, text, finish_reason: 'length', logprobs: null },
  );
  sendJson(res, 200, {
    id: 'cmpl-fill', object: chatRequest ? 'chat.completion' : 'text_completion', created: 1_700_000_000, model: body.model, choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: limit * generated, total_tokens: promptTokens + limit * generated },
  });
}
