import type { Maybe } from '../../platform/maybe.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import { ACCOUNTS, type AccountSpec } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.service.ts';

// What this node knows of each payer's balances in the database, for the gateway's hot path (payers.ts counts holds
// and unflushed charges on top). Per payer:
//   spend — the account requests are paid from: the wallet (prepaid) or the receivable (postpaid), which goes
//           negative by what is owed;
//   debt  — prepaid only: the receivable, negative while the user owes for an earlier overshoot (refused until paid).
// Each balance carries the ledger account's version (ledger.tables.ts): writers report back in any order, and only a
// higher version replaces what is known. An entry is re-read when older than STALE_MS (another node spent), and at
// once after `invalidate` (a recharge committed): a read that began before the invalidation does not count as fresh.

export interface BalanceAt {
  balance: bigint;
  version: number;
}

/** A payer's balances after a write, as far as the writer knows them. */
export interface PayerBalancesAfter {
  spend?: BalanceAt;
  debt?: BalanceAt;
}

export interface PayerAccountRef {
  userId: number;
  billingMode: 'prepaid' | 'postpaid';
}

export interface KnownBalances {
  spend: BalanceAt;
  /** Prepaid only. */
  debt?: BalanceAt;
  /** When the database was last read (0: never, or invalidated since). */
  loadedAt: number;
}

interface Entry extends KnownBalances {
  loading?: Promise<void>;
  /** The invalidation count of the user when `loading` began. */
  loadingEpoch?: number;
}

const STALE_MS = 2_000;
/** After a refusal, re-read the balances (a recharge may just have landed) at most this often. */
const RECHECK_MS = 250;

/** The account a payer's requests are charged to. */
export const spendAccount = (p: PayerAccountRef): AccountSpec =>
  p.billingMode === 'prepaid' ? ACCOUNTS.userWallet(p.userId) : ACCOUNTS.userReceivable(p.userId);

/** What a prepaid payer owes (µ¥, > 0), or 0. */
export const owedBy = (known: { debt?: BalanceAt }): bigint => (known.debt && known.debt.balance < 0n ? -known.debt.balance : 0n);

export function createBalanceCache(deps: { ledger: Pick<Ledger, 'balanceVersions'>; clock: Clock }) {
  const entries = new Map<string, Entry>();
  const epochs = new Map<number, number>();
  const now = () => millisOf(deps.clock);
  const keyOf = (p: PayerAccountRef) => `${p.userId}:${p.billingMode}`;
  const epochOf = (userId: number) => epochs.get(userId) ?? 0;

  function entryOf(p: PayerAccountRef): Entry {
    let e = entries.get(keyOf(p));
    if (!e) {
      e = { spend: { balance: 0n, version: 0 }, debt: p.billingMode === 'prepaid' ? { balance: 0n, version: 0 } : undefined, loadedAt: 0 };
      entries.set(keyOf(p), e);
    }
    return e;
  }

  function merge(e: Entry, after: PayerBalancesAfter) {
    if (after.spend && after.spend.version >= e.spend.version) e.spend = after.spend;
    if (after.debt && e.debt && after.debt.version >= e.debt.version) e.debt = after.debt;
  }

  async function load(p: PayerAccountRef, e: Entry): Promise<Entry> {
    const epoch = epochOf(p.userId);
    if (!e.loading || e.loadingEpoch !== epoch) {
      const run: Promise<void> = (async () => {
        const spend = spendAccount(p);
        const debt = p.billingMode === 'prepaid' ? ACCOUNTS.userReceivable(p.userId) : undefined;
        const read = await deps.ledger.balanceVersions(debt ? [spend, debt] : [spend]);
        merge(e, { spend: read.get(spend.code), debt: debt && read.get(debt.code) });
        // Invalidated while reading: the read may predate the change it announced.
        if (epochOf(p.userId) === epoch) e.loadedAt = now();
      })().finally(() => {
        if (e.loading === run) e.loading = undefined;
      });
      e.loading = run;
      e.loadingEpoch = epoch;
    }
    await e.loading;
    return e;
  }

  const stale = (e: Entry) => e.loadedAt === 0 || now() - e.loadedAt > STALE_MS;

  return {
    /** The payer's balances: at hand while fresh, else read from the database first (missing, stale, invalidated). */
    get(p: PayerAccountRef): Maybe<KnownBalances> {
      const e = entryOf(p);
      if (!(e.loading && e.loadingEpoch === epochOf(p.userId)) && !stale(e)) return e;
      return (async () => {
        if (e.loading && e.loadingEpoch === epochOf(p.userId)) await e.loading;
        // Twice at most: a second invalidation during the re-read is served by the read after it, on the next request.
        for (let i = 0; i < 2 && stale(e); i += 1) await load(p, e);
        return e;
      })();
    },

    /** After a refusal: the balances re-read, unless they were read in the last RECHECK_MS. */
    async recheck(p: PayerAccountRef): Promise<KnownBalances | undefined> {
      const e = entryOf(p);
      if (e.loadedAt !== 0 && now() - e.loadedAt <= RECHECK_MS) return undefined;
      return load(p, e);
    },

    /** Balances a writer (a flush, another node through Redis) knows; newer versions replace older ones. */
    observe(p: PayerAccountRef, after: PayerBalancesAfter) {
      merge(entryOf(p), after);
    },

    /** A write this node cannot describe (a replayed charge): read the balances again before the next hold. */
    markStale(p: PayerAccountRef) {
      entryOf(p).loadedAt = 0;
    },

    /** The users' balances changed in the database (a recharge, a refund): re-read them before the next hold. */
    invalidate(userIds: number[]) {
      for (const userId of userIds) {
        epochs.set(userId, epochOf(userId) + 1);
        for (const mode of ['prepaid', 'postpaid'] as const) {
          const e = entries.get(keyOf({ userId, billingMode: mode }));
          if (e) e.loadedAt = 0;
        }
      }
    },
  };
}

export type BalanceCache = ReturnType<typeof createBalanceCache>;
