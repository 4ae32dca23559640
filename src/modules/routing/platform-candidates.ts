import type { SecretBox } from '../../platform/crypto.ts';
import { andThen } from '../../platform/maybe.ts';
import type { Clock } from '../../platform/time.ts';
import { PROVIDERS, type ProviderName } from '../providers/catalog.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { Operation } from '../providers/types.ts';
import { servesOperation, type Candidate, type CandidateSource } from './candidates.ts';
import type { CatalogModel, ModelCatalog } from './model-catalog.service.ts';
import { createSnapshot } from './snapshot.ts';

// Platform channels as router candidates: the operators' keys from `/1/keys` and the model registry's entries that
// carry their own key, answered from an in-memory snapshot (snapshot.ts) that writes invalidate.

const RELOAD_MS = 5_000;

/** An upstream account the platform holds, as the routing module reads it (ciphertext only). */
export interface PlatformUpstream {
  kind: 'channel' | 'model';
  id: number;
  provider: ProviderName;
  baseUrl: string | null;
  credentialCiphertext: string;
  /** Client-visible model names served; null means every catalog model of the provider. */
  models: string[] | null;
  weight: number;
  /** Channels only: registry models are priority 0 without caps. */
  priority?: number;
  rpmLimit?: number | null;
  maxConcurrent?: number | null;
}

/** Where the upstream's requests go: its own base URL, else the configured override or the provider's default. */
export function upstreamBaseUrl(u: Pick<PlatformUpstream, 'baseUrl' | 'provider'>, providerBaseUrls: Record<string, string>): string {
  return u.baseUrl ?? providerBaseUrls[u.provider] ?? PROVIDERS[u.provider].defaultBaseUrl ?? '';
}

/** The priced models an upstream serves: its own list, or every catalog model of its provider. */
export function servedModels(u: Pick<PlatformUpstream, 'models' | 'provider'>, catalog: Map<string, CatalogModel>): CatalogModel[] {
  if (u.models) return u.models.map((m) => catalog.get(m)).filter((m): m is CatalogModel => m !== undefined);
  // Azure deployments carry OpenAI's model names.
  const providers = u.provider === 'azure_openai' ? ['openai', 'azure_openai'] : [u.provider];
  return [...catalog.values()].filter((m) => providers.includes(m.provider));
}

/**
 * The router's candidate for `model` through `u` — also what a channel test sends through, so it tests what the relay
 * would do. `credential` decrypts on use (the caller caches it).
 */
export function platformCandidate(u: PlatformUpstream, model: CatalogModel, baseUrl: string, credential: () => string): Candidate {
  return {
    key: `${u.kind}:${u.id}`,
    kind: u.kind,
    id: u.id,
    provider: u.provider,
    adapter: ADAPTERS[u.provider],
    baseUrl,
    credential,
    upstreamModel: model.id,
    price: model.price,
    weight: u.weight,
    priority: u.priority ?? 0,
    ...(u.rpmLimit ? { rpmLimit: u.rpmLimit } : {}),
    ...(u.maxConcurrent ? { maxConcurrent: u.maxConcurrent } : {}),
  };
}

export interface PlatformCandidateDeps {
  upstreams: () => Promise<PlatformUpstream[]>;
  catalog: ModelCatalog;
  secrets: SecretBox;
  providerBaseUrls: Record<string, string>;
  clock: Clock;
}

export function createPlatformCandidates(deps: PlatformCandidateDeps) {
  const snapshot = createSnapshot(build, { clock: deps.clock, reloadMs: RELOAD_MS });

  async function build(): Promise<Map<string, Candidate[]>> {
    const [upstreams, catalog] = await Promise.all([deps.upstreams(), deps.catalog.models()]);
    const byModel = new Map<string, Candidate[]>();
    for (const u of upstreams) {
      let plain: string | undefined;
      const credential = () => (plain ??= deps.secrets.decrypt(u.credentialCiphertext));
      const baseUrl = upstreamBaseUrl(u, deps.providerBaseUrls);
      for (const model of servedModels(u, catalog)) {
        const list = byModel.get(model.id) ?? [];
        list.push(platformCandidate(u, model, baseUrl, credential));
        byModel.set(model.id, list);
      }
    }
    return byModel;
  }

  const current = () => snapshot.current();

  const source: CandidateSource & { invalidate(): void } = {
    candidates(model: string, op: Operation) {
      return andThen(current(), (byModel) =>
        andThen(deps.catalog.get(model), (catalogModel) => {
          const list = byModel.get(model);
          if (!list || !catalogModel || !servesOperation(catalogModel.operations, op)) return [];
          return list.filter((c) => c.adapter.operations.has(op) || op === 'messages');
        }),
      );
    },
    async models() {
      return [...(await current()).keys()];
    },
    /** Called after any write to channels, registry entries or prices. */
    invalidate: () => snapshot.invalidate(),
  };
  return source;
}

export type PlatformCandidates = ReturnType<typeof createPlatformCandidates>;
