import crypto from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import type { SmsProvider, SmsTemplate } from '../../platform/sms.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import { smsCodes, suppliers, type SmsPurpose } from './supply.tables.ts';

// One-time SMS codes: 6 random digits, kept only as a keyed hash, valid 5 minutes, used once, one per user and purpose
// per minute. Only the newest code of a user and purpose counts: sending a new one retires the previous.

export const SMS_CODE_TTL_MS = 5 * 60 * 1000;
export const SMS_RESEND_MS = 60 * 1000;

const TEMPLATES: Record<SmsPurpose, SmsTemplate> = { phone: 'phone_verification', phone_change: 'phone_change_verification', withdraw: 'withdraw_verification' };

/**
 * `ok`: right and now used up. `used`: right, but already used (a double submit, not a guess). `wrong`: no live code,
 * expired, sent to another number, or not the code.
 */
export type CodeVerdict = 'ok' | 'used' | 'wrong';

export function createSmsCodes(deps: { database: Database; clock: Clock; sms: SmsProvider; secret: string }) {
  const { database, clock, sms } = deps;
  const key = Buffer.from(deps.secret, 'hex');
  // A keyed hash: six digits hashed plainly would be read back from a leaked table in a millisecond.
  const hash = (userId: number, purpose: SmsPurpose, code: string) => crypto.createHmac('sha256', key).update(`${userId}:${purpose}:${code}`).digest('hex');

  return {
    /** Sends a fresh code to `phone`; too soon after the previous one → 429 with Retry-After. */
    async send(userId: number, purpose: SmsPurpose, phone: string): Promise<{ expiresAt: Date; resendAt: Date }> {
      const code = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
      const row = await database.transaction(async (tx) => {
        // The supplier row is the per-user lock: two sends at once cannot both find "no code in the last minute".
        await tx.select({ id: suppliers.userId }).from(suppliers).where(eq(suppliers.userId, userId)).for('update');
        const now = clock.now();
        const [last] = await tx.select().from(smsCodes).where(and(eq(smsCodes.userId, userId), eq(smsCodes.purpose, purpose))).orderBy(desc(smsCodes.id)).limit(1);
        const resendAt = last ? addMs(last.createdAt, SMS_RESEND_MS) : now;
        if (resendAt > now) {
          const seconds = Math.ceil((resendAt.getTime() - now.getTime()) / 1000);
          const err = new AppError('RATE_LIMITED', `A code was sent less than a minute ago; request another in ${seconds} s`, { retry_after_seconds: seconds });
          err.headers['retry-after'] = String(seconds);
          throw err;
        }
        const [inserted] = await tx
          .insert(smsCodes)
          .values({ userId, purpose, phone, codeHash: hash(userId, purpose, code), expiresAt: addMs(now, SMS_CODE_TTL_MS), createdAt: now })
          .returning();
        return inserted as typeof smsCodes.$inferSelect;
      });
      // The message leaves after commit (no network call inside a transaction); a failed send retires its code so
      // the user may ask again at once.
      try {
        await sms.send(phone, TEMPLATES[purpose], { code, minutes: String(SMS_CODE_TTL_MS / 60_000) });
      } catch {
        await database.db.delete(smsCodes).where(eq(smsCodes.id, row.id));
        throw new AppError('SERVICE_UNAVAILABLE', 'The SMS could not be sent; please retry');
      }
      return { expiresAt: row.expiresAt, resendAt: addMs(row.createdAt, SMS_RESEND_MS) };
    },

    /** Checks `code` against the newest code for `phone`, in the caller's transaction; uses it up when right. */
    async check(tx: Db, userId: number, purpose: SmsPurpose, phone: string, code: string): Promise<CodeVerdict> {
      const [row] = await tx.select().from(smsCodes).where(and(eq(smsCodes.userId, userId), eq(smsCodes.purpose, purpose))).orderBy(desc(smsCodes.id)).limit(1).for('update');
      const now = clock.now();
      if (!row || row.phone !== phone || row.expiresAt <= now) return 'wrong';
      const given = hash(userId, purpose, code);
      if (!crypto.timingSafeEqual(Buffer.from(given), Buffer.from(row.codeHash))) return 'wrong';
      if (row.consumedAt) return 'used';
      await tx.update(smsCodes).set({ consumedAt: now }).where(eq(smsCodes.id, row.id));
      return 'ok';
    },

    /** Retires the newest code of a purpose (a wrong phone code is not given a second guess). */
    async retire(tx: Db, userId: number, purpose: SmsPurpose): Promise<void> {
      const [row] = await tx.select({ id: smsCodes.id }).from(smsCodes).where(and(eq(smsCodes.userId, userId), eq(smsCodes.purpose, purpose))).orderBy(desc(smsCodes.id)).limit(1);
      if (row) await tx.update(smsCodes).set({ consumedAt: clock.now() }).where(eq(smsCodes.id, row.id));
    },
  };
}

export type SmsCodes = ReturnType<typeof createSmsCodes>;
