import crypto from 'node:crypto';
import type http from 'node:http';
import {
  applyDirectives,
  type Directives,
  credentialOf,
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

// A fake Gemini (Generative Language API v1beta) speaking its own wire format: generateContent,
// streamGenerateContent?alt=sse, batchEmbedContents and the model list, behind `x-goog-api-key`. The credential markers
// of upstream.ts steer it as Gemini would answer: a refused key is a 400 INVALID_ARGUMENT whose details say
// API_KEY_INVALID (Google's answer to a wrong key, on every endpoint), a credential with no model gets `{}` (Google's JSON
// leaves empty lists out), and a throttled one a 429 RESOURCE_EXHAUSTED on the model list.
// Token counts are predictable: one prompt token per whitespace-separated word of every text part (system instruction
// included), one reply token per word (`replyWords`: 12), FUNCTION_CALL_TOKENS for a function call, and the 2.5 models
// add THOUGHT_TOKENS of thinking (billed as output, so tests see whether an adapter counts them).

export const THOUGHT_TOKENS = 4;
export const FUNCTION_CALL_TOKENS = 5;
/** Dimensions of the fake's embedding vectors (the real text-embedding-004 has 768). */
export const EMBEDDING_DIMENSIONS = 8;

const MODELS = [
  { id: 'gemini-2.5-pro', displayName: 'Gemini 2.5 Pro', methods: ['generateContent', 'countTokens'] },
  { id: 'gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', methods: ['generateContent', 'countTokens'] },
  { id: 'gemini-2.0-flash', displayName: 'Gemini 2.0 Flash', methods: ['generateContent', 'countTokens'] },
  { id: 'text-embedding-004', displayName: 'Text Embedding 004', methods: ['embedContent', 'batchEmbedContents'] },
];

/** Google's canonical status names, which Gemini puts in `error.status`. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export const geminiError = (code: number, message: string) => ({
  error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' },
});

/** Gemini's error shape with the key in every field (its `code` too, in a stream, where no HTTP status checks it). */
export const leakyGeminiError = (status: number, key: string) => ({
  error: {
    code: status,
    message: leakyMessage(key),
    status: key,
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: key, metadata: { key } }],
  },
});

/** What Gemini answers a wrong key with: no 401, a 400 whose details name the reason. */
function badKeyError() {
  const body = geminiError(400, 'API key not valid. Please pass a valid API key.');
  return {
    error: {
      ...body.error,
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }],
    },
  };
}

interface Part {
  text?: string;
  functionCall?: unknown;
  functionResponse?: unknown;
}
interface GenerateRequest {
  contents?: { role?: string; parts?: Part[] }[];
  systemInstruction?: { parts?: Part[] };
  tools?: { functionDeclarations?: { name: string }[] }[];
}

/** What Gemini answers a call with no key at all. */
const NO_KEY_MESSAGE =
  "Method doesn't allow unregistered callers (callers without established identity). " +
  'Please use API Key or other form of API consumer identity to call this API.';

const CALL = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;

export function startFakeGemini(): Promise<FakeUpstream> {
  return startFakeServer(async (req, res) => {
    if (typeof req.headers['x-goog-api-key'] !== 'string') {
      sendJson(res, 403, geminiError(403, NO_KEY_MESSAGE));
      return;
    }
    const marker = markerOf(req);
    if (marker === 'refused') {
      sendJson(res, 400, badKeyError());
      return;
    }
    if (req.method === 'GET' && req.path === '/v1beta/models') {
      if (marker === 'throttled') sendJson(res, 429, geminiError(429, 'Resource has been exhausted (e.g. check quota).'));
      else sendJson(res, 200, marker === 'noModels' ? {} : { models: MODELS.map(listedModel) });
      return;
    }
    const [, model = '', method] = CALL.exec(req.path) ?? [];
    if (req.method !== 'POST' || !method) {
      sendJson(res, 404, geminiError(404, `Method not found: ${req.method} ${req.path}`));
      return;
    }
    if (method === 'batchEmbedContents') return embed(req, res, model);
    if (method === 'streamGenerateContent' && req.query.get('alt') !== 'sse') {
      sendJson(res, 400, geminiError(400, 'the fake streams only with alt=sse'));
      return;
    }
    return generate(req, res, model, method === 'streamGenerateContent');
  });
}

function listedModel(m: (typeof MODELS)[number]) {
  return {
    name: `models/${m.id}`,
    version: '001',
    displayName: m.displayName,
    description: `Fake ${m.displayName}`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: m.methods,
  };
}

async function generate(req: RecordedRequest, res: http.ServerResponse, model: string, stream: boolean) {
  const body = (req.body ?? {}) as GenerateRequest;
  const prompt = lastUserText(body);
  const d = directivesIn(prompt);
  if (await applyDirectives(d, req, res, geminiError, leakyGeminiError)) return;
  const fragments = replyFragments(body, prompt, d);
  const reply = fragments.flat();
  const usage = d.noUsage ? {} : { usageMetadata: usageMetadata(body, model, reply) };
  if (!stream) {
    if (d.stall) return stallJson(res);
    sendJson(res, 200, { candidates: [candidate(mergeText(reply), 'STOP')], ...usage, modelVersion: model });
    return;
  }
  startSse(res);
  for (const [i, parts] of fragments.entries()) {
    const last = i === fragments.length - 1;
    writeSse(res, { candidates: [candidate(parts, last ? 'STOP' : undefined)], ...(last ? usage : {}), modelVersion: model });
    if (d.stall) return; // one fragment, then silence: the socket stays open until the client gives up
    if (d.leakStream) {
      const key = credentialOf(req);
      writeSse(res, { error: { ...leakyGeminiError(500, key).error, code: key } });
      return void res.end();
    }
  }
  res.end();
}

/**
 * The reply in streamed slices of four words, or one fragment holding a call of the first declared function — unless
 * the conversation already ends with that call's result, when the model answers in words (no endless tool loop).
 */
function replyFragments(body: GenerateRequest, prompt: string, d: Directives): Part[][] {
  const tool = body.tools?.flatMap((t) => t.functionDeclarations ?? [])[0];
  const answeringTool = body.contents?.at(-1)?.parts?.some((p) => p.functionResponse) ?? false;
  if (d.tool && tool && !answeringTool) return [[{ functionCall: { name: tool.name, args: { city: 'Paris' } } }]];
  const words = replyWords(prompt);
  return [0, 4, 8].map((start) => [{ text: words.slice(start, start + 4).join(' ') + (start < 8 ? ' ' : '') }]);
}

const mergeText = (parts: Part[]): Part[] =>
  parts.some((p) => p.functionCall) ? parts : [{ text: parts.map((p) => p.text ?? '').join('') }];

const candidate = (parts: Part[], finishReason?: string) => ({
  content: { role: 'model', parts },
  index: 0,
  ...(finishReason ? { finishReason } : {}),
});

function usageMetadata(body: GenerateRequest, model: string, reply: Part[]) {
  const promptTokenCount = countWords([body.systemInstruction, ...(body.contents ?? [])].flatMap((c) => c?.parts ?? []));
  const candidatesTokenCount = reply.some((p) => p.functionCall) ? FUNCTION_CALL_TOKENS : countWords(reply);
  const thoughtsTokenCount = model.startsWith('gemini-2.5') ? THOUGHT_TOKENS : 0;
  return {
    promptTokenCount,
    candidatesTokenCount,
    ...(thoughtsTokenCount ? { thoughtsTokenCount } : {}),
    totalTokenCount: promptTokenCount + candidatesTokenCount + thoughtsTokenCount,
  };
}

function lastUserText(body: GenerateRequest): string {
  const turn = (body.contents ?? []).filter((c) => c.role === 'user' && c.parts?.some((p) => p.text)).at(-1);
  return (turn?.parts ?? []).map((p) => p.text ?? '').join('');
}

const countWords = (parts: Part[]) =>
  parts.reduce((n, p) => n + (p.text ?? '').split(/\s+/).filter(Boolean).length, 0);

/** Headers and half a body, then nothing: a non-streaming upstream that hangs mid-answer. */
function stallJson(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"candidates": [');
}

async function embed(req: RecordedRequest, res: http.ServerResponse, model: string) {
  const requests = ((req.body ?? {}) as { requests?: { model?: string; content?: { parts?: Part[] } }[] }).requests ?? [];
  const texts = requests.map((r) => (r.content?.parts ?? []).map((p) => p.text ?? '').join(''));
  const d = directivesIn(texts.join('\n'));
  if (await applyDirectives(d, req, res, geminiError)) return;
  const stray = requests.find((r) => r.model !== `models/${model}`);
  if (stray) {
    sendJson(res, 400, geminiError(400, `Model in request (${stray.model}) does not match the model in the URL (models/${model}).`));
    return;
  }
  sendJson(res, 200, { embeddings: texts.map((text) => ({ values: vectorOf(text) })) });
}

/** A unit vector that depends only on the text, so equal inputs embed equally. */
export function vectorOf(text: string): number[] {
  const digest = crypto.createHash('sha256').update(text).digest();
  const raw = Array.from({ length: EMBEDDING_DIMENSIONS }, (_, i) => (digest[i] ?? 0) - 127.5);
  const norm = Math.hypot(...raw);
  return raw.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}
