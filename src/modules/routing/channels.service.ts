import { and, asc, eq, isNull } from 'drizzle-orm';
import type { SecretBox } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database, type Db } from '../../platform/db.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import { assertSafeUpstreamUrl } from '../../platform/ssrf.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { providerNeedsEndpoint, type ProviderName } from '../providers/catalog.ts';
import { channels, type ChannelRow } from './channels.tables.ts';
import type { ModelCatalog } from './model-catalog.service.ts';
import type { PlatformUpstream } from './platform-candidates.ts';

// Platform channels — the operators' own upstream accounts — for both faces that manage them: the legacy `/1/keys`
// and the console's `/api/v1/admin/channels`. One service, so a rule (SSRF, a moved key, a priced model) holds for both.
// Every write is audited in its own transaction and invalidates the router's snapshot (`onChange`).

/** A channel as anything outside routing may see it: never the credential, only our own fingerprint id. */
export type ChannelView = Omit<ChannelRow, 'credentialCiphertext' | 'credentialFingerprint'> & { keyHint: string };

const live = isNull(channels.deletedAt);

/** Our own id for a stored credential: a prefix of its keyed HMAC, so it reveals nothing of the key. */
export const keyHint = (fingerprint: string) => `fp_${fingerprint.slice(0, 12)}`;

function view(row: ChannelRow): ChannelView {
  const { credentialCiphertext: _c, credentialFingerprint, ...rest } = row;
  return { ...rest, keyHint: keyHint(credentialFingerprint) };
}

/**
 * A stored key follows a change of where it is sent (base URL, provider) only when given again in the same request:
 * otherwise a slip, or a hijacked operator session, could point a working key at a host that records it.
 * `moved` names the field whose change moves the key.
 */
export function refuseMovingStoredKey(moved: string | undefined, keyGiven: boolean, keyField: string): void {
  if (!moved || keyGiven) return;
  const key = keyField.replace(/^body\./, '');
  throw badRequest(`Changing ${moved} needs ${key} again in the same request: a stored key is never sent to a new destination without it`, { field: keyField });
}

/** Strips a trailing `/v1` (and slashes): channels store the upstream's base, adapters add the path. */
export function normaliseBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '').replace(/\/+$/, '');
}

/** Who writes a channel (the audit log's actor and request) and through which API. */
export interface ChannelWriter {
  userId: number;
  requestId: string;
  /** `/1/keys` calls the provider `api_type` and a channel a "Key" in its errors; the console says `provider`, "Channel". */
  api: 'legacy' | 'console';
}

const WORDS = { legacy: { provider: 'api_type', noun: 'Key' }, console: { provider: 'provider', noun: 'Channel' } } as const;

/** How a channel is routed (the console's settings; `/1/keys` leaves them as they are). */
export interface ChannelSettings {
  /** Client-visible model names, each on the price list; null or empty: every priced model of the provider. */
  models?: string[] | null;
  weight?: number;
  priority?: number;
  /** null: no cap. */
  rpmLimit?: number | null;
  maxConcurrent?: number | null;
  enabled?: boolean;
}

export interface ChannelInput extends ChannelSettings {
  name: string;
  provider: ProviderName;
  credential: string;
  endpoint?: string;
}

export interface ChannelChange extends ChannelSettings {
  name?: string;
  provider?: ProviderName;
  /** '' goes back to the provider's default base URL. */
  endpoint?: string;
  credential?: string;
}

export interface ChannelServiceDeps {
  database: Database;
  clock: Clock;
  secrets: SecretBox;
  allowPrivateUpstreams: boolean;
  /** The price list: a channel may only name models buyers can be charged for. */
  catalog: Pick<ModelCatalog, 'get'>;
  audit: Pick<AuditLog, 'record'>;
  onChange?: () => void;
}

const asUpstream = (r: ChannelRow): PlatformUpstream => ({
  kind: 'channel',
  id: r.id,
  provider: r.provider as ProviderName,
  baseUrl: r.baseUrl,
  credentialCiphertext: r.credentialCiphertext,
  models: r.models ?? null,
  weight: r.weight,
  priority: r.priority,
  rpmLimit: r.rpmLimit,
  maxConcurrent: r.maxConcurrent,
});

export function createChannelService(deps: ChannelServiceDeps) {
  const { database, clock, secrets } = deps;

  /** The stored base URL for `endpoint`: '' is the provider's default (null). Resolves DNS: never inside a transaction. */
  async function baseUrlFor(endpoint: string): Promise<string | null> {
    return endpoint ? normaliseBaseUrl(await assertSafeUpstreamUrl(endpoint, { allowPrivate: deps.allowPrivateUpstreams, field: 'body.endpoint' })) : null;
  }

  function requireEndpoint(provider: ProviderName, baseUrl: string | null, writer: ChannelWriter): void {
    if (!baseUrl && providerNeedsEndpoint(provider)) throw badRequest(`endpoint is required for ${WORDS[writer.api].provider} ${provider}`, { field: 'body.endpoint' });
  }

  /**
   * The models to store: null for "every priced model", each name once. A name off the price list could never be
   * routed (the gateway serves only priced models), so it is refused with where to price it.
   */
  async function pricedModels(models: string[] | null | undefined): Promise<string[] | null | undefined> {
    if (models === undefined) return undefined;
    if (models === null || models.length === 0) return null;
    const unique = [...new Set(models)];
    const unknown = (await Promise.all(unique.map(async (m) => ((await deps.catalog.get(m)) ? [] : [m])))).flat();
    if (unknown.length > 0) {
      const names = unknown.map((m) => `"${m}"`).join(', ');
      throw badRequest(
        `body.models: ${names} ${unknown.length === 1 ? 'is' : 'are'} not on the price list; set a price first under Channels → Model prices in the console (PUT /api/v1/admin/model-prices/${unknown[0]})`,
        { field: 'body.models' },
      );
    }
    return unique;
  }

  const sealed = (credential: string) => ({ credentialCiphertext: secrets.encrypt(credential), credentialFingerprint: secrets.fingerprint(credential) });

  const settingsOf = (s: ChannelSettings, models: string[] | null | undefined) => ({
    models, weight: s.weight, priority: s.priority, rpmLimit: s.rpmLimit, maxConcurrent: s.maxConcurrent, enabled: s.enabled,
  });

  /** Runs one write with its audit event in a transaction; undefined from `write` means no such channel. */
  async function writing(
    writer: ChannelWriter,
    action: string,
    write: (tx: Db) => Promise<{ before?: ChannelRow; after: ChannelRow } | undefined>,
  ): Promise<ChannelView> {
    let after: ChannelRow | undefined;
    try {
      after = await database.transaction(async (tx) => {
        const change = await write(tx);
        if (!change) return undefined;
        await deps.audit.record(tx, {
          actorUserId: writer.userId, action, objectType: 'channel', objectId: String(change.after.id),
          before: change.before && view(change.before), after: view(change.after), requestId: writer.requestId,
        });
        return change.after;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('This key is already configured', { field: 'body.key' });
      throw err;
    }
    if (!after) throw notFound(WORDS[writer.api].noun);
    deps.onChange?.();
    return view(after);
  }

  async function liveRow(id: number): Promise<ChannelRow> {
    const [row] = await database.db.select().from(channels).where(and(eq(channels.id, id), live));
    if (!row) throw notFound('Channel');
    return row;
  }

  return {
    async create(writer: ChannelWriter, input: ChannelInput): Promise<ChannelView> {
      const baseUrl = await baseUrlFor(input.endpoint ?? '');
      requireEndpoint(input.provider, baseUrl, writer);
      const models = await pricedModels(input.models);
      return writing(writer, 'channel.create', async (tx) => {
        const values = { name: input.name, provider: input.provider, baseUrl, ...sealed(input.credential), ...settingsOf(input, models) };
        const [after] = await tx.insert(channels).values(values).returning();
        return after && { after };
      });
    },

    /** Changes any subset; pointing the key elsewhere (endpoint, provider) needs it again (refuseMovingStoredKey). */
    async update(writer: ChannelWriter, id: number, change: ChannelChange): Promise<ChannelView> {
      const endpointBase = change.endpoint === undefined ? undefined : await baseUrlFor(change.endpoint);
      const models = await pricedModels(change.models);
      return writing(writer, 'channel.update', async (tx) => {
        const [before] = await tx.select().from(channels).where(and(eq(channels.id, id), live)).for('update');
        if (!before) return undefined;
        const provider = change.provider ?? (before.provider as ProviderName);
        const baseUrl = endpointBase === undefined ? before.baseUrl : endpointBase;
        requireEndpoint(provider, baseUrl, writer);
        const moved = baseUrl !== before.baseUrl ? 'endpoint' : provider !== before.provider ? WORDS[writer.api].provider : undefined;
        refuseMovingStoredKey(moved, change.credential !== undefined, 'body.key');
        const [after] = await tx
          .update(channels)
          .set({
            name: change.name, provider, baseUrl, ...(change.credential === undefined ? {} : sealed(change.credential)),
            ...settingsOf(change, models), updatedAt: clock.now(),
          })
          .where(eq(channels.id, id))
          .returning();
        return after && { before, after };
      });
    },

    async remove(writer: ChannelWriter, id: number): Promise<void> {
      const now = clock.now();
      await writing(writer, 'channel.delete', async (tx) => {
        const [before] = await tx.select().from(channels).where(and(eq(channels.id, id), live)).for('update');
        if (!before) return undefined;
        const [after] = await tx.update(channels).set({ deletedAt: now, updatedAt: now, enabled: false }).where(eq(channels.id, id)).returning();
        return after && { before, after };
      });
    },

    async get(id: number): Promise<ChannelView> {
      return view(await liveRow(id));
    },

    async list(): Promise<ChannelView[]> {
      const rows = await database.db.select().from(channels).where(live).orderBy(asc(channels.id));
      return rows.map(view);
    },

    /** Enabled channels as router upstreams (ciphertext only: the candidate source decrypts on use). */
    async routable(): Promise<PlatformUpstream[]> {
      const rows = await database.db.select().from(channels).where(and(live, eq(channels.enabled, true))).orderBy(asc(channels.id));
      return rows.map(asUpstream);
    },

    /** One live channel as an upstream, enabled or not: an operator tests a channel before turning it on. */
    async upstreamOf(id: number): Promise<PlatformUpstream> {
      return asUpstream(await liveRow(id));
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
