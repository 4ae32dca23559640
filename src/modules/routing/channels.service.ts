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

/** Strips a trailing `/v1` (and slashes): channels store the upstream's base, adapters add the path. */
export function normaliseBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '').replace(/\/+$/, '');
}

export function createChannelService(deps: { database: Database; clock: Clock; secrets: SecretBox; allowPrivateUpstreams: boolean; onChange?: () => void }) {
  const { database, clock, secrets } = deps;

  return {
    async create(input: { name: string; provider: ProviderName; credential: string; endpoint?: string }): Promise<ChannelView> {
      let baseUrl: string | null = null;
      if (input.endpoint) {
        const safe = await assertSafeUpstreamUrl(input.endpoint, { allowPrivate: deps.allowPrivateUpstreams, field: 'body.endpoint' });
        baseUrl = normaliseBaseUrl(safe);
      } else if (providerNeedsEndpoint(input.provider)) {
        throw badRequest(`endpoint is required for api_type ${input.provider}`, { field: 'body.endpoint' });
      }
      try {
        const [row] = await database.db
          .insert(channels)
          .values({
            name: input.name,
            provider: input.provider,
            baseUrl,
            credentialCiphertext: secrets.encrypt(input.credential),
            credentialFingerprint: secrets.fingerprint(input.credential),
          })
          .returning();
        deps.onChange?.();
        return view(row as ChannelRow);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('This key is already configured', { field: 'body.key' });
        throw err;
      }
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
