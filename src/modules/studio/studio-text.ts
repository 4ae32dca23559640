import { z } from 'zod';
import { hasControlCharacter } from '../../platform/control-chars.ts';

/** Free text a creator types: trimmed, 1..max characters, no control characters but line breaks and tabs. */
export const studioText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControlCharacter(s), 'must not contain control characters');
