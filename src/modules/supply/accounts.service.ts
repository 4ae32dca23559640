import { and, count, desc, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { SecretBox } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database, type Db } from '../../platform/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { NO_RECORD, type ResponseRecord } from '../../platform/idempotency.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { supplyAccounts, type AccountStatus, type ReviewStatus, type SupplyAccountRow } from './supply.tables.ts';
import type { VerifyInput, VerifyResult } from './verify.ts';

// Supply accounts (DESIGN.md §6): a supplier mounts an upstream credential after a real verification; it is stored
// encrypted, one live mount per credential (keyed fingerprint). States: pending → active (activate, also from
// suspended), active → suspended, any → disabled by operators only; delete is refused while active. An account whose
// verification asked for review cannot be activated until an operator approves it. Every change writes an audit event.

type Action = 'activate' | 'suspend' | 'disable' | 'enable';

/** Which states each action leaves from, and where it goes. */
const TRANSITIONS: Record<Action, { from: AccountStatus[]; to: AccountStatus }> = {
  activate: { from: ['pending', 'suspended'], to: 'active' },
  suspend: { from: ['active'], to: 'suspended' },
  disable: { from: ['pending', 'active', 'suspended'], to: 'disabled' },
  enable: { from: ['disabled'], to: 'suspended' },
};

export interface Actor {
  userId: number;
  requestId: string;
}

export interface CreateAccountInput extends VerifyInput {
  alias?: string;
}

export const stateConflict = (message: string, status: string) => new AppError('SUP_ACC_4092', message, { status });

export function createAccountService(deps: {
  database: Database;
  clock: Clock;
  secrets: SecretBox;
  audit: AuditLog;
  verify: (input: VerifyInput) => Promise<VerifyResult>;
  /** The account's packages stop selling (it was deleted); returns their ids. */
  retirePackages: (tx: Db, accountId: number, actor: Actor) => Promise<number[]>;
  /** Routing must see the change at once. */
  onChange: () => void;
}) {
  const { database, clock, audit } = deps;
  const t = supplyAccounts;
  const live = (id: number, owner?: number) => and(eq(t.id, id), isNull(t.deletedAt), owner === undefined ? undefined : eq(t.supplierUserId, owner));

  async function lockLive(tx: Db, id: number, owner?: number): Promise<SupplyAccountRow> {
    const [row] = await tx.select().from(t).where(live(id, owner)).for('update');
    if (!row) throw notFound('Supply account');
    return row;
  }

  async function record(tx: Db, actor: Actor, row: SupplyAccountRow, action: string, after: Record<string, unknown>, reason?: string) {
    await audit.record(tx, {
      actorUserId: actor.userId, tenantUserId: row.supplierUserId, action: `account.${action}`, objectType: 'supply_account', objectId: String(row.id),
      before: { status: row.status, review_status: row.reviewStatus }, after, reason, requestId: actor.requestId,
    });
  }

  async function isMounted(fingerprint: string): Promise<boolean> {
    const [row] = await database.db.select({ id: t.id }).from(t).where(and(eq(t.credentialFingerprint, fingerprint), isNull(t.deletedAt))).limit(1);
    return row !== undefined;
  }

  const duplicate = () => new AppError('SUP_ACC_4221', 'This credential is already mounted as a supply account');

  async function transition(actor: Actor, id: number, action: Action, o: { owner?: number; reason?: string } = {}) {
    const row = await database.transaction(async (tx) => {
      const before = await lockLive(tx, id, o.owner);
      const rule = TRANSITIONS[action];
      if (before.status === 'disabled' && o.owner !== undefined) {
        throw stateConflict('This account was disabled by an operator; only an operator can enable it again', before.status);
      }
      if (!rule.from.includes(before.status)) throw stateConflict(`An account that is ${before.status} cannot be ${action}d`, before.status);
      if (action === 'activate' && (before.reviewStatus === 'required' || before.reviewStatus === 'rejected')) {
        throw stateConflict('This account is waiting for an operator to review its verification', before.status);
      }
      const [after] = await tx.update(t).set({ status: rule.to, updatedAt: clock.now() }).where(eq(t.id, id)).returning();
      await record(tx, actor, before, action, { status: rule.to, review_status: before.reviewStatus }, o.reason);
      return after as SupplyAccountRow;
    });
    deps.onChange();
    return row;
  }

  async function review(actor: Actor, id: number, decision: 'approved' | 'rejected', reason: string) {
    const row = await database.transaction(async (tx) => {
      const before = await lockLive(tx, id);
      if (before.reviewStatus !== 'required') throw stateConflict(`This account is not waiting for review (review ${before.reviewStatus})`, before.status);
      const status: AccountStatus = decision === 'rejected' ? 'disabled' : before.status;
      const reviewStatus: ReviewStatus = decision;
      const [after] = await tx.update(t).set({ reviewStatus, status, updatedAt: clock.now() }).where(eq(t.id, id)).returning();
      await record(tx, actor, before, decision === 'approved' ? 'approve' : 'reject', { status, review_status: reviewStatus }, reason);
      return after as SupplyAccountRow;
    });
    deps.onChange();
    return row;
  }

  return {
    verify: (input: VerifyInput) => deps.verify(input),

    /** Verifies, then mounts: a rejected verification is refused with its check items (422 SUP_ACC_4223). */
    async create(actor: Actor, input: CreateAccountInput, response: ResponseRecord<SupplyAccountRow> = NO_RECORD): Promise<SupplyAccountRow> {
      const result = await deps.verify(input);
      const dup = result.checkItems.find((c) => c.item === 'duplicate' && c.result === 'fail');
      if (dup) throw duplicate();
      if (result.verifyStatus === 'reject') {
        throw new AppError('SUP_ACC_4223', 'The credential did not pass verification', { verify_status: result.verifyStatus, risk_score: result.riskScore, check_items: result.checkItems });
      }
      try {
        return await database.transaction(async (tx) => {
          const [row] = await tx
            .insert(t)
            .values({
              supplierUserId: actor.userId, provider: input.provider, accountType: input.accountType, alias: input.alias ?? null,
              status: 'pending', verifyStatus: result.verifyStatus, reviewStatus: result.verifyStatus === 'review_required' ? 'required' : 'not_required',
              riskScore: result.riskScore, availableQuota: result.availableQuota ?? null, checkItems: result.checkItems, models: result.models,
              credentialCiphertext: deps.secrets.encrypt(input.credential), credentialFingerprint: result.fingerprint,
              createdAt: clock.now(), updatedAt: clock.now(),
            })
            .returning();
          const created = row as SupplyAccountRow;
          await audit.record(tx, {
            actorUserId: actor.userId, tenantUserId: actor.userId, action: 'account.create', objectType: 'supply_account', objectId: String(created.id),
            before: {}, after: { status: created.status, review_status: created.reviewStatus, verify_status: created.verifyStatus }, requestId: actor.requestId,
          });
          // The Idempotency-Key's response commits with the account: a retry can never mount it twice.
          await response.save(tx, created);
          return created;
        });
      } catch (err) {
        // Two suppliers racing to mount the same credential: the partial unique index lets one win.
        if (isUniqueViolation(err)) throw duplicate();
        throw err;
      }
    },

    isMounted,

    activate: (actor: Actor, id: number) => transition(actor, id, 'activate', { owner: actor.userId }),
    suspend: (actor: Actor, id: number) => transition(actor, id, 'suspend', { owner: actor.userId }),
    /** Operators only. */
    disable: (actor: Actor, id: number, reason: string) => transition(actor, id, 'disable', { reason }),
    /** Operators only: a disabled account comes back as `suspended`; its supplier decides when to activate it. */
    enable: (actor: Actor, id: number, reason: string) => transition(actor, id, 'enable', { reason }),
    approve: (actor: Actor, id: number, reason: string) => review(actor, id, 'approved', reason),
    reject: (actor: Actor, id: number, reason: string) => review(actor, id, 'rejected', reason),

    /** Soft delete; refused while active. Its live packages are unlisted with it. */
    async remove(actor: Actor, id: number): Promise<void> {
      await database.transaction(async (tx) => {
        const before = await lockLive(tx, id, actor.userId);
        if (before.status === 'active') throw stateConflict('Suspend the account before deleting it', before.status);
        await tx.update(t).set({ deletedAt: clock.now(), updatedAt: clock.now() }).where(eq(t.id, id));
        const retired = await deps.retirePackages(tx, id, actor);
        await record(tx, actor, before, 'delete', { status: before.status, deleted: true, unlisted_packages: retired });
      });
      deps.onChange();
    },

    /** One live account of `owner` (404 otherwise). */
    async get(id: number, owner?: number): Promise<SupplyAccountRow> {
      const [row] = await database.db.select().from(t).where(live(id, owner));
      if (!row) throw notFound('Supply account');
      return row;
    },

    async list(filter: { owner?: number; status?: AccountStatus; reviewStatus?: ReviewStatus }, window: { limit: number; offset: number }) {
      const conditions: (SQL | undefined)[] = [isNull(t.deletedAt)];
      if (filter.owner !== undefined) conditions.push(eq(t.supplierUserId, filter.owner));
      if (filter.status) conditions.push(eq(t.status, filter.status));
      if (filter.reviewStatus) conditions.push(eq(t.reviewStatus, filter.reviewStatus));
      const where = and(...conditions);
      const [rows, [total]] = await Promise.all([
        database.db.select().from(t).where(where).orderBy(desc(t.id)).limit(window.limit).offset(window.offset),
        database.db.select({ n: count() }).from(t).where(where),
      ]);
      return { rows, total: total?.n ?? 0 };
    },

    /** Active accounts among `ids` that belong to `owner` (for package rules). */
    async activeOf(owner: number, ids: number[]): Promise<SupplyAccountRow[]> {
      if (ids.length === 0) return [];
      return database.db.select().from(t).where(and(inArray(t.id, ids), eq(t.supplierUserId, owner), isNull(t.deletedAt), eq(t.status, 'active')));
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
