import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { supplyEnvelope, supplyOk } from '../../platform/envelopes.ts';
import { maskPhone } from '../../platform/sms.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import type { ProfileService, SupplierRow } from './profile.service.ts';
import { phoneChangeHoldUntil } from './settlement-rules.ts';
import type { SupplyAuth } from './supply.auth.ts';

// The supplier's profile (our own addition to the contract, in its envelope): display name and the verified phone.

const PhoneBody = z.strictObject({ phone: z.string().max(32).describe('Mainland mobile number, e.g. 13812345678 or +8613812345678') });

const ProfileBody = z.strictObject({
  display_name: z.string().trim().min(1).max(64).nullable().optional(),
  phone: z.string().max(32).optional().describe('A new phone; needs `sms_code` from POST /api/v1/supply/profile/sms-code'),
  sms_code: z.string().min(4).max(10).optional().describe('The code sent to the new phone'),
  current_phone_code: z
    .string()
    .min(4)
    .max(10)
    .optional()
    .describe('Replacing a bound phone: the code sent to it by POST /api/v1/supply/profile/current-phone/sms-code'),
  password: z.string().min(1).max(256).optional().describe('Binding the first phone: the account password'),
});

const ProfileView = z.object({
  user_id: z.number().int(),
  display_name: z.string().nullable(),
  phone: z.string().nullable().describe('Masked, e.g. 138****5678'),
  phone_verified: z.boolean(),
  phone_verified_at: z.string().nullable(),
  withdraw_locked_until: z.string().nullable().describe('Set after 5 wrong codes (or passwords) in a row'),
  withdraw_paused_until: z.string().nullable().describe('Withdrawals wait 24 h after the phone is replaced'),
  created_at: z.string(),
  updated_at: z.string(),
});

export const CodeSent = z.object({
  phone: z.string().describe('Masked'),
  expires_at: z.string(),
  resend_at: z.string().describe('The earliest time another code can be requested'),
});

export const codeSentView = (s: { phone: string; expiresAt: Date; resendAt: Date }) => ({
  phone: maskPhone(s.phone), expires_at: s.expiresAt.toISOString(), resend_at: s.resendAt.toISOString(),
});

function profileView(s: SupplierRow, now: Date): z.infer<typeof ProfileView> {
  const locked = s.withdrawLockedUntil && s.withdrawLockedUntil > now ? s.withdrawLockedUntil.toISOString() : null;
  return {
    user_id: s.userId,
    display_name: s.displayName,
    phone: s.phone ? maskPhone(s.phone) : null,
    phone_verified: Boolean(s.phone && s.phoneVerifiedAt),
    phone_verified_at: s.phoneVerifiedAt?.toISOString() ?? null,
    withdraw_locked_until: locked,
    withdraw_paused_until: phoneChangeHoldUntil(s.phoneChangedAt, now)?.toISOString() ?? null,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

export async function profileRoutes(root: FastifyInstance, deps: { profile: ProfileService; supplyAuth: SupplyAuth; now: () => Date }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { profile, supplyAuth, now } = deps;
  const tags = ['supply profile'];

  app.get(
    '/api/v1/supply/profile',
    { ...supplyAuth.supplier, schema: { tags, summary: 'The caller’s supplier profile', response: { 200: supplyEnvelope(ProfileView) } } },
    async (req) => supplyOk(req.id, profileView(await profile.get(principalOf(req).userId), now())),
  );

  app.post(
    '/api/v1/supply/profile/sms-code',
    {
      ...supplyAuth.supplier,
      schema: { tags, summary: 'Send a verification code to a phone (one a minute)', body: PhoneBody, response: { 200: supplyEnvelope(CodeSent) } },
    },
    async (req) => supplyOk(req.id, codeSentView(await profile.sendPhoneCode(principalOf(req).userId, req.body.phone))),
  );

  app.post(
    '/api/v1/supply/profile/current-phone/sms-code',
    {
      ...supplyAuth.supplier,
      schema: { tags, summary: 'Send the code that approves replacing the bound phone, to the bound phone (one a minute)', response: { 200: supplyEnvelope(CodeSent) } },
    },
    async (req) => supplyOk(req.id, codeSentView(await profile.sendCurrentPhoneCode(principalOf(req).userId))),
  );

  app.put(
    '/api/v1/supply/profile',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: 'Change the display name or the phone', body: ProfileBody, response: { 200: supplyEnvelope(ProfileView) },
        description: `A new phone needs \`sms_code\` (sent to it) and a second factor: \`current_phone_code\` (sent to the phone
it replaces) or, for the first phone, \`password\`. Five wrong codes or passwords in a row lock phone changes and
withdrawals for 15 minutes; replacing a phone pauses withdrawals for 24 hours (SUP_SET_4002). Audited.`,
      },
    },
    async (req) => {
      const b = req.body;
      const updated = await profile.update(
        principalOf(req).userId,
        { displayName: b.display_name, phone: b.phone, smsCode: b.sms_code, currentPhoneCode: b.current_phone_code, password: b.password },
        req.id,
      );
      return supplyOk(req.id, profileView(updated, now()));
    },
  );
}
