import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';

// NFKC folds look-alike forms ('ａｄｍｉｎ', ideographic spaces) into the plain ones, so nobody can
// register a name that reads as an operator's or as another user's.
export const Username = z
  .string()
  .normalize('NFKC')
  .trim()
  .min(3, 'must be 3–32 characters')
  .max(32, 'must be 3–32 characters')
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'may contain letters, digits, "_", "." and "-" only');

export const Password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');

export const RegisterBody = z.strictObject({
  username: Username,
  email: z.email().max(254),
  password: Password,
  /** A referrer's code (`/register?ref=…`); an unknown code registers the user without a referrer. */
  ref: z.string().trim().max(64).optional(),
});

export const LoginBody = z.strictObject({
  /** The username or the email. */
  username: z.string().normalize('NFKC').trim().min(1).max(254),
  password: z.string().min(1).max(128),
});

export const ChangePasswordBody = z.strictObject({
  old_password: z.string().min(1).max(128),
  new_password: Password,
});

const Standing = {
  credit_balance: z.number(),
  is_member: z.boolean(),
  membership_type: z.string().nullable(),
};

export const RegisterResponse = studioEnvelope(
  z.object({
    id: z.number().int(),
    username: z.string(),
    email: z.string(),
    ...Standing,
    referral_code: z.string(),
  }).omit({ membership_type: true }),
);

export const LoginResponse = studioEnvelope(
  z.object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal('bearer'),
    user: z.object({ id: z.number().int(), username: z.string(), email: z.string().nullable(), ...Standing }),
  }),
);

export const RefreshResponse = studioEnvelope(
  z.object({ access_token: z.string(), token_type: z.literal('bearer'), refresh_token: z.string().optional() }),
);

export const MeResponse = studioEnvelope(
  z.object({
    id: z.number().int(),
    username: z.string(),
    email: z.string().nullable(),
    role: z.enum(['user', 'supplier', 'admin']),
    ...Standing,
    membership_end_date: z.string().nullable(),
    referral_code: z.string(),
  }),
);
