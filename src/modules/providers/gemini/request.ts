import type { UpstreamPost, UpstreamTarget } from '../types.ts';
import { isRecord, parseJson } from '../json.ts';
import { requestedOutputLimit } from '../output-limit.ts';
import { toGeminiSchema } from './schema.ts';

// OpenAI chat / embeddings requests → Gemini v1beta requests. Gemini has no system role (a separate
// `systemInstruction`), calls the assistant `model`, answers tool results inside a user turn, and wants turns to
// alternate, so consecutive turns of one role are merged.

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

interface ChatToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatMessage {
  role?: string;
  content?: unknown;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  name?: string;
}

export function buildGeminiRequest(body: Record<string, unknown>, target: UpstreamTarget, stream: boolean): UpstreamPost {
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return call(target, method, toGeminiChat(body));
}

export function buildGeminiEmbeddingsRequest(body: Record<string, unknown>, target: UpstreamTarget): UpstreamPost {
  return call(target, 'batchEmbedContents', toGeminiEmbeddings(body, target.model));
}

/** The key goes in `x-goog-api-key`, never in `?key=`: URLs end up in access logs. */
function call(target: UpstreamTarget, method: string, payload: unknown): UpstreamPost {
  return {
    url: `${target.baseUrl}/v1beta/models/${bareModel(target.model)}:${method}`,
    headers: { 'content-type': 'application/json', 'x-goog-api-key': target.credential },
    body: JSON.stringify(payload),
  };
}

/** Gemini's resource names are `models/<id>`; operators paste either form. */
const bareModel = (model: string) => model.replace(/^models\//, '');

export function toGeminiChat(body: Record<string, unknown>): Record<string, unknown> {
  const messages = Array.isArray(body.messages) ? (body.messages.filter(isRecord) as ChatMessage[]) : [];
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer');
  const systemText = system.map((m) => textOf(m.content)).filter(Boolean).join('\n\n');
  const tools = toolsOf(body.tools);
  return omitUndefined({
    systemInstruction: systemText ? { parts: [{ text: systemText }] } : undefined,
    contents: contentsOf(messages.filter((m) => !system.includes(m))),
    tools,
    toolConfig: tools ? toolConfigOf(body.tool_choice) : undefined,
    generationConfig: generationConfigOf(body),
  });
}

function contentsOf(messages: ChatMessage[]): GeminiContent[] {
  const toolNames = new Map<string, string>();
  const turns: GeminiContent[] = [];
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) {
      if (call.id && call.function?.name) toolNames.set(call.id, call.function.name);
    }
    const turn = turnOf(message, toolNames);
    if (turn.parts.length === 0) continue;
    const previous = turns.at(-1);
    if (previous?.role === turn.role) previous.parts.push(...turn.parts);
    else turns.push(turn);
  }
  return turns;
}

function turnOf(message: ChatMessage, toolNames: Map<string, string>): GeminiContent {
  if (message.role === 'assistant') {
    const calls = (message.tool_calls ?? []).map((call) => ({
      functionCall: { name: call.function?.name ?? '', args: parseArgs(call.function?.arguments) },
    }));
    return { role: 'model', parts: [...partsOf(message.content), ...calls] };
  }
  if (message.role === 'tool' || message.role === 'function') {
    const name = (message.tool_call_id && toolNames.get(message.tool_call_id)) || message.name || '';
    return { role: 'user', parts: [{ functionResponse: { name, response: toolResult(textOf(message.content)) } }] };
  }
  return { role: 'user', parts: partsOf(message.content) };
}

function partsOf(content: unknown): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: unknown): GeminiPart[] => {
    if (!isRecord(part)) return [];
    if (part.type === 'text' && typeof part.text === 'string') return [{ text: part.text }];
    if (part.type === 'image_url') {
      const url = isRecord(part.image_url) ? part.image_url.url : part.image_url;
      return typeof url === 'string' ? [imagePart(url)] : [];
    }
    return [];
  });
}

/** A message's text, whether `content` is a string or an array of text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return partsOf(content).map((p) => p.text ?? '').join('');
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  heic: 'image/heic', heif: 'image/heif', pdf: 'application/pdf',
};

export function imagePart(url: string): GeminiPart {
  const data = DATA_URL.exec(url);
  if (data) {
    const [, mimeType, params = '', payload = ''] = data;
    // Gemini wants base64; a data URL may also carry its payload percent-encoded.
    const base64 = params.includes(';base64') ? payload : Buffer.from(decodeURIComponent(payload)).toString('base64');
    return { inlineData: { mimeType: mimeType || 'image/jpeg', data: base64 } };
  }
  const path = url.split(/[?#]/)[0] ?? '';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  return { fileData: { mimeType: IMAGE_TYPES[extension] ?? 'image/jpeg', fileUri: url } };
}

/** Gemini's `args` is a Struct: a JSON object. Anything else (a model's malformed arguments) becomes `{}`. */
function parseArgs(json: string | undefined): Record<string, unknown> {
  const parsed = parseJson(json ?? '');
  return isRecord(parsed) ? parsed : {};
}

/** `response` is a Struct too: a tool's JSON object goes as is, any other result is wrapped. */
function toolResult(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  return isRecord(parsed) ? parsed : { content: text };
}

function toolsOf(tools: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const declarations = tools
    .filter((t): t is { function: Record<string, unknown> } => isRecord(t) && t.type === 'function' && isRecord(t.function))
    .map(({ function: fn }) => {
      const parameters = toGeminiSchema(fn.parameters);
      // Gemini refuses an OBJECT with no properties ("should be non-empty for OBJECT type"): a function without
      // arguments simply has no `parameters`.
      const hasArguments = isRecord(parameters.properties) && Object.keys(parameters.properties).length > 0;
      return omitUndefined({ name: fn.name, description: fn.description, parameters: hasArguments ? parameters : undefined });
    });
  return declarations.length ? [{ functionDeclarations: declarations }] : undefined;
}

const TOOL_MODES: Record<string, string> = { none: 'NONE', auto: 'AUTO', required: 'ANY' };

function toolConfigOf(choice: unknown): Record<string, unknown> | undefined {
  if (typeof choice === 'string' && TOOL_MODES[choice]) return { functionCallingConfig: { mode: TOOL_MODES[choice] } };
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return undefined;
}

function generationConfigOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  const config = omitUndefined({
    temperature: numberOr(body.temperature),
    topP: numberOr(body.top_p),
    maxOutputTokens: requestedOutputLimit(body),
    stopSequences: Array.isArray(stop) && stop.length ? stop : undefined,
    candidateCount: numberOr(body.n),
    seed: numberOr(body.seed),
    ...responseFormatOf(body.response_format),
  });
  return Object.keys(config).length ? config : undefined;
}

function responseFormatOf(format: unknown): Record<string, unknown> {
  if (!isRecord(format)) return {};
  if (format.type === 'json_object') return { responseMimeType: 'application/json' };
  if (format.type === 'json_schema' && isRecord(format.json_schema)) {
    return { responseMimeType: 'application/json', responseSchema: toGeminiSchema(format.json_schema.schema) };
  }
  return {};
}

/** OpenAI embeddings input (a string or strings) → one `batchEmbedContents` call. */
export function toGeminiEmbeddings(body: Record<string, unknown>, model: string): Record<string, unknown> {
  // Token-id inputs (number arrays) cannot be sent: Gemini does not share OpenAI's tokenizer.
  const inputs = (Array.isArray(body.input) ? body.input : [body.input]).filter((i): i is string => typeof i === 'string');
  const dimensions = numberOr(body.dimensions);
  return {
    requests: inputs.map((text) =>
      omitUndefined({ model: `models/${bareModel(model)}`, content: { parts: [{ text }] }, outputDimensionality: dimensions }),
    ),
  };
}

const numberOr = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function omitUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
