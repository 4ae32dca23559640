import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { apiKeys } from '../identity/identity.tables.ts';
import { channels } from '../routing/channels.tables.ts';

// DESIGN.md §3 Secrets: no response or log line carries any character run of a stored upstream key, an API-key
// hash, the JWT secret or the master key. The suite drives every /1 endpoint, including the refusals that echo
// input back most easily, with logging at its most verbose, then scans everything the app said.

const SPEC_KEY = 'sk-zsbdzsbdzsbdzsbdzsbdzsbdzsbd';
const randomKey = (prefix = 'sk-') => `${prefix}${crypto.randomBytes(36).toString('base64url')}`;

/** Every `length`-character run of `secret`: leaking any one of them leaks part of the key. */
const runsOf = (secret: string, length = 8) => Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));

describe.each(DB_TIERS)('legacy /1 secrets on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  const upstreamKeys: string[] = [];
  const issuedTokens: string[] = [];

  const addKey = (payload: Record<string, unknown>) => {
    if (typeof payload.key === 'string') upstreamKeys.push(payload.key);
    return t.request({ method: 'POST', url: '/1/keys', headers: admin, payload });
  };

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ALLOW_PRIVATE_UPSTREAMS: 'false', LOG_LEVEL: 'trace' } });
    const root = await initRoot(t);
    issuedTokens.push(root.token);
    admin = bearer(root.token);

    // Users: create, read, reset, delete, and the refusals.
    const u1 = (await t.request({ method: 'POST', url: '/1/users', headers: admin, payload: { name: 'u1' } })).json();
    const u2 = (await t.request({ method: 'POST', url: '/1/users', headers: admin, payload: { name: 'u2' } })).json();
    issuedTokens.push(u1.token, u2.token);
    await t.request({ method: 'GET', url: '/1/me', headers: bearer(u1.token) });
    await t.request({ method: 'GET', url: '/1/users', headers: bearer(u1.token) });
    await t.request({ method: 'POST', url: '/1/users', headers: admin, payload: { name: 'u1' } });
    const reset = (await t.request({ method: 'POST', url: `/1/users/${u2.id}/reset`, headers: admin })).json();
    issuedTokens.push(reset.token);
    await t.request({ method: 'GET', url: '/1/me', headers: bearer(u2.token) });
    await t.request({ method: 'DELETE', url: `/1/users/${u1.id}`, headers: admin });
    await t.request({ method: 'GET', url: '/1/me', headers: bearer(u1.token) });
    await t.request({ method: 'GET', url: '/1/users', headers: admin });

    // Keys: stored ones, then every refusal with a key in the body.
    expect((await addKey({ key: SPEC_KEY, name: 'key', api_type: 'openai', endpoint: '' })).statusCode).toBe(200);
    expect((await addKey({ key: randomKey(), name: 'azure', api_type: 'azure_openai', endpoint: 'https://1.1.1.1/v1' })).statusCode).toBe(200);
    const doomed = (await addKey({ key: randomKey('sk-ant-'), name: 'claude', api_type: 'anthropic' })).json();
    await addKey({ key: SPEC_KEY, name: 'duplicate' });
    await addKey({ key: randomKey(), name: 'internal', api_type: 'azure_openai', endpoint: 'https://10.0.0.1' });
    await addKey({ key: randomKey(), name: 'plain-http', endpoint: 'http://api.example.com' });
    await addKey({ key: randomKey(), name: 'no-endpoint', api_type: 'azure_openai' });
    await addKey({ key: randomKey(), name: 'bad-type', api_type: 'nope' });
    await addKey({ key: randomKey(), name: 'x'.repeat(65) });
    await addKey({ key: randomKey(), name: 'extra', secret: 'field' });
    const inUrl = randomKey();
    await addKey({ key: inUrl, name: 'cred-url', endpoint: `https://user:${inUrl}@1.1.1.1` });
    const malformed = randomKey();
    upstreamKeys.push(malformed);
    await t.request({
      method: 'POST',
      url: '/1/keys',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: `{"key":"${malformed}","name":`,
    });
    await t.request({ method: 'GET', url: '/1/keys', headers: admin });
    await t.request({ method: 'DELETE', url: `/1/keys/${doomed.id}`, headers: admin });
    await t.request({ method: 'GET', url: '/1/usages?from=2024-03-01&to=2024-03-31', headers: admin });
    await t.request({ method: 'GET', url: '/1/usages?from=2024-03-31&to=2024-03-01', headers: admin });
    // Keys passed where they do not belong: the query string and unknown routes.
    await t.request({ method: 'GET', url: `/1/keys?key=${SPEC_KEY}`, headers: admin });
    await t.request({ method: 'GET', url: `/1/nowhere?api_key=${SPEC_KEY}`, headers: admin });
  });
  afterAll(() => t?.close());

  const said = () => [...t.responses, ...t.logs].join('\n');

  it('captured the traffic it scans', () => {
    expect(t.responses.length).toBeGreaterThan(50);
    // One line per request (platform/http.ts): every response was logged.
    expect(t.logs.length).toBeGreaterThanOrEqual(t.responses.length / 2);
    expect(upstreamKeys.length).toBeGreaterThanOrEqual(12);
  });

  it('never shows or logs any 8-character run of an upstream key', () => {
    const text = said();
    for (const key of upstreamKeys) {
      for (const run of runsOf(key)) expect(text.includes(run), `"${run}" of an upstream key leaked`).toBe(false);
    }
  });

  it('never shows or logs an API-key hash, a stored fingerprint or ciphertext', async () => {
    const text = said();
    const hashes = await t.database.db.select({ hash: apiKeys.keyHash }).from(apiKeys);
    expect(hashes.length).toBeGreaterThanOrEqual(4);
    for (const { hash } of hashes) expect(text).not.toContain(hash);
    for (const row of await t.database.db.select().from(channels)) {
      expect(text).not.toContain(row.credentialFingerprint);
      expect(text).not.toContain(row.credentialCiphertext);
    }
  });

  it('never shows or logs the JWT secret or the master key', () => {
    const text = said();
    expect(t.config.jwtSecret).toBeTruthy();
    expect(t.config.masterKey).toBeTruthy();
    expect(text).not.toContain(t.config.jwtSecret);
    expect(text.toLowerCase()).not.toContain(t.config.masterKey?.toLowerCase());
  });

  it('never logs one of our API keys, though responses show them once', () => {
    const logs = t.logs.join('\n');
    for (const token of issuedTokens) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.slice(3));
    }
    expect(t.responses.join('\n')).toContain(issuedTokens[0]);
  });

  it('stores each upstream key encrypted under the master key, not as plaintext', async () => {
    const rows = await t.database.db.select().from(channels);
    expect(rows).toHaveLength(3);
    const box = createSecretBox([t.config.masterKey as string]);
    const stored = new Set<string>();
    for (const row of rows) {
      const plaintext = box.decrypt(row.credentialCiphertext);
      expect(upstreamKeys).toContain(plaintext);
      stored.add(plaintext);
      for (const column of [row.credentialCiphertext, row.credentialFingerprint, row.name, row.baseUrl ?? '']) {
        for (const run of runsOf(plaintext)) expect(column).not.toContain(run);
      }
    }
    expect(stored.has(SPEC_KEY)).toBe(true);
    expect(stored.size).toBe(3);
  });

  it('cannot decrypt a stored key with another master key', async () => {
    const [row] = await t.database.db.select().from(channels);
    const other = createSecretBox([crypto.randomBytes(32).toString('hex')]);
    expect(() => other.decrypt(row?.credentialCiphertext ?? '')).toThrow();
  });
});
