// The two checks every Gemini transform makes on untyped JSON (client bodies, upstream answers).

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `undefined` for anything that is not JSON: callers fall back to treating the text as text. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
