import { countTokens } from '../../metering/tokens.ts';
import { isRecord } from '../json.ts';

// What the demo upstream says: always labelled as the demo, deterministic for a given request, so a newcomer can tell
// it from a real model and a test can predict it. A request with tools gets a call of its first (or chosen) tool with
// arguments built from the tool's JSON schema; a tool's result gets a text answer that quotes it.

type Json = Record<string, unknown>;

const LABEL = "This is Tollgate's built-in demo upstream (model tollgate-demo, free).";
const HINT = 'Add a real upstream in the console under Operator → Channels.';
/** How much of the caller's words are echoed back. */
const ECHO_CHARS = 200;
/** Schemas nest; a recursive one must not recurse forever. */
const MAX_DEPTH = 8;

export type DemoReply = { kind: 'text'; content: string } | { kind: 'tool_call'; name: string; arguments: string };

/** The answer to a validated chat request (responder.ts checks the shapes this reads). */
export function demoReply(body: Json): DemoReply {
  const messages = body.messages as Json[];
  const last = messages.at(-1) as Json;
  if (last.role === 'tool') {
    return { kind: 'text', content: `${LABEL} The tool \`${toolNameOf(messages, last)}\` returned: “${echo(textOf(last.content))}”. ${HINT}` };
  }
  const tool = chosenTool(body);
  if (tool) return { kind: 'tool_call', name: tool.name, arguments: JSON.stringify(sampleObject(tool.parameters, 0)) };
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return { kind: 'text', content: user ? `${LABEL} You said: “${echo(textOf(user.content))}”. ${HINT}` : `${LABEL} ${HINT}` };
}

/** The text of a message's content: a string, or the text parts of an array (images are not echoed). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.flatMap((p) => (isRecord(p) && typeof p.text === 'string' ? [p.text] : [])).join(' ');
}

function echo(text: string): string {
  const chars = Array.from(text.trim());
  return chars.length > ECHO_CHARS ? `${chars.slice(0, ECHO_CHARS).join('')}…` : chars.join('');
}

/** The function the assistant called, found by the result's `tool_call_id`. */
function toolNameOf(messages: Json[], result: Json): string {
  for (const m of messages) {
    if (!Array.isArray(m.tool_calls)) continue;
    const call = (m.tool_calls as unknown[]).find((c) => isRecord(c) && c.id === result.tool_call_id);
    if (isRecord(call) && isRecord(call.function) && typeof call.function.name === 'string') return call.function.name;
  }
  return 'tool';
}

/** The tool to call: the one `tool_choice` names, else the first; none when `tool_choice` is `none`. */
function chosenTool(body: Json): { name: string; parameters: unknown } | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  if (tools.length === 0 || body.tool_choice === 'none') return undefined;
  const named = isRecord(body.tool_choice) && isRecord(body.tool_choice.function) ? body.tool_choice.function.name : undefined;
  const fn = (t: Json) => t.function as { name: string; parameters?: unknown };
  const tool = tools.find((t) => fn(t).name === named) ?? (tools[0] as Json);
  return { name: fn(tool).name, parameters: fn(tool).parameters };
}

/** An object holding every required property of `schema`, each a value its own schema allows. */
export function sampleObject(schema: unknown, depth: number): Json {
  if (!isRecord(schema) || !isRecord(schema.properties) || depth > MAX_DEPTH) return {};
  const properties = schema.properties;
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  return Object.fromEntries(required.map((name) => [name, sampleValue(properties[name], name, depth + 1)]));
}

function sampleValue(schema: unknown, name: string, depth: number): unknown {
  if (!isRecord(schema)) return `demo ${name}`;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const option = [schema.anyOf, schema.oneOf].find((o): o is unknown[] => Array.isArray(o) && o.length > 0)?.[0];
  if (option !== undefined) return sampleValue(option, name, depth);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? (types.includes('null') ? 'null' : isRecord(schema.properties) ? 'object' : 'string');
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
  switch (type) {
    case 'integer':
      return Math.ceil(minimum);
    case 'number':
      return minimum;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'object':
      return sampleObject(schema, depth);
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return depth > MAX_DEPTH ? [] : Array.from({ length: count }, () => sampleValue(schema.items, name, depth + 1));
    }
    default:
      return `demo ${name}`;
  }
}

/**
 * `text` cut to at most `limit` tokens (the longest prefix that fits, by the project's tokenizer), as an upstream stops
 * at `max_tokens`; `truncated` makes the finish reason `length`.
 */
export async function fitTokens(text: string, limit: number | undefined): Promise<{ text: string; tokens: number; truncated: boolean }> {
  const tokens = await countTokens(text);
  if (limit === undefined || tokens <= limit) return { text, tokens, truncated: false };
  const chars = Array.from(text);
  let fits = 0;
  let over = chars.length;
  while (over - fits > 1) {
    const mid = Math.floor((fits + over) / 2);
    if ((await countTokens(chars.slice(0, mid).join(''))) <= limit) fits = mid;
    else over = mid;
  }
  const cut = chars.slice(0, fits).join('');
  return { text: cut, tokens: await countTokens(cut), truncated: true };
}
