import { sql } from 'drizzle-orm';
import { createLedger, type Ledger } from '../modules/ledger/ledger.service.ts';
import { ledgerAccounts } from '../modules/ledger/ledger.tables.ts';
import { usageRecords } from '../modules/metering/usage.tables.ts';
import type { Database, Db } from './db.ts';
import { queryRows } from './db-transfer.catalog.ts';
import { formatCny } from './money.ts';
import { systemClock } from './time.ts';

// What must be identical on both sides of a move or a restore, computed by the same code on the source (inside the
// dump's snapshot, stored in its header) and on the target (inside the load's transaction, before it commits): every
// account's balance, the ledger check (`npm run ledger:check`'s own `ledger.check()`), and the usage totals.

export interface Figures {
  balances: {
    accounts: number;
    /** SHA-256 of `code=balance` lines in byte order of the code: equal digests, equal balances, account by account. */
    digest: string;
    byKind: { kind: string; accounts: number; totalMicros: string }[];
  };
  ledgerCheck: Awaited<ReturnType<Ledger['check']>>;
  usage: { requests: number; costMicros: string; supplierEarningMicros: string; tokensIn: string; tokensOut: string };
}

export async function identityFigures(database: Database, tx: Db): Promise<Figures> {
  // COLLATE "C": the digest must not depend on the collation either database was created with.
  const [digest] = await queryRows<{ accounts: string; digest: string }>(tx, sql`
    SELECT count(*)::text AS accounts,
           encode(sha256(convert_to(COALESCE(string_agg(${ledgerAccounts.code} || '=' || ${ledgerAccounts.balance}::text, E'\n'
             ORDER BY ${ledgerAccounts.code} COLLATE "C"), ''), 'UTF8')), 'hex') AS digest
    FROM ${ledgerAccounts}`);
  const byKind = await queryRows<{ kind: string; accounts: string; total: string }>(tx, sql`
    SELECT ${ledgerAccounts.kind} AS kind, count(*)::text AS accounts, sum(${ledgerAccounts.balance})::text AS total
    FROM ${ledgerAccounts} GROUP BY ${ledgerAccounts.kind} ORDER BY ${ledgerAccounts.kind} COLLATE "C"`);
  const [usage] = await queryRows<{ requests: string; cost: string; earning: string; tokens_in: string; tokens_out: string }>(tx, sql`
    SELECT count(*)::text AS requests, COALESCE(sum(${usageRecords.costMicros}), 0)::text AS cost,
           COALESCE(sum(${usageRecords.supplierEarningMicros}), 0)::text AS earning,
           COALESCE(sum(${usageRecords.tokensIn}), 0)::text AS tokens_in, COALESCE(sum(${usageRecords.tokensOut}), 0)::text AS tokens_out
    FROM ${usageRecords}`);
  return {
    balances: {
      accounts: Number(digest?.accounts ?? 0),
      digest: digest?.digest ?? '',
      byKind: byKind.map((k) => ({ kind: k.kind, accounts: Number(k.accounts), totalMicros: k.total })),
    },
    ledgerCheck: await createLedger({ database, clock: systemClock }).check(tx),
    usage: {
      requests: Number(usage?.requests ?? 0),
      costMicros: usage?.cost ?? '0',
      supplierEarningMicros: usage?.earning ?? '0',
      tokensIn: usage?.tokens_in ?? '0',
      tokensOut: usage?.tokens_out ?? '0',
    },
  };
}

export const ledgerSound = (f: Figures) => f.ledgerCheck.balanceMismatches.length === 0 && f.ledgerCheck.unbalancedTransfers.length === 0;

const cny = (micros: string) => `¥${formatCny(BigInt(micros), 6)}`;
const accountsHolding = (k: { accounts: number; totalMicros: string } | undefined) =>
  `${k?.accounts ?? 0} ${k?.accounts === 1 ? 'account' : 'accounts'} holding ${cny(k?.totalMicros ?? '0')}`;

/** What differs between the source's figures and these, one line each; empty when they are identical. */
export function figureDifferences(source: Figures, here: Figures): string[] {
  const out: string[] = [];
  const b = [source.balances, here.balances];
  if (b[0]?.accounts !== b[1]?.accounts || b[0]?.digest !== b[1]?.digest) {
    out.push(`balances: the source had ${b[0]?.accounts} accounts (digest ${b[0]?.digest.slice(0, 12)}), this database has ${b[1]?.accounts} (digest ${b[1]?.digest.slice(0, 12)})`);
    const kinds = new Set([...source.balances.byKind, ...here.balances.byKind].map((k) => k.kind));
    for (const kind of [...kinds].sort()) {
      const [s, h] = [source, here].map((f) => f.balances.byKind.find((k) => k.kind === kind) ?? { accounts: 0, totalMicros: '0' });
      if (s?.accounts !== h?.accounts || s?.totalMicros !== h?.totalMicros) {
        out.push(`  ${kind}: the source had ${accountsHolding(s)}, this database ${accountsHolding(h)}`);
      }
    }
  }
  if (checkKey(source) !== checkKey(here)) {
    out.push(`ledger check: the source's ${describeCheck(source)}; this database's ${describeCheck(here)}`);
  }
  const [su, hu] = [source.usage, here.usage];
  if (JSON.stringify(su) !== JSON.stringify(hu)) {
    out.push(`usage totals: the source had ${describeUsage(su)}; this database has ${describeUsage(hu)}`);
  }
  return out;
}

// The check lists accounts in the database's collation order, which two databases need not share.
const checkKey = (f: Figures) =>
  JSON.stringify([f.ledgerCheck.balanceMismatches.map((m) => JSON.stringify(m)).sort(), f.ledgerCheck.unbalancedTransfers]);

function describeCheck(f: Figures): string {
  if (ledgerSound(f)) return 'is sound';
  const accounts = f.ledgerCheck.balanceMismatches.map((m) => `${m.code} stored ${m.stored} µ¥, postings ${m.replayed} µ¥`);
  const transfers = f.ledgerCheck.unbalancedTransfers.map((t) => `transfer ${t.key} sums to ${t.total} µ¥ over ${t.postings} postings`);
  return `finds ${[...accounts, ...transfers].slice(0, 10).join('; ')}${accounts.length + transfers.length > 10 ? '; …' : ''}`;
}

export const describeUsage = (u: Figures['usage']) =>
  `${u.requests} requests costing ${cny(u.costMicros)} (supplier earnings ${cny(u.supplierEarningMicros)}, ${u.tokensIn} tokens in, ${u.tokensOut} out)`;

