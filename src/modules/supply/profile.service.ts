import { eq } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { AppError, badRequest, notFound } from '../../platform/errors.ts';
import { maskPhone, normalizeMainlandPhone } from '../../platform/sms.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { lockedError, nextWrongAttempt } from './settlement-rules.ts';
import { setSmsFailures } from './settlements.repo.ts';
import type { SmsCodes } from './sms-codes.ts';
import { suppliers } from './supply.tables.ts';

// The supplier's own profile: a display name and the phone that withdrawal codes go to. A phone is stored only once
// the code sent to it came back, so "has a phone" means "has a verified phone".
//
// The phone is the withdrawals' second factor, so a session alone must not be able to move it: replacing a phone
// needs, besides the new phone's code, a code sent to the current phone; binding the first one needs the account
// password. Wrong ones count with wrong withdrawal codes (five lock both for 15 minutes), and a replaced phone pauses
// withdrawals for 24 hours (settlement-rules.ts), so a hijacked session that swapped it cannot cash out at once.

export type SupplierRow = typeof suppliers.$inferSelect;

export interface ProfileChange {
  displayName?: string | null;
  phone?: string;
  /** The code sent to the new phone. */
  smsCode?: string;
  /** The code sent to the current phone (replacing it). */
  currentPhoneCode?: string;
  /** The account password (binding a first phone). */
  password?: string;
}

function parsePhone(input: string): string {
  const phone = normalizeMainlandPhone(input);
  if (!phone) throw badRequest('phone must be a mainland China mobile number such as 13812345678 (optionally +86)', { field: 'body.phone' });
  return phone;
}

const wrongCode = (field: string) => new AppError('VALIDATION_FAILED', 'The SMS code is wrong or has expired; request a new one', { field });

export function createProfileService(deps: {
  database: Database;
  clock: Clock;
  codes: SmsCodes;
  audit: AuditLog;
  /** Whether `password` is the user's account password. */
  passwordMatches: (userId: number, password: string) => Promise<boolean>;
}) {
  const { database, clock, codes, audit } = deps;

  async function get(userId: number): Promise<SupplierRow> {
    const [row] = await database.db.select().from(suppliers).where(eq(suppliers.userId, userId));
    if (!row) throw notFound('Supplier profile');
    return row;
  }

  /** A wrong second factor counts (nextWrongAttempt); the refusal names the field and what is left. */
  async function countWrong(tx: Db, row: SupplierRow, field: string, now: Date): Promise<AppError> {
    const next = nextWrongAttempt(row.smsFailures, now);
    await setSmsFailures(tx, row.userId, next.failures, next.lockedUntil, now);
    if (next.lockedUntil) return lockedError(next.lockedUntil);
    const what = field === 'body.password' ? 'The password is wrong' : 'The code sent to your current phone is wrong or has expired';
    return new AppError('VALIDATION_FAILED', `${what}; ${next.left} more wrong attempt(s) lock withdrawals and phone changes for 15 minutes`, {
      field, attempts_left: next.left,
    });
  }

  /**
   * The second factor for moving the phone away from `before`: the current phone's code, or the password when none is
   * bound (checked before the transaction: argon2 takes a while). Undefined when it holds; otherwise the refusal.
   */
  async function secondFactor(tx: Db, before: SupplierRow, change: ProfileChange, passwordOk: boolean | undefined, now: Date) {
    if (before.withdrawLockedUntil && before.withdrawLockedUntil > now) return lockedError(before.withdrawLockedUntil);
    if (!before.phone) return passwordOk ? undefined : countWrong(tx, before, 'body.password', now);
    if ((await codes.check(tx, before.userId, 'phone_change', before.phone, change.currentPhoneCode as string)) === 'ok') return undefined;
    await codes.retire(tx, before.userId, 'phone_change');
    return countWrong(tx, before, 'body.current_phone_code', now);
  }

  return {
    get,

    /** The verified phone withdrawal codes go to; without one, withdrawing is refused with a clear message. */
    async verifiedPhone(userId: number): Promise<string> {
      const row = await get(userId);
      if (!row.phone || !row.phoneVerifiedAt) {
        throw new AppError('SUP_SET_4003', 'Verify a phone number in your supplier profile before withdrawing', { reason: 'phone_not_verified' });
      }
      return row.phone;
    },

    /** Sends the code that proves `phoneInput` is the supplier's. */
    async sendPhoneCode(userId: number, phoneInput: string) {
      const phone = parsePhone(phoneInput);
      return { phone, ...(await codes.send(userId, 'phone', phone)) };
    },

    /** Sends the code that approves replacing the current phone, to the current phone. */
    async sendCurrentPhoneCode(userId: number) {
      const { phone } = await get(userId);
      if (!phone) throw badRequest('No phone is bound yet: bind the first one with your account password');
      return { phone, ...(await codes.send(userId, 'phone_change', phone)) };
    },

    async update(userId: number, change: ProfileChange, requestId: string): Promise<SupplierRow> {
      const phone = change.phone === undefined ? undefined : parsePhone(change.phone);
      if (phone && !change.smsCode) throw badRequest('A new phone needs the SMS code sent to it', { field: 'body.sms_code' });
      const current = phone ? await get(userId) : undefined;
      const moving = Boolean(phone && current && phone !== current.phone);
      if (moving && current?.phone && !change.currentPhoneCode) {
        throw badRequest(`Replacing the phone ${maskPhone(current.phone)} needs the code sent to it (POST /api/v1/supply/profile/current-phone/sms-code)`, {
          field: 'body.current_phone_code',
        });
      }
      if (moving && !current?.phone && !change.password) throw badRequest('Binding a phone needs your account password', { field: 'body.password' });
      const passwordOk = moving && !current?.phone ? await deps.passwordMatches(userId, change.password as string) : undefined;

      const outcome = await database.transaction(async (tx) => {
        const [before] = await tx.select().from(suppliers).where(eq(suppliers.userId, userId)).for('update');
        if (!before) throw notFound('Supplier profile');
        const now = clock.now();
        const patch: Partial<SupplierRow> = { updatedAt: now };
        if (change.displayName !== undefined) patch.displayName = change.displayName;
        const replacing = Boolean(phone && phone !== before.phone);
        if (phone && replacing) {
          // Refusals return rather than throw: the retired codes and the failure count must commit.
          const refused = await secondFactor(tx, before, change, passwordOk, now);
          if (refused) return { refused };
        }
        if (phone) {
          if ((await codes.check(tx, userId, 'phone', phone, change.smsCode as string)) !== 'ok') {
            // Six digits get one guess each.
            await codes.retire(tx, userId, 'phone');
            return { refused: wrongCode('body.sms_code') };
          }
          Object.assign(patch, { phone, phoneVerifiedAt: now });
          // The second factor held: the count of wrong attempts starts afresh, and a replaced phone starts the pause.
          if (replacing) Object.assign(patch, { smsFailures: 0 }, before.phone ? { phoneChangedAt: now } : {});
        }
        const [after] = await tx.update(suppliers).set(patch).where(eq(suppliers.userId, userId)).returning();
        if (phone && replacing) {
          await audit.record(tx, {
            actorUserId: userId, tenantUserId: userId, action: before.phone ? 'supplier.phone_changed' : 'supplier.phone_verified',
            objectType: 'supplier', objectId: String(userId),
            before: { phone: before.phone ? maskPhone(before.phone) : null }, after: { phone: maskPhone(phone) },
            reason: before.phone ? 'approved with a code sent to the previous phone; withdrawals paused for 24 hours' : 'approved with the account password',
            requestId,
          });
        }
        return { after: after as SupplierRow };
      });
      if ('refused' in outcome) throw outcome.refused;
      return outcome.after;
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
