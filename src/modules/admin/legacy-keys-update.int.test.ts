import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { channels } from '../routing/channels.tables.ts';

// PATCH /1/keys/:id (our addition to the legacy API): a key may be renamed freely, but it follows a new endpoint or
// api_type only when it is given again in the same request.

const upstreamKey = () => `sk-${crypto.randomBytes(36).toString('base64url')}`;

describe.each(DB_TIERS)('legacy PATCH /1/keys/:id on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;

  const addKey = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/1/keys', headers: admin, payload });

  beforeAll(async () => {
    t = await startTestApp(tier);
    admin = bearer((await initRoot(t)).token);
  });
  afterAll(() => t?.close());

  describe('PATCH /1/keys/:id', () => {
    const patchKey = (id: number, payload: Record<string, unknown>) => t.request({ method: 'PATCH', url: `/1/keys/${id}`, headers: admin, payload });
    const rowOf = async (id: number) => (await t.database.db.select().from(channels).where(eq(channels.id, id)))[0];

    it('renames a key without asking for it again', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'old-name', endpoint: 'https://one.example.com/v1' })).json();
      const res = await patchKey(created.id, { name: 'new-name', endpoint: 'https://one.example.com/' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: created.id, name: 'new-name', key: '****', key_hint: created.key_hint, endpoint: 'https://one.example.com' });
    });

    it('refuses to move a stored key to another endpoint or api_type unless the key is given again (400 naming key)', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'stay-put', endpoint: 'https://one.example.com' })).json();
      const before = await rowOf(created.id);
      for (const [payload, moved] of [
        [{ endpoint: 'https://collector.example.net' }, 'endpoint'],
        [{ endpoint: '' }, 'endpoint'],
        [{ api_type: 'anthropic' }, 'api_type'],
        [{ name: 'renamed-too', api_type: 'gemini', endpoint: 'https://one.example.com' }, 'api_type'],
      ] as const) {
        const res = await patchKey(created.id, payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json()).toEqual({ error: `Changing ${moved} needs key again in the same request: a stored key is never sent to a new destination without it` });
      }
      expect(await rowOf(created.id)).toEqual(before);
    });

    it('moves a key when it is given again, and the new key replaces the old one', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'movable', endpoint: 'https://one.example.com' })).json();
      const before = await rowOf(created.id);
      const res = await patchKey(created.id, { endpoint: 'https://two.example.com/v1', api_type: 'anthropic', key: upstreamKey() });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: created.id, name: 'movable', ApiType: 'anthropic', endpoint: 'https://two.example.com', key: '****' });
      expect(res.json().key_hint).not.toBe(created.key_hint);
      const after = await rowOf(created.id);
      expect(after?.credentialCiphertext).not.toBe(before?.credentialCiphertext);
      expect(after?.updatedAt.getTime()).toBeGreaterThanOrEqual(before?.updatedAt.getTime() ?? 0);
    });

    it('keeps the other rules: azure needs an endpoint, a key mounted elsewhere is 409, an unknown id 404, an empty body 400', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'rules' })).json();
      const azure = await patchKey(created.id, { api_type: 'azure_openai', key: upstreamKey() });
      expect(azure.statusCode).toBe(400);
      expect(azure.json()).toEqual({ error: 'endpoint is required for api_type azure_openai' });
      const otherKey = upstreamKey();
      await addKey({ key: otherKey, name: 'other' });
      const taken = await patchKey(created.id, { key: otherKey });
      expect(taken.statusCode).toBe(409);
      expect((await patchKey(999_999, { name: 'ghost' })).statusCode).toBe(404);
      expect((await patchKey(created.id, {})).statusCode).toBe(400);
      const spaced = await patchKey(created.id, { key: 'sk-with space' });
      expect(spaced.json()).toEqual({ error: 'Invalid request: body.key: must be printable ASCII without spaces' });
    });

    it('is for operators only', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'guarded' })).json();
      const res = await t.request({ method: 'PATCH', url: `/1/keys/${created.id}`, payload: { name: 'x' } });
      expect(res.statusCode).toBe(401);
    });
  });
});
