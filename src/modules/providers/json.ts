// The checks every translating adapter makes on untyped JSON (client bodies, upstream answers).

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A positive whole number from a client body (`n`, `max_tokens`…), else undefined. */
export const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** `undefined` for anything that is not JSON: a malformed upstream payload is treated like an absent one. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether JSON text has the key `"name"` with a value other than null, read without parsing it. OpenAI sends
 * `"usage":null` in every chunk of a stream that asked for usage: a scan of the text is ~0.35 µs, a parse ~1 µs and
 * an object to collect. A quote inside a string value is escaped, so `"name"` followed by a colon is always a key.
 */
export function namesValue(text: string, name: string): boolean {
  const key = `"${name}"`;
  for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + key.length)) {
    let i = skipSpace(text, at + key.length);
    if (text.charCodeAt(i) !== 58 /* : */) continue;
    i = skipSpace(text, i + 1);
    if (!text.startsWith('null', i)) return true;
  }
  return false;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && text.charCodeAt(i) <= 32) i += 1;
  return i;
}
