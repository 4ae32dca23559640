import { eq } from 'drizzle-orm';
import type { Database } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import { andThen, type Maybe } from '../../platform/maybe.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import type { ProviderName } from '../providers/catalog.ts';
import { DEMO_MODEL, DEMO_PROVIDER } from '../providers/demo/index.ts';
import { ADAPTERS, defaultModels, operationsOf } from '../providers/registry.ts';
import type { ModelPrice, Operation } from '../providers/types.ts';
import { modelPriceCeilings, modelPrices } from './model-prices.tables.ts';
import { defaultCeiling } from './price-ceiling.ts';

/** A model API buyers can call: who serves it, what it can do, what it costs them. */
export interface CatalogModel {
  id: string;
  /** Whose upstreams serve it: a provider's channels and packages, or Tollgate's own demo upstream. */
  provider: ProviderName | typeof DEMO_PROVIDER;
  /** The price buyers are shown: no request on the model is held or charged above it (price-ceiling.ts). */
  price: ModelPrice;
  operations: Operation[];
  /** `operator` when the price was set by an operator, `default` when it is the adapter's list price. */
  priceSource: 'default' | 'operator';
  /** The most a supplier's package may ask for the model. */
  ceiling: ModelPrice;
  /** `operator` when an operator set the ceiling, `default` when it is `price` × 1.5. */
  ceilingSource: 'default' | 'operator';
  /** The most output tokens one answer may have, when the adapter knows it. */
  maxOutputTokens?: number;
}

type Priced = Omit<CatalogModel, 'ceiling' | 'ceilingSource'>;

/** Re-read the operator prices at least this often, so every node converges on another node's change. */
const RELOAD_MS = 10_000;

/** `demoUpstream`: list the built-in demo model (free) while the demo upstream is on (config `DEMO_UPSTREAM`). */
export function createModelCatalog(deps: { database: Database; clock: Clock; demoUpstream?: boolean }) {
  const defaults = new Map<string, Priced>(
    defaultModels().map(({ provider, model }) => [
      model.id,
      { id: model.id, provider, price: model.price, operations: operationsOf(model), priceSource: 'default' as const, maxOutputTokens: model.maxOutputTokens },
    ]),
  );
  const demo: Priced | undefined = deps.demoUpstream
    ? { id: DEMO_MODEL.id, provider: DEMO_PROVIDER, price: DEMO_MODEL.price, operations: operationsOf(DEMO_MODEL), priceSource: 'default' }
    : undefined;
  let cache: { models: Map<string, CatalogModel>; loadedAt: number } | undefined;
  let loading: Promise<Map<string, CatalogModel>> | undefined;

  async function load(): Promise<Map<string, CatalogModel>> {
    const [rows, ceilingRows] = await Promise.all([deps.database.db.select().from(modelPrices), deps.database.db.select().from(modelPriceCeilings)]);
    const priced = new Map(defaults);
    for (const r of rows) {
      const provider = r.provider as ProviderName;
      const known = defaults.get(r.model);
      priced.set(r.model, {
        id: r.model,
        provider,
        price: priceOf(r),
        operations: known?.operations ?? [...(ADAPTERS[provider]?.operations ?? ['chat'])],
        priceSource: 'operator',
        maxOutputTokens: known?.maxOutputTokens,
      });
    }
    // Free whatever the table says (a row written before the name was reserved cannot price it).
    if (demo) priced.set(demo.id, demo);
    const ceilings = new Map(ceilingRows.map((r) => [r.model, priceOf(r)]));
    const models = new Map<string, CatalogModel>();
    for (const [id, m] of priced) {
      const ceiling = ceilings.get(id);
      models.set(id, { ...m, ceiling: ceiling ?? defaultCeiling(m.price), ceilingSource: ceiling ? 'operator' : 'default' });
    }
    cache = { models, loadedAt: deps.clock.now().getTime() };
    return models;
  }

  /** The catalog, at hand while it is cached (platform/maybe.ts). */
  function models(): Maybe<Map<string, CatalogModel>> {
    if (cache && millisOf(deps.clock) - cache.loadedAt < RELOAD_MS) return cache.models;
    loading ??= load().finally(() => (loading = undefined));
    if (!cache) return loading;
    // A stale catalog still answers while the reload runs (a failed reload is retried by the next call).
    loading.catch(() => undefined);
    return cache.models;
  }

  return {
    models,
    get(model: string): Maybe<CatalogModel | undefined> {
      return andThen(models(), (all) => all.get(model));
    },

    async setPrice(model: string, p: { provider: ProviderName; input: bigint; output: bigint; perImage?: bigint | null }) {
      if (model === DEMO_MODEL.id) {
        // Reserved whether the demo is on or off: a price would make it a model real channels try to serve.
        throw new AppError('VALIDATION_FAILED', `\`${model}\` is Tollgate's built-in demo model: it is always free and its price cannot be set.`, { field: 'model' });
      }
      const values = { provider: p.provider, inputMicros: p.input, outputMicros: p.output, perImageMicros: p.perImage ?? null, updatedAt: deps.clock.now() };
      await deps.database.db.insert(modelPrices).values({ model, ...values }).onConflictDoUpdate({ target: modelPrices.model, set: values });
      await load();
      return (cache?.models.get(model)) as CatalogModel;
    },

    /** Sets the most a package may ask for `model`, in µ¥ per 1M tokens (per image for `perImage`). */
    async setCeiling(model: string, p: { input: bigint; output: bigint; perImage?: bigint | null }) {
      const values = { inputMicros: p.input, outputMicros: p.output, perImageMicros: p.perImage ?? null, updatedAt: deps.clock.now() };
      await deps.database.db.insert(modelPriceCeilings).values({ model, ...values }).onConflictDoUpdate({ target: modelPriceCeilings.model, set: values });
      await load();
    },

    /** Drops the operator's ceiling: the model's price × 1.5 applies again. */
    async removeCeiling(model: string): Promise<boolean> {
      const rows = await deps.database.db.delete(modelPriceCeilings).where(eq(modelPriceCeilings.model, model)).returning({ model: modelPriceCeilings.model });
      await load();
      return rows.length > 0;
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

const priceOf = (r: { inputMicros: bigint; outputMicros: bigint; perImageMicros: bigint | null }): ModelPrice => ({
  input: r.inputMicros,
  output: r.outputMicros,
  ...(r.perImageMicros !== null ? { perImage: r.perImageMicros } : {}),
});
