import net from 'node:net';
import { randomString, sha256Hex } from '../../platform/crypto.ts';
import { violatedConstraint, type Database, type Db } from '../../platform/db.ts';
import { AppError, badRequest, notFound, unauthenticated } from '../../platform/errors.ts';
import { pageWindow, type PageQuery } from '../../platform/envelopes.ts';
import { andThen, type Maybe } from '../../platform/maybe.ts';
import type { Principal } from '../../platform/principal.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import type { ApiKeyKind, ApiKeyRow } from './identity.tables.ts';
import * as keysRepo from './api-keys.repo.ts';

// Our own API keys: `sk-` + 48 random characters, stored only as SHA-256, shown once (DESIGN.md §3).

export const API_KEY_PATTERN = /^sk-[A-Za-z0-9]{48}$/;
export const MAX_KEYS_PER_USER = 100;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/**
 * How long a key lookup is reused. The gateway authenticates every request; a database round trip each time would
 * cost more than the proxying. Changes made through this process drop the cached entry at once; a change made on
 * another node (or a user disabled) takes effect within this time.
 */
const AUTH_CACHE_MS = 5_000;

type KeyWithUser = NonNullable<Awaited<ReturnType<typeof keysRepo.findByHash>>>;

const invalidKey = () => new AppError('UNAUTHENTICATED', 'Invalid API key', { openaiCode: 'invalid_api_key' });

export const maskKey = (last4: string) => `sk-…${last4}`;

export interface KeyRestrictions {
  name?: string;
  expiresAt?: Date | null;
  allowedModels?: string[] | null;
  allowedIps?: string[] | null;
  spendLimitMicros?: bigint | null;
  rateLimitRpm?: number | null;
  enabled?: boolean;
}

export interface AuthenticatedKey {
  principal: Principal;
  key: ApiKeyRow;
  /** The key exactly as the caller sent it (the legacy `/1/me` echoes it). */
  token: string;
  /** How the owner pays for gateway use. */
  billing: { mode: 'prepaid' | 'postpaid'; creditLimitMicros: bigint | null };
}

/** Normalises an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) to its IPv4 form. */
const plainIp = (ip: string) => (ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip);

export function parseIpRule(rule: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = rule.split('/');
  if (rest.length > 0) return undefined;
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    return undefined;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function ipAllowed(rules: string[], ip: string): boolean {
  const list = new net.BlockList();
  for (const rule of rules) {
    const r = parseIpRule(rule);
    if (r) list.addSubnet(r.address, r.prefix, r.family);
  }
  const addr = plainIp(ip);
  const family = net.isIP(addr);
  return family !== 0 && list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

export function createApiKeyService(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;
  const lastUsedWrites = new Map<number, number>();
  const authCache = new Map<string, { found: KeyWithUser | undefined; at: number }>();
  const forget = (keyId: number) => {
    for (const [hash, entry] of authCache) if (entry.found?.key.id === keyId) authCache.delete(hash);
  };

  /** The key's owner may use it from `ip` now; every refusal is a 401 except the IP rule (403). */
  function admit(found: KeyWithUser | undefined, token: string, ip: string): AuthenticatedKey {
    if (!found || found.user.status !== 'active' || found.user.deletedAt) throw invalidKey();
    const { key, user } = found;
    const now = clock.now();
    if (!key.enabled) throw unauthenticated('API key is disabled');
    if (key.expiresAt && key.expiresAt <= now) throw unauthenticated('API key has expired');
    if (key.allowedIps?.length && !ipAllowed(key.allowedIps, ip)) {
      throw new AppError('FORBIDDEN', 'This API key may not be used from this IP address', { openaiCode: 'ip_not_allowed' });
    }
    const lastWrite = lastUsedWrites.get(key.id) ?? 0;
    if (now.getTime() - lastWrite >= LAST_USED_WRITE_INTERVAL_MS) {
      lastUsedWrites.set(key.id, now.getTime());
      // Throttled and off the request path: last-used time is informational, one write a minute is plenty.
      void keysRepo.touchLastUsed(database.db, key.id, now).catch(() => lastUsedWrites.delete(key.id));
    }
    return {
      principal: { userId: user.id, role: user.role, via: 'api_key', apiKeyId: key.id },
      key,
      token,
      billing: { mode: user.billingMode, creditLimitMicros: user.creditLimitMicros },
    };
  }

  /** The key and its owner, at hand while cached. */
  function lookup(hash: string): Maybe<KeyWithUser | undefined> {
    const now = millisOf(clock);
    const cached = authCache.get(hash);
    if (cached && now - cached.at < AUTH_CACHE_MS) return cached.found;
    return keysRepo.findByHash(database.db, hash).then((found) => {
      if (authCache.size > 10_000) authCache.clear();
      authCache.set(hash, { found, at: now });
      return found;
    });
  }

  function mint() {
    const token = `sk-${randomString(48)}`;
    return { token, keyHash: sha256Hex(token), last4: token.slice(-4) };
  }

  async function create(userId: number, input: KeyRestrictions & { name: string }, kind: ApiKeyKind = 'standard', db: Db = database.db) {
    if (kind === 'standard' && (await keysRepo.countLive(db, userId, kind)) >= MAX_KEYS_PER_USER) {
      throw new AppError('CONFLICT', `At most ${MAX_KEYS_PER_USER} API keys per user; delete one first`);
    }
    if (input.expiresAt && input.expiresAt <= clock.now()) {
      throw badRequest('expires_at must be in the future', { field: 'body.expires_at' });
    }
    const { token, keyHash, last4 } = mint();
    const row = await keysRepo.insertKey(db, {
      userId,
      name: input.name,
      kind,
      keyHash,
      last4,
      expiresAt: input.expiresAt ?? null,
      allowedModels: input.allowedModels ?? null,
      allowedIps: input.allowedIps ?? null,
      spendLimitMicros: input.spendLimitMicros ?? null,
      rateLimitRpm: input.rateLimitRpm ?? null,
    });
    return { row, token };
  }

  return {
    create,

    async page(userId: number, q: PageQuery) {
      const { limit, offset } = pageWindow(q);
      return keysRepo.pageOwned(database.db, userId, 'standard', limit, offset);
    },

    async get(userId: number, id: number) {
      const row = await keysRepo.findOwned(database.db, userId, id);
      if (!row || row.kind !== 'standard') throw notFound('API key');
      return row;
    },

    async update(userId: number, id: number, patch: KeyRestrictions) {
      const now = clock.now();
      if (patch.expiresAt && patch.expiresAt <= now) throw badRequest('expires_at must be in the future', { field: 'body.expires_at' });
      const existing = await keysRepo.findOwned(database.db, userId, id);
      if (!existing || existing.kind !== 'standard') throw notFound('API key');
      const row = await keysRepo.updateOwned(database.db, userId, id, { ...patch, updatedAt: now });
      if (!row) throw notFound('API key');
      forget(id);
      return row;
    },

    async revoke(userId: number, id: number) {
      const existing = await keysRepo.findOwned(database.db, userId, id);
      if (!existing || existing.kind !== 'standard') throw notFound('API key');
      const now = clock.now();
      await keysRepo.updateOwned(database.db, userId, id, { revokedAt: now, updatedAt: now });
      forget(id);
    },

    /** Replaces the user's legacy (`/1`) token; the old one stops working in the same commit as the new one starts. */
    async issueLegacyToken(userId: number, tx?: Db) {
      const issue = async (db: Db) => {
        await keysRepo.revokeKinds(db, userId, 'legacy', clock.now());
        return create(userId, { name: 'legacy token' }, 'legacy', db);
      };
      const issued = await (tx ? issue(tx) : database.transaction(issue));
      authCache.clear();
      return issued;
    },

    legacyKeysOf: (userIds: number[]) => keysRepo.legacyKeysOf(database.db, userIds),

    /** Adds gateway spend per key inside the billing flusher's transaction. */
    addSpendStatement: keysRepo.addSpendStatement,

    /** The key whose spend limit refused `addSpendStatement(…, { enforceLimits: true })`, if that is what `err` is. */
    keyOverLimitOf(err: unknown): number | undefined {
      if (violatedConstraint(err) !== keysRepo.KEY_SPEND_GUARD) return undefined;
      for (let e = err as { detail?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
        if (typeof e.detail === 'string' && /^\d+$/.test(e.detail)) return Number(e.detail);
      }
      return undefined;
    },

    /** Forgets every cached lookup (a user was disabled, a legacy token reset). */
    forgetAll: () => authCache.clear(),

    /**
     * Resolves a raw key from `/v1` or `/1` to its owner; every refusal is a 401 except the IP rule (403). Through the
     * cache (`cached`), a key looked up in the last seconds is answered at once (platform/maybe.ts).
     */
    authenticate(token: string, ip: string, opts: { cached?: boolean } = {}): Maybe<AuthenticatedKey> {
      if (!API_KEY_PATTERN.test(token)) return Promise.reject(invalidKey());
      const hash = sha256Hex(token);
      return andThen(opts.cached ? lookup(hash) : keysRepo.findByHash(database.db, hash), (found) => admit(found, token, ip));
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
