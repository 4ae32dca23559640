import { z } from 'zod';

// Text we send to an upstream exactly as stored — a key in its Authorization header, a model name in its URL or
// body — must be printable ASCII without spaces. Anything else (a pasted line break, a NUL, a non-breaking space)
// breaks the request at the HTTP layer for every buyer routed to it, so it is refused where it is entered.

export const PRINTABLE_TOKEN = /^[\x21-\x7e]+$/;

export const PRINTABLE_TOKEN_MESSAGE = 'must be printable ASCII without spaces';

/** A trimmed token of `min`–`max` printable ASCII characters, no spaces. */
export const upstreamToken = (o: { min?: number; max: number }) =>
  z.string().trim().min(o.min ?? 1).max(o.max).regex(PRINTABLE_TOKEN, PRINTABLE_TOKEN_MESSAGE);
