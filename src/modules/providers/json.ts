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
