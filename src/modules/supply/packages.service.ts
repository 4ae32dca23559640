import { and, count, desc, eq, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { parseCny } from '../../platform/money.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { ModelCatalog } from '../routing/model-catalog.service.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { Actor } from './accounts.service.ts';
import type { RoutablePackage } from './package-candidates.ts';
import { priceRefusal } from './package-prices.ts';
import { supplyAccounts, supplyPackages, type PackageStatus, type SupplyPackageRow } from './supply.tables.ts';

// Token packages (DESIGN.md §6): draft → active (publish) ↔ paused; active/paused → expired (unlist, or `valid_days`
// after the first publication, by a job); sold_out only by the system (package-charges.ts); clone any package into a
// new draft. Published packages are the router's supplier candidates (package-candidates.ts).

type Action = 'publish' | 'pause' | 'unlist';

const TRANSITIONS: Record<Action, { from: PackageStatus[]; to: PackageStatus }> = {
  publish: { from: ['draft', 'paused'], to: 'active' },
  pause: { from: ['active'], to: 'paused' },
  unlist: { from: ['active', 'paused'], to: 'expired' },
};

const DAY_MS = 24 * 3600_000;

/** sold_out and expired are final (SUP_PKG_4093); any other wrong state is SUP_PKG_4092. */
function stateError(status: PackageStatus, doing: string): AppError {
  if (status === 'sold_out' || status === 'expired') return new AppError('SUP_PKG_4093', `The package is ${status}; it cannot be ${doing}`, { status });
  return new AppError('SUP_PKG_4092', `A package that is ${status} cannot be ${doing}`, { status });
}

/** CNY per 1M tokens → µ¥ per 1M tokens; undefined unless a number ≥ 0 with at most 4 decimals. */
export function unitPrice(value: unknown): bigint | undefined {
  if (typeof value !== 'number' || value < 0 || value > 1_000_000) return undefined;
  return parseCny(value, 4);
}

export interface DraftInput {
  accountId: number;
  model: string;
  totalQuota: number;
  priceInput: bigint;
  priceOutput: bigint;
  validDays: number;
  maxConcurrent: number;
  rateLimitRpm: number;
}

export interface PriceItem {
  package_id: number;
  price_per_1m_input: unknown;
  price_per_1m_output: unknown;
}

export function createPackageService(deps: { database: Database; clock: Clock; audit: AuditLog; catalog: ModelCatalog; onChange: () => void }) {
  const { database, clock, audit } = deps;
  const t = supplyPackages;
  const a = supplyAccounts;

  async function lockOwned(tx: Db, id: number, owner: number): Promise<SupplyPackageRow> {
    const [row] = await tx.select().from(t).where(and(eq(t.id, id), eq(t.supplierUserId, owner))).for('update');
    if (!row) throw notFound('Supply package');
    return row;
  }

  async function record(tx: Db, actor: Actor | null, row: SupplyPackageRow, action: string, after: Record<string, unknown>) {
    await audit.record(tx, {
      actorUserId: actor?.userId ?? null, tenantUserId: row.supplierUserId, action: `package.${action}`, objectType: 'supply_package',
      objectId: String(row.id), before: { status: row.status }, after, requestId: actor?.requestId,
    });
  }

  /** The caller's live account, which must be active and cleared by review, else 422 naming the field. */
  async function sellingAccount(tx: Db, owner: number, accountId: number) {
    const [account] = await tx.select().from(a).where(and(eq(a.id, accountId), eq(a.supplierUserId, owner), isNull(a.deletedAt)));
    if (!account || account.status !== 'active' || account.reviewStatus === 'required' || account.reviewStatus === 'rejected') {
      throw new AppError('UNPROCESSABLE', 'supply_account_id must name an active supply account of yours', { field: 'body.supply_account_id' });
    }
    return account;
  }

  type DraftValues = Pick<SupplyPackageRow, 'supplyAccountId' | 'model' | 'totalQuota' | 'priceInputMicros' | 'priceOutputMicros' | 'validDays' | 'maxConcurrent' | 'rateLimitRpm'> & { clonedFrom?: number };

  /** A new draft with its whole quota available, and its audit event. */
  async function insertDraft(tx: Db, actor: Actor, action: 'draft' | 'clone', values: DraftValues): Promise<SupplyPackageRow> {
    const now = clock.now();
    const [row] = await tx
      .insert(t)
      .values({ ...values, supplierUserId: actor.userId, availableQuota: values.totalQuota, status: 'draft', createdAt: now, updatedAt: now })
      .returning();
    const created = row as SupplyPackageRow;
    await audit.record(tx, {
      actorUserId: actor.userId, tenantUserId: actor.userId, action: `package.${action}`, objectType: 'supply_package', objectId: String(created.id),
      before: {}, after: { status: 'draft', ...(values.clonedFrom ? { cloned_from: values.clonedFrom } : {}) }, requestId: actor.requestId,
    });
    return created;
  }

  async function transition(actor: Actor, id: number, action: Action) {
    // Read before the transaction: a first load of the catalog queries the database, which must not wait on our lock.
    const catalog = action === 'publish' ? await deps.catalog.models() : undefined;
    const row = await database.transaction(async (tx) => {
      const before = await lockOwned(tx, id, actor.userId);
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(before.status)) throw stateError(before.status, `${action === 'unlist' ? 'unliste' : action}d`);
      const now = clock.now();
      const changes: Partial<SupplyPackageRow> = { status: rule.to, updatedAt: now };
      if (action === 'publish') {
        if (before.expiresAt && before.expiresAt <= now) throw stateError('expired', 'published');
        const account = await sellingAccount(tx, actor.userId, before.supplyAccountId).catch(() => undefined);
        if (!account) throw new AppError('SUP_PKG_4092', 'The package\'s supply account is not active; activate it before publishing', { status: before.status });
        // The ceiling may have been lowered (or the model taken off the price list) since the price was set.
        const refusal = priceRefusal(catalog as NonNullable<typeof catalog>, before.model, { input: before.priceInputMicros, output: before.priceOutputMicros });
        if (refusal) throw new AppError('SUP_PKG_4094', `${refusal.message}; re-price the package to publish it`, { field: refusal.field, ceiling: refusal.ceiling });
        // valid_days run from the first publication.
        if (!before.publishedAt) Object.assign(changes, { publishedAt: now, expiresAt: addMs(now, before.validDays * DAY_MS) });
      }
      const [after] = await tx.update(t).set(changes).where(eq(t.id, id)).returning();
      await record(tx, actor, before, action, { status: rule.to });
      return after as SupplyPackageRow;
    });
    deps.onChange();
    return row;
  }

  return {
    async draft(actor: Actor, input: DraftInput): Promise<SupplyPackageRow> {
      const catalog = await deps.catalog.models();
      return database.transaction(async (tx) => {
        const account = await sellingAccount(tx, actor.userId, input.accountId);
        const known = account.models ?? ADAPTERS[account.provider].models.map((m) => m.id);
        if (!known.includes(input.model)) {
          throw new AppError('UNPROCESSABLE', `The account does not serve model ${input.model}`, { field: 'body.model', models: known });
        }
        const refusal = priceRefusal(catalog, input.model, { input: input.priceInput, output: input.priceOutput });
        if (refusal) throw new AppError('UNPROCESSABLE', refusal.message, { field: `body.${refusal.field}`, ceiling: refusal.ceiling });
        return insertDraft(tx, actor, 'draft', {
          supplyAccountId: input.accountId, model: input.model, totalQuota: input.totalQuota, priceInputMicros: input.priceInput,
          priceOutputMicros: input.priceOutput, validDays: input.validDays, maxConcurrent: input.maxConcurrent, rateLimitRpm: input.rateLimitRpm,
        });
      });
    },

    publish: (actor: Actor, id: number) => transition(actor, id, 'publish'),
    pause: (actor: Actor, id: number) => transition(actor, id, 'pause'),
    unlist: (actor: Actor, id: number) => transition(actor, id, 'unlist'),

    /** A new draft from a package in any state (the contract declares only 201/401/404), with its whole quota again. */
    async clone(actor: Actor, id: number): Promise<SupplyPackageRow> {
      return database.transaction(async (tx) => {
        const source = await lockOwned(tx, id, actor.userId);
        return insertDraft(tx, actor, 'clone', {
          supplyAccountId: source.supplyAccountId, model: source.model, totalQuota: source.totalQuota, priceInputMicros: source.priceInputMicros,
          priceOutputMicros: source.priceOutputMicros, validDays: source.validDays, maxConcurrent: source.maxConcurrent, rateLimitRpm: source.rateLimitRpm,
          clonedFrom: source.id,
        });
      });
    },

    /** New prices for up to 200 packages; each item succeeds or fails on its own. */
    async batchPrice(actor: Actor, items: PriceItem[]) {
      const failures: { package_id: number; error_code: string; message: string }[] = [];
      let changed = 0;
      const catalog = await deps.catalog.models();
      await database.transaction(async (tx) => {
        const ids = [...new Set(items.map((i) => i.package_id))].sort((x, y) => x - y);
        const owned = new Map(
          (await tx.select().from(t).where(and(inArray(t.id, ids), eq(t.supplierUserId, actor.userId))).orderBy(t.id).for('update')).map((r) => [r.id, r]),
        );
        let refusal: ReturnType<typeof priceRefusal>;
        for (const item of items) {
          const row = owned.get(item.package_id);
          const input = unitPrice(item.price_per_1m_input);
          const output = unitPrice(item.price_per_1m_output);
          if (!row) {
            failures.push({ package_id: item.package_id, error_code: 'SUP_PKG_4041', message: 'Supply package not found' });
          } else if (input === undefined || output === undefined) {
            failures.push({ package_id: item.package_id, error_code: 'SUP_PKG_4004', message: 'Prices must be numbers ≥ 0 (CNY per 1M tokens) with at most 4 decimals' });
          } else if (row.status === 'sold_out' || row.status === 'expired') {
            failures.push({ package_id: item.package_id, error_code: 'SUP_PKG_4093', message: `The package is ${row.status}; its price cannot change` });
          } else if ((refusal = priceRefusal(catalog, row.model, { input, output }))) {
            failures.push({ package_id: item.package_id, error_code: 'SUP_PKG_4004', message: refusal.message });
          } else {
            await tx.update(t).set({ priceInputMicros: input, priceOutputMicros: output, updatedAt: clock.now() }).where(eq(t.id, row.id));
            await audit.record(tx, {
              actorUserId: actor.userId, tenantUserId: actor.userId, action: 'package.price', objectType: 'supply_package', objectId: String(row.id),
              before: { price_input_micros: row.priceInputMicros, price_output_micros: row.priceOutputMicros },
              after: { price_input_micros: input, price_output_micros: output }, requestId: actor.requestId,
            });
            owned.set(row.id, { ...row, priceInputMicros: input, priceOutputMicros: output });
            changed += 1;
          }
        }
      });
      if (changed > 0) deps.onChange();
      return { total: items.length, success_count: items.length - failures.length, failed_count: failures.length, failures };
    },

    async get(id: number, owner: number): Promise<SupplyPackageRow> {
      const [row] = await database.db.select().from(t).where(and(eq(t.id, id), eq(t.supplierUserId, owner)));
      if (!row) throw notFound('Supply package');
      return row;
    },

    async list(owner: number, filter: { status?: PackageStatus; accountId?: number }, window: { limit: number; offset: number }) {
      const conditions: (SQL | undefined)[] = [eq(t.supplierUserId, owner)];
      if (filter.status) conditions.push(eq(t.status, filter.status));
      if (filter.accountId) conditions.push(eq(t.supplyAccountId, filter.accountId));
      const where = and(...conditions);
      const [rows, [total]] = await Promise.all([
        database.db.select().from(t).where(where).orderBy(desc(t.id)).limit(window.limit).offset(window.offset),
        database.db.select({ n: count() }).from(t).where(where),
      ]);
      return { rows, total: total?.n ?? 0 };
    },

    /** Unlists the live packages of an account being deleted (in the caller's transaction). */
    async retireForAccount(tx: Db, accountId: number, actor: Actor): Promise<number[]> {
      const rows = await tx.select().from(t).where(and(eq(t.supplyAccountId, accountId), inArray(t.status, ['active', 'paused']))).for('update');
      for (const row of rows) {
        await tx.update(t).set({ status: 'expired', updatedAt: clock.now() }).where(eq(t.id, row.id));
        await record(tx, actor, row, 'unlist', { status: 'expired', reason: 'account deleted' });
      }
      return rows.map((r) => r.id);
    },

    /** The expiry job: packages past `valid_days` since publication become `expired`. */
    async expireDue(): Promise<{ expired: number }> {
      const now = clock.now();
      const rows = await database.transaction(async (tx) => {
        const due = await tx.select().from(t).where(and(inArray(t.status, ['active', 'paused']), lte(t.expiresAt, now))).for('update', { skipLocked: true });
        for (const row of due) {
          await tx.update(t).set({ status: 'expired', updatedAt: now }).where(eq(t.id, row.id));
          await record(tx, null, row, 'expire', { status: 'expired' });
        }
        return due;
      });
      if (rows.length > 0) deps.onChange();
      return { expired: rows.length };
    },

    /** Published packages whose account may sell now, for the router. */
    async routable(): Promise<RoutablePackage[]> {
      return database.db
        .select({
          id: t.id, supplierUserId: t.supplierUserId, accountId: a.id, provider: a.provider, credentialCiphertext: a.credentialCiphertext,
          model: t.model, availableQuota: t.availableQuota, priceInputMicros: t.priceInputMicros, priceOutputMicros: t.priceOutputMicros,
          maxConcurrent: t.maxConcurrent, rateLimitRpm: t.rateLimitRpm, expiresAt: t.expiresAt,
        })
        .from(t)
        .innerJoin(a, eq(a.id, t.supplyAccountId))
        .where(and(
          eq(t.status, 'active'), sql`${t.availableQuota} > 0`, eq(a.status, 'active'), isNull(a.deletedAt),
          inArray(a.reviewStatus, ['not_required', 'approved']),
        ));
    },
  };
}

export type PackageService = ReturnType<typeof createPackageService>;
