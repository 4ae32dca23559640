import { and, asc, eq, isNull } from 'drizzle-orm';
import type { SecretBox } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database } from '../../platform/db.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import { assertSafeUpstreamUrl } from '../../platform/ssrf.ts';
import type { Clock } from '../../platform/time.ts';
import { providerNeedsEndpoint, type ProviderName } from '../providers/catalog.ts';
import { channels, type ChannelRow } from './channels.tables.ts';
import type { PlatformUpstream } from './platform-candidates.ts';

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

export interface ChannelChange {
  name?: string;
  provider?: ProviderName;
  /** '' goes back to the provider's default base URL. */
  endpoint?: string;
  credential?: string;
}

export function createChannelService(deps: { database: Database; clock: Clock; secrets: SecretBox; allowPrivateUpstreams: boolean; onChange?: () => void }) {
  const { database, clock, secrets } = deps;

  /** The stored base URL for `endpoint`: '' is the provider's default (null). */
  async function baseUrlFor(endpoint: string): Promise<string | null> {
    return endpoint ? normaliseBaseUrl(await assertSafeUpstreamUrl(endpoint, { allowPrivate: deps.allowPrivateUpstreams, field: 'body.endpoint' })) : null;
  }

  function requireEndpoint(provider: ProviderName, baseUrl: string | null): void {
    if (!baseUrl && providerNeedsEndpoint(provider)) throw badRequest(`endpoint is required for api_type ${provider}`, { field: 'body.endpoint' });
  }

  const sealed = (credential: string) => ({ credentialCiphertext: secrets.encrypt(credential), credentialFingerprint: secrets.fingerprint(credential) });

  async function writing(write: () => Promise<ChannelRow | undefined>): Promise<ChannelView> {
    let row: ChannelRow | undefined;
    try {
      row = await write();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('This key is already configured', { field: 'body.key' });
      throw err;
    }
    if (!row) throw notFound('Key');
    deps.onChange?.();
    return view(row);
  }

  return {
    async create(input: { name: string; provider: ProviderName; credential: string; endpoint?: string }): Promise<ChannelView> {
      const baseUrl = await baseUrlFor(input.endpoint ?? '');
      requireEndpoint(input.provider, baseUrl);
      return writing(async () => {
        const [row] = await database.db.insert(channels).values({ name: input.name, provider: input.provider, baseUrl, ...sealed(input.credential) }).returning();
        return row;
      });
    },

    /** Renames a channel, or points it elsewhere — the latter only with its key given again (refuseMovingStoredKey). */
    async update(id: number, change: ChannelChange): Promise<ChannelView> {
      const [current] = await database.db.select().from(channels).where(and(eq(channels.id, id), live));
      if (!current) throw notFound('Key');
      const provider = change.provider ?? (current.provider as ProviderName);
      const baseUrl = change.endpoint === undefined ? current.baseUrl : await baseUrlFor(change.endpoint);
      requireEndpoint(provider, baseUrl);
      const moved = baseUrl !== current.baseUrl ? 'endpoint' : provider !== current.provider ? 'api_type' : undefined;
      refuseMovingStoredKey(moved, change.credential !== undefined, 'body.key');
      return writing(async () => {
        const [row] = await database.db
          .update(channels)
          .set({ name: change.name, provider, baseUrl, ...(change.credential === undefined ? {} : sealed(change.credential)), updatedAt: clock.now() })
          .where(and(eq(channels.id, id), live))
          .returning();
        return row;
      });
    },

    /** Enabled channels as router upstreams (ciphertext only: the candidate source decrypts on use). */
    async routable(): Promise<PlatformUpstream[]> {
      const rows = await database.db.select().from(channels).where(and(live, eq(channels.enabled, true))).orderBy(asc(channels.id));
      return rows.map((r) => ({
        kind: 'channel' as const,
        id: r.id,
        provider: r.provider as ProviderName,
        baseUrl: r.baseUrl,
        credentialCiphertext: r.credentialCiphertext,
        models: r.models ?? null,
        weight: r.weight,
      }));
    },

    async list(): Promise<ChannelView[]> {
      const rows = await database.db.select().from(channels).where(live).orderBy(asc(channels.id));
      return rows.map(view);
    },

    async remove(id: number): Promise<void> {
      const now = clock.now();
      const rows = await database.db
        .update(channels)
        .set({ deletedAt: now, updatedAt: now, enabled: false })
        .where(and(eq(channels.id, id), live))
        .returning({ id: channels.id });
      if (rows.length === 0) throw notFound('Key');
      deps.onChange?.();
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
