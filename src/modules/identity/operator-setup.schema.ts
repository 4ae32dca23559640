import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';
import { Password, RegisterBody, Username } from './auth.schema.ts';

// A link's token is 43 base64url characters; anything up to 256 is looked up (and simply not found), longer is refused.
const SetupToken = z.string().min(1).max(256);

export const SetupLinkQuery = z.strictObject({ token: SetupToken });

export const SetupLinkResponse = studioEnvelope(
  z.object({
    valid: z.boolean(),
    /** The link creates the first operator: no name or email is known yet. */
    creates_operator: z.boolean(),
    username: z.string().nullable(),
    email: z.string().nullable(),
  }),
);

/** The register rules for the email and the password; a username only for a link that creates the operator. */
export const RedeemSetupBody = z.strictObject({
  token: SetupToken,
  email: RegisterBody.shape.email,
  password: Password,
  username: Username.optional(),
});
