import type { SecretBox } from '../../platform/crypto.ts';
import { andThen } from '../../platform/maybe.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import { PROVIDERS } from '../providers/catalog.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { Operation } from '../providers/types.ts';
import { servesOperation, type Candidate, type CandidateSource } from '../routing/candidates.ts';
import type { ModelCatalog } from '../routing/model-catalog.service.ts';
import { createSnapshot } from '../routing/snapshot.ts';
import type { QuotaBook } from './package-quota.ts';
import type { SupplyProvider } from './supply.tables.ts';

// Published packages as router candidates (DESIGN.md §5): a package is one while it is `active`, unexpired, has
// tokens left, and its account is `active` and not awaiting review. Each sells its model at its own price, under its
// own RPM and concurrency caps, and all packages of one account share that account's circuit: an account that fails
// stops being tried for any of them.

const RELOAD_MS = 5_000;

/** A published package with its account, as the database lists it (ciphertext only). */
export interface RoutablePackage {
  id: number;
  supplierUserId: number;
  accountId: number;
  provider: SupplyProvider;
  credentialCiphertext: string;
  model: string;
  availableQuota: number;
  priceInputMicros: bigint;
  priceOutputMicros: bigint;
  maxConcurrent: number;
  rateLimitRpm: number;
  expiresAt: Date | null;
}

interface Entry {
  candidate: Candidate;
  expiresAt: number;
}

export function createPackageCandidates(deps: {
  routable: () => Promise<RoutablePackage[]>;
  catalog: ModelCatalog;
  secrets: SecretBox;
  providerBaseUrls: Record<string, string>;
  book: QuotaBook;
  clock: Clock;
}) {
  const snapshot = createSnapshot(build, { clock: deps.clock, reloadMs: RELOAD_MS });

  async function build(): Promise<Map<string, Entry[]>> {
    const rows = await deps.routable();
    const byModel = new Map<string, Entry[]>();
    const plain = new Map<number, string>();
    for (const p of rows) {
      const credential = () => {
        let value = plain.get(p.accountId);
        if (value === undefined) plain.set(p.accountId, (value = deps.secrets.decrypt(p.credentialCiphertext)));
        return value;
      };
      const candidate: Candidate = {
        key: `package:${p.id}`,
        healthKey: `supply-account:${p.accountId}`,
        kind: 'package',
        id: p.id,
        provider: p.provider,
        adapter: ADAPTERS[p.provider],
        baseUrl: deps.providerBaseUrls[p.provider] ?? PROVIDERS[p.provider].defaultBaseUrl,
        credential,
        upstreamModel: p.model,
        price: { input: p.priceInputMicros, output: p.priceOutputMicros },
        weight: 1,
        rpmLimit: p.rateLimitRpm,
        maxConcurrent: p.maxConcurrent,
        supplierUserId: p.supplierUserId,
        quota: deps.book.gate(p.id, p.availableQuota),
      };
      byModel.set(p.model, [...(byModel.get(p.model) ?? []), { candidate, expiresAt: p.expiresAt?.getTime() ?? Infinity }]);
    }
    deps.book.retain(new Set(rows.map((p) => p.id)));
    return byModel;
  }

  /** Entries still sellable now: not expired (the expiry job may not have run yet), tokens left. */
  const live = (entries: Entry[]) => {
    const now = millisOf(deps.clock);
    return entries.filter((e) => e.expiresAt > now && deps.book.remaining(e.candidate.id) > 0);
  };

  const source: CandidateSource & { invalidate(): void } = {
    candidates(model: string, op: Operation) {
      return andThen(snapshot.current(), (byModel) => {
        const listed = byModel.get(model);
        const entries = listed ? live(listed) : [];
        if (entries.length === 0) return [];
        return andThen(deps.catalog.get(model), (known) => {
          if (!servesOperation(known?.operations, op)) return [];
          return entries.map((e) => e.candidate).filter((c) => c.adapter.operations.has(op) || op === 'messages');
        });
      });
    },
    async models() {
      const byModel = await snapshot.current();
      return [...byModel.keys()].filter((model) => live(byModel.get(model) ?? []).length > 0);
    },
    /** Called after any change to packages or accounts. */
    invalidate: () => snapshot.invalidate(),
  };
  return source;
}

export type PackageCandidates = ReturnType<typeof createPackageCandidates>;
