import { eq } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { formatStudioTime, type Clock } from '../../platform/time.ts';
import type { AccountStanding } from '../identity/users.service.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { memberships, type MembershipRow, type MembershipType } from './commerce.tables.ts';
import { addMonths, creditsOf, MEMBERSHIP_PLANS } from './pricing.ts';

export function createMembershipService(deps: { database: Database; clock: Clock; ledger: Ledger }) {
  const { database, clock, ledger } = deps;

  async function current(userId: number, db: Db = database.db): Promise<MembershipRow | undefined> {
    const [row] = await db.select().from(memberships).where(eq(memberships.userId, userId));
    return row;
  }

  return {
    current,

    isMember: async (userId: number, db?: Db) => {
      const m = await current(userId, db);
      return m !== undefined && m.endsAt > clock.now();
    },

    /** Adds a plan's months from the current expiry while still a member, else from now. Returns the new end. */
    async extend(tx: Db, userId: number, type: MembershipType): Promise<Date> {
      const now = clock.now();
      // A lapsed placeholder first, so there is always a row to lock: two first purchases at once would otherwise
      // both read "no membership" and the later upsert would overwrite the earlier one's months.
      await tx.insert(memberships).values({ userId, type, startedAt: now, endsAt: now, updatedAt: now }).onConflictDoNothing();
      const [row] = await tx.select().from(memberships).where(eq(memberships.userId, userId)).for('update');
      const active = row !== undefined && row.endsAt > now;
      const endsAt = addMonths(active ? row.endsAt : now, MEMBERSHIP_PLANS[type].months);
      await tx
        .update(memberships)
        .set({ type, endsAt, updatedAt: now, ...(active ? {} : { startedAt: now }) })
        .where(eq(memberships.userId, userId));
      return endsAt;
    },

    /** Takes a refunded plan's months back off the end date (never before now). */
    async shorten(tx: Db, userId: number, type: MembershipType): Promise<void> {
      const [row] = await tx.select().from(memberships).where(eq(memberships.userId, userId)).for('update');
      if (!row) return;
      const now = clock.now();
      const back = addMonths(row.endsAt, -MEMBERSHIP_PLANS[type].months);
      await tx.update(memberships).set({ endsAt: back > now ? back : now, updatedAt: now }).where(eq(memberships.userId, userId));
    },

    /** The end of the user's membership as the studio shows it, or null when not a member (read in `db`). */
    async endDate(userId: number, db?: Db): Promise<string | null> {
      const m = await current(userId, db);
      return m !== undefined && m.endsAt > clock.now() ? formatStudioTime(m.endsAt) : null;
    },

    /** Balance and membership as `/auth/me`, `/auth/login` and `/credit/balance` show them. */
    async standing(userId: number): Promise<AccountStanding> {
      const [balance, m] = await Promise.all([ledger.balance(ACCOUNTS.userWallet(userId)), current(userId)]);
      const active = m !== undefined && m.endsAt > clock.now();
      return {
        credit_balance: creditsOf(balance),
        is_member: active,
        membership_type: active ? m.type : null,
        membership_end_date: active ? formatStudioTime(m.endsAt) : null,
      };
    },
  };
}

export type MembershipService = ReturnType<typeof createMembershipService>;
