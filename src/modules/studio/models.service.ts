import { and, asc, eq, isNotNull, isNull, type SQL } from 'drizzle-orm';
import type { SecretBox } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database } from '../../platform/db.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import { assertSafeUpstreamUrl } from '../../platform/ssrf.ts';
import type { Clock } from '../../platform/time.ts';
import { providerNeedsEndpoint, type ProviderName } from '../providers/catalog.ts';
import { keyHint, normaliseBaseUrl, refuseMovingStoredKey } from '../routing/channels.service.ts';
import type { PlatformUpstream } from '../routing/platform-candidates.ts';
import { registryModels, type RegistryModelRow } from './models.tables.ts';

// The studio's model registry (`/api/v1/models`). An entry with an `api_key` is also a platform upstream of its own
// for `model_name`; the router reads those through `routable()`.

/** A registry entry as anything outside this module may see it: never the credential, only our fingerprint id. */
export type RegistryModel = Omit<RegistryModelRow, 'credentialCiphertext' | 'credentialFingerprint' | 'deletedAt'> & {
  provider: ProviderName;
  hasApiKey: boolean;
  keyHint: string | null;
};

export interface RegistryModelInput {
  name: string;
  provider: ProviderName;
  modelName: string;
  apiKey?: string | null;
  apiBase?: string | null;
  config?: Record<string, unknown>;
  creditsCost?: number;
  isActive?: boolean;
}

/** `apiKey: null` / `apiBase: null` remove them; absent fields stay as they are. */
export type RegistryModelPatch = Partial<RegistryModelInput>;

const live = isNull(registryModels.deletedAt);

function view(row: RegistryModelRow): RegistryModel {
  const { credentialCiphertext, credentialFingerprint, deletedAt: _d, ...rest } = row;
  return {
    ...rest,
    provider: row.provider as ProviderName,
    hasApiKey: credentialCiphertext !== null,
    keyHint: credentialCiphertext !== null && credentialFingerprint ? keyHint(credentialFingerprint) : null,
  };
}

export function createModelRegistry(deps: { database: Database; clock: Clock; secrets: SecretBox; allowPrivateUpstreams: boolean; onChange?: () => void }) {
  const { database, clock, secrets } = deps;

  const safeApiBase = (raw: string) => assertSafeUpstreamUrl(raw, { allowPrivate: deps.allowPrivateUpstreams, field: 'body.api_base' });

  function sealed(apiKey: string | null) {
    return apiKey === null
      ? { credentialCiphertext: null, credentialFingerprint: null }
      : { credentialCiphertext: secrets.encrypt(apiKey), credentialFingerprint: secrets.fingerprint(apiKey) };
  }

  // A keyed Azure entry routes to its own resource: without an endpoint the router would have nowhere to send it.
  function assertEndpoint(provider: ProviderName, hasKey: boolean, apiBase: string | null) {
    if (hasKey && !apiBase && providerNeedsEndpoint(provider)) {
      throw badRequest(`api_base is required for provider ${provider} when an api_key is set`, { field: 'body.api_base' });
    }
  }

  async function liveRow(id: number): Promise<RegistryModelRow> {
    const [row] = await database.db.select().from(registryModels).where(and(eq(registryModels.id, id), live));
    if (!row) throw notFound('Model');
    return row;
  }

  async function writing<T>(write: () => Promise<T>): Promise<T> {
    try {
      const result = await write();
      deps.onChange?.();
      return result;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('A model with this name already exists', { field: 'body.name' });
      throw err;
    }
  }

  return {
    /** Live entries; inactive ones only when `includeInactive` (operators). */
    async list(filter: { provider?: ProviderName; isActive?: boolean; includeInactive: boolean }): Promise<RegistryModel[]> {
      const where: SQL[] = [live];
      if (filter.provider) where.push(eq(registryModels.provider, filter.provider));
      if (!filter.includeInactive) where.push(eq(registryModels.isActive, true));
      if (filter.isActive !== undefined) where.push(eq(registryModels.isActive, filter.isActive));
      const rows = await database.db.select().from(registryModels).where(and(...where)).orderBy(asc(registryModels.id));
      return rows.map(view);
    },

    async get(id: number): Promise<RegistryModel> {
      return view(await liveRow(id));
    },

    async create(input: RegistryModelInput): Promise<RegistryModel> {
      const apiBase = input.apiBase ? await safeApiBase(input.apiBase) : null;
      assertEndpoint(input.provider, Boolean(input.apiKey), apiBase);
      const now = clock.now();
      return writing(async () => {
        const [row] = await database.db
          .insert(registryModels)
          .values({
            name: input.name,
            provider: input.provider,
            modelName: input.modelName,
            ...sealed(input.apiKey || null),
            apiBase,
            config: input.config ?? {},
            creditsCost: input.creditsCost ?? 0,
            isActive: input.isActive ?? true,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return view(row as RegistryModelRow);
      });
    },

    /** A stored key follows a new `api_base` or `provider` only when `api_key` is given again (or removed) with it. */
    async update(id: number, patch: RegistryModelPatch): Promise<RegistryModel> {
      const current = await liveRow(id);
      let apiBase = current.apiBase;
      if (patch.apiBase !== undefined) apiBase = patch.apiBase === null ? null : await safeApiBase(patch.apiBase);
      const provider = patch.provider ?? (current.provider as ProviderName);
      if (current.credentialCiphertext !== null) {
        const moved = apiBase !== current.apiBase ? 'api_base' : provider !== current.provider ? 'provider' : undefined;
        refuseMovingStoredKey(moved, patch.apiKey !== undefined, 'body.api_key');
      }
      const hasKey = patch.apiKey === undefined ? current.credentialCiphertext !== null : patch.apiKey !== null;
      assertEndpoint(provider, hasKey, apiBase);
      return writing(async () => {
        const [row] = await database.db
          .update(registryModels)
          .set({
            name: patch.name,
            provider: patch.provider,
            modelName: patch.modelName,
            ...(patch.apiKey !== undefined ? sealed(patch.apiKey) : {}),
            ...(patch.apiBase !== undefined ? { apiBase } : {}),
            config: patch.config,
            creditsCost: patch.creditsCost,
            isActive: patch.isActive,
            updatedAt: clock.now(),
          })
          .where(and(eq(registryModels.id, id), live))
          .returning();
        if (!row) throw notFound('Model');
        return view(row);
      });
    },

    /** Soft delete. The ciphertext goes too: a deleted entry has no use for a working credential. */
    async remove(id: number): Promise<void> {
      const now = clock.now();
      await writing(async () => {
        const rows = await database.db
          .update(registryModels)
          .set({ deletedAt: now, updatedAt: now, credentialCiphertext: null })
          .where(and(eq(registryModels.id, id), live))
          .returning({ id: registryModels.id });
        if (rows.length === 0) throw notFound('Model');
      });
    },

    /** Active entries that carry their own key, as router upstreams (ciphertext only: the candidate source decrypts on use). */
    async routable(): Promise<PlatformUpstream[]> {
      const rows = await database.db
        .select()
        .from(registryModels)
        .where(and(live, eq(registryModels.isActive, true), isNotNull(registryModels.credentialCiphertext)))
        .orderBy(asc(registryModels.id));
      return rows.map((r) => ({
        kind: 'model' as const,
        id: r.id,
        provider: r.provider as ProviderName,
        baseUrl: r.apiBase ? normaliseBaseUrl(r.apiBase) : null,
        credentialCiphertext: r.credentialCiphertext as string,
        models: [r.modelName],
        weight: 1,
      }));
    },
  };
}

export type ModelRegistry = ReturnType<typeof createModelRegistry>;
