import { eq } from 'drizzle-orm';
import type { Database } from '../../platform/db.ts';
import { AppError, badRequest, notFound } from '../../platform/errors.ts';
import { maskPhone, normalizeMainlandPhone } from '../../platform/sms.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { SmsCodes } from './sms-codes.ts';
import { suppliers } from './supply.tables.ts';

// The supplier's own profile: a display name and the phone that withdrawal codes go to. A phone is stored only once
// the code sent to it came back, so "has a phone" means "has a verified phone".

export type SupplierRow = typeof suppliers.$inferSelect;

export interface ProfileChange {
  displayName?: string | null;
  phone?: string;
  smsCode?: string;
}

function parsePhone(input: string): string {
  const phone = normalizeMainlandPhone(input);
  if (!phone) throw badRequest('phone must be a mainland China mobile number such as 13812345678 (optionally +86)', { field: 'body.phone' });
  return phone;
}

export function createProfileService(deps: { database: Database; clock: Clock; codes: SmsCodes; audit: AuditLog }) {
  const { database, clock, codes, audit } = deps;

  async function get(userId: number): Promise<SupplierRow> {
    const [row] = await database.db.select().from(suppliers).where(eq(suppliers.userId, userId));
    if (!row) throw notFound('Supplier profile');
    return row;
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

    async update(userId: number, change: ProfileChange, requestId: string): Promise<SupplierRow> {
      const phone = change.phone === undefined ? undefined : parsePhone(change.phone);
      if (phone && !change.smsCode) throw badRequest('A new phone needs the SMS code sent to it', { field: 'body.sms_code' });
      const outcome = await database.transaction(async (tx) => {
        const [before] = await tx.select().from(suppliers).where(eq(suppliers.userId, userId)).for('update');
        if (!before) throw notFound('Supplier profile');
        const now = clock.now();
        const patch: Partial<SupplierRow> = { updatedAt: now };
        if (change.displayName !== undefined) patch.displayName = change.displayName;
        if (phone) {
          if ((await codes.check(tx, userId, 'phone', phone, change.smsCode as string)) !== 'ok') {
            // The code is retired (committed) before answering: six digits get one guess each.
            await codes.retire(tx, userId, 'phone');
            return { refused: new AppError('VALIDATION_FAILED', 'The SMS code is wrong or has expired; request a new one', { field: 'body.sms_code' }) };
          }
          Object.assign(patch, { phone, phoneVerifiedAt: now });
        }
        const [after] = await tx.update(suppliers).set(patch).where(eq(suppliers.userId, userId)).returning();
        if (phone && phone !== before.phone) {
          await audit.record(tx, {
            actorUserId: userId, tenantUserId: userId, action: 'supplier.phone_verified', objectType: 'supplier', objectId: String(userId),
            before: { phone: before.phone ? maskPhone(before.phone) : null }, after: { phone: maskPhone(phone) }, requestId,
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
