import type { SecretBox } from '../../platform/crypto.ts';
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

  const baseUrlOf = (u: PlatformUpstream) =>
    u.baseUrl ?? deps.providerBaseUrls[u.provider] ?? PROVIDERS[u.provider].defaultBaseUrl ?? '';

  function servedModels(u: PlatformUpstream, catalog: Map<string, CatalogModel>): CatalogModel[] {
    if (u.models) return u.models.map((m) => catalog.get(m)).filter((m): m is CatalogModel => m !== undefined);
    // Azure deployments carry OpenAI's model names.
    const providers = u.provider === 'azure_openai' ? ['openai', 'azure_openai'] : [u.provider];
    return [...catalog.values()].filter((m) => providers.includes(m.provider));
  }

  async function build(): Promise<Map<string, Candidate[]>> {
    const [upstreams, catalog] = await Promise.all([deps.upstreams(), deps.catalog.models()]);
    const byModel = new Map<string, Candidate[]>();
    for (const u of upstreams) {
      let plain: string | undefined;
      const credential = () => (plain ??= deps.secrets.decrypt(u.credentialCiphertext));
      for (const model of servedModels(u, catalog)) {
        const candidate: Candidate = {
          key: `${u.kind}:${u.id}`,
          kind: u.kind,
          id: u.id,
          provider: u.provider,
          adapter: ADAPTERS[u.provider],
          baseUrl: baseUrlOf(u),
          credential,
          upstreamModel: model.id,
          price: model.price,
          weight: u.weight,
        };
        const list = byModel.get(model.id) ?? [];
        list.push(candidate);
        byModel.set(model.id, list);
      }
    }
    return byModel;
  }

  const current = () => snapshot.current();

  const source: CandidateSource & { invalidate(): void } = {
    async candidates(model: string, op: Operation) {
      const list = (await current()).get(model) ?? [];
      const catalogModel = await deps.catalog.get(model);
      if (!catalogModel || !servesOperation(catalogModel.operations, op)) return [];
      return list.filter((c) => c.adapter.operations.has(op) || op === 'messages');
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
