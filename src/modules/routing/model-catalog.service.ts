import { eq } from 'drizzle-orm';
import type { Database } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import type { ProviderName } from '../providers/catalog.ts';
import { ADAPTERS, defaultModels, operationsOf } from '../providers/registry.ts';
import type { ModelPrice, Operation } from '../providers/types.ts';
import { modelPrices } from './model-prices.tables.ts';

/** A model API buyers can call: who serves it, what it can do, what it costs them. */
export interface CatalogModel {
  id: string;
  provider: ProviderName;
  price: ModelPrice;
  operations: Operation[];
  /** `operator` when the price was set by an operator, `default` when it is the adapter's list price. */
  priceSource: 'default' | 'operator';
}

/** Re-read the operator prices at least this often, so every node converges on another node's change. */
const RELOAD_MS = 10_000;

export function createModelCatalog(deps: { database: Database; clock: Clock }) {
  const defaults = new Map<string, CatalogModel>(
    defaultModels().map(({ provider, model }) => [
      model.id,
      { id: model.id, provider, price: model.price, operations: operationsOf(model), priceSource: 'default' as const },
    ]),
  );
  let cache: { models: Map<string, CatalogModel>; loadedAt: number } | undefined;
  let loading: Promise<Map<string, CatalogModel>> | undefined;

  async function load(): Promise<Map<string, CatalogModel>> {
    const rows = await deps.database.db.select().from(modelPrices);
    const models = new Map(defaults);
    for (const r of rows) {
      const provider = r.provider as ProviderName;
      const known = defaults.get(r.model);
      models.set(r.model, {
        id: r.model,
        provider,
        price: { input: r.inputMicros, output: r.outputMicros, ...(r.perImageMicros !== null ? { perImage: r.perImageMicros } : {}) },
        operations: known?.operations ?? [...(ADAPTERS[provider]?.operations ?? ['chat'])],
        priceSource: 'operator',
      });
    }
    cache = { models, loadedAt: deps.clock.now().getTime() };
    return models;
  }

  async function models(): Promise<Map<string, CatalogModel>> {
    if (cache && deps.clock.now().getTime() - cache.loadedAt < RELOAD_MS) return cache.models;
    loading ??= load().finally(() => (loading = undefined));
    if (!cache) return loading;
    // A stale catalog still answers while the reload runs (a failed reload is retried by the next call).
    loading.catch(() => undefined);
    return cache.models;
  }

  return {
    models,
    async get(model: string): Promise<CatalogModel | undefined> {
      return (await models()).get(model);
    },

    async setPrice(model: string, p: { provider: ProviderName; input: bigint; output: bigint; perImage?: bigint | null }) {
      const values = { provider: p.provider, inputMicros: p.input, outputMicros: p.output, perImageMicros: p.perImage ?? null, updatedAt: deps.clock.now() };
      await deps.database.db.insert(modelPrices).values({ model, ...values }).onConflictDoUpdate({ target: modelPrices.model, set: values });
      await load();
      return (cache?.models.get(model)) as CatalogModel;
    },

    /** Drops the operator's price: a default model goes back to its list price, any other stops being served. */
    async removePrice(model: string): Promise<boolean> {
      const rows = await deps.database.db.delete(modelPrices).where(eq(modelPrices.model, model)).returning({ model: modelPrices.model });
      await load();
      return rows.length > 0;
    },
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
