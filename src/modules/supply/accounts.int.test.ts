import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { supplyAccounts } from './supply.tables.ts';

// Supply accounts through the HTTP API: verify against the fake provider, mount with an Idempotency-Key, the state
// machine (activate/suspend/delete, operator review and disable), the audit log, tenancy and the query-string rule.
// Every response of a contract operation is validated against the YAML by the harness.

describe.each(DB_TIERS)('supply accounts on $name', (tier) => {
  let h: SupplyHarness;
  let alice: Actor;
  let bob: Actor;
  const idem = () => ({ 'idempotency-key': `acct-${Math.random().toString(36).slice(2)}-${Date.now()}` });
  const create = (who: Actor, credential: string, extra: Record<string, unknown> = {}, headers = idem()) =>
    h.call(who, 'POST', '/api/v1/supply/accounts', { payload: { provider: 'openai', account_type: 'api_key', credential_input: credential, risk_ack: true, ...extra }, headers });

  beforeAll(async () => {
    h = await startSupply(tier);
    alice = await h.supplier();
    bob = await h.supplier();
  });
  afterAll(async () => {
    h?.assertNoLeaks();
    h?.assertOnlyDeclaredStatuses();
    await h?.close();
  });

  it('verifies a credential with a real call to the provider and stores nothing', async () => {
    const credential = h.credential();
    const before = h.provider.requests.length;
    const res = await h.call(alice, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'openai', account_type: 'api_key', credential_input: credential } });
    expect(res.status).toBe(200);
    expect(res.body.data.verify_status).toBe('pass');
    expect(res.body.data.risk_score).toBeGreaterThanOrEqual(0);
    expect(res.body.data.check_items.map((c: { item: string }) => c.item)).toEqual(['reachability', 'authentication', 'model_access', 'quota', 'duplicate']);
    // The provider saw our credential in its own auth header.
    const seen = h.provider.requests.slice(before).find((r) => r.path.endsWith('/models'));
    expect(seen?.headers.authorization).toBe(`Bearer ${credential}`);
    expect(await h.t.database.db.select().from(supplyAccounts)).toHaveLength(0);
  });

  it('rejects a credential the provider refuses, and flags a low balance for review', async () => {
    const refused = await h.call(alice, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential('<<<<') } });
    expect(refused.status).toBe(200);
    expect(refused.body.data.verify_status).toBe('reject');
    expect(refused.body.data.check_items.find((c: { item: string }) => c.item === 'authentication').result).toBe('fail');
    const low = await h.call(alice, 'POST', '/api/v1/supply/accounts/verify', {
      payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential('))))'), min_quota_threshold: 10 },
    });
    expect(low.body.data.verify_status).toBe('review_required');
    expect(low.body.data.available_quota).toBe(1.25);
  });

  it('answers bad input with 400 in the supply envelope, naming the field', async () => {
    const res = await h.call(alice, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'mystery', account_type: 'api_key', credential_input: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('SUP_ACC_4001');
    const noKey = await create(alice, h.credential(), {}, {} as ReturnType<typeof idem>);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.details.field).toBe('headers.idempotency-key');
    const noAck = await create(alice, h.credential(), { risk_ack: false });
    expect(noAck.status).toBe(400);
    expect(JSON.stringify(noAck.body.error.details)).toContain('risk_ack');
  });

  it('mounts an account as pending, encrypted, and replays the same answer for the same Idempotency-Key', async () => {
    const credential = h.credential();
    const headers = idem();
    const first = await create(alice, credential, { account_alias: 'main key' }, headers);
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ provider: 'openai', account_type: 'api_key', account_alias: 'main key', status: 'pending' });
    const again = await create(alice, credential, { account_alias: 'main key' }, headers);
    expect(again.status).toBe(201);
    expect(again.body.data).toEqual(first.body.data);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The contract declares no 409 for createSupplyAccount: the key reused with another body is 422 SUP_ACC_4222.
    const other = await create(alice, credential, { account_alias: 'another alias' }, headers);
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'SUP_ACC_4222', details: { field: 'headers.idempotency-key' } });
    const [row] = await h.t.database.db.select().from(supplyAccounts).where(eq(supplyAccounts.id, first.body.data.account_id));
    expect(row?.credentialCiphertext).not.toContain(credential);
    expect(row?.credentialCiphertext.startsWith('v1.')).toBe(true);
  });

  it('refuses a credential already mounted, by anyone (422 SUP_ACC_4221), and a rejected one (422 SUP_ACC_4223)', async () => {
    const credential = h.credential();
    expect((await create(alice, credential)).status).toBe(201);
    const dup = await create(bob, credential);
    expect(dup.status).toBe(422);
    expect(dup.body.error).toMatchObject({ code: 'SUP_ACC_4221', message: 'This credential is already mounted as a supply account' });
    const refused = await create(bob, h.credential('<<<<'));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('SUP_ACC_4223');
    expect(refused.body.error.details.verify_status).toBe('reject');
  });

  it('answers two concurrent creates with one Idempotency-Key with one account, and only declared statuses', async () => {
    const credential = h.credential();
    const headers = idem();
    const before = (await h.t.database.db.select().from(supplyAccounts)).length;
    const results = await Promise.all([create(alice, credential, {}, headers), create(alice, credential, {}, headers)]);
    for (const r of results) {
      expect([201, 422], r.raw).toContain(r.status);
      if (r.status === 422) expect(r.body.error.code).toBe('SUP_ACC_4222');
    }
    expect(results.some((r) => r.status === 201)).toBe(true);
    expect(await h.t.database.db.select().from(supplyAccounts)).toHaveLength(before + 1);
  });

  it('refuses a credential that is not printable ASCII without spaces with 400 SUP_ACC_4001, on verify and create', async () => {
    for (const credential_input of ['sk-with space inside', 'sk-ünïcødé-key', 'sk-line\u2028separator']) {
      const verify = await h.call(alice, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'openai', account_type: 'api_key', credential_input } });
      expect(verify.status).toBe(400);
      expect(verify.body.error).toMatchObject({ code: 'SUP_ACC_4001', details: { field: 'body.credential_input' } });
      const created = await create(alice, credential_input);
      expect(created.status).toBe(400);
      expect(created.body.error.details.field).toBe('body.credential_input');
    }
  });

  it('walks the states: activate, suspend, activate again; delete refused while active', async () => {
    const id = (await create(alice, h.credential())).body.data.account_id;
    const activate = await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`);
    expect(activate.status).toBe(200);
    expect(activate.body.data).toMatchObject({ account_id: id, status: 'active' });
    const twice = await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('SUP_ACC_4092');
    const del = await h.call(alice, 'DELETE', `/api/v1/supply/accounts/${id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('SUP_ACC_4092');
    expect((await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/suspend`)).body.data.status).toBe('suspended');
    expect((await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/suspend`)).status).toBe(409);
    expect((await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`)).body.data.status).toBe('active');
    await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/suspend`);
    const gone = await h.call(alice, 'DELETE', `/api/v1/supply/accounts/${id}`);
    expect(gone.status).toBe(204);
    expect((await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`)).status).toBe(404);
    // The credential can be mounted again once its account is deleted.
  });

  it('keeps an audit log of every state change with operator, tenant, before/after and request id', async () => {
    const id = (await create(alice, h.credential())).body.data.account_id;
    const act = await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`, { headers: { 'x-request-id': 'req-audit-activate-1' } });
    expect(act.status).toBe(200);
    await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/suspend`);
    const logs = await h.call(alice, 'GET', `/api/v1/supply/accounts/${id}/audit-logs?page=1&page_size=2`);
    expect(logs.status).toBe(200);
    expect(logs.body.pagination).toEqual({ page: 1, page_size: 2, total: 3 });
    expect(logs.body.data.map((e: { action: string }) => e.action)).toEqual(['account.suspend', 'account.activate']);
    expect(logs.body.data[1]).toMatchObject({
      operator_id: alice.id, tenant_id: alice.id, object_type: 'supply_account', object_id: String(id),
      before_state: { status: 'pending' }, after_state: { status: 'active' }, request_id: 'req-audit-activate-1',
    });
    const page2 = await h.call(alice, 'GET', `/api/v1/supply/accounts/${id}/audit-logs?page=2&page_size=2`);
    expect(page2.body.data.map((e: { action: string }) => e.action)).toEqual(['account.create']);
  });

  it("answers another supplier's account with 404 on every operation", async () => {
    const id = (await create(alice, h.credential())).body.data.account_id;
    for (const [method, url] of [
      ['POST', `/api/v1/supply/accounts/${id}/activate`], ['POST', `/api/v1/supply/accounts/${id}/suspend`],
      ['DELETE', `/api/v1/supply/accounts/${id}`], ['GET', `/api/v1/supply/accounts/${id}/audit-logs`], ['GET', `/api/v1/supply/accounts/${id}`],
    ] as const) {
      const res = await h.call(bob, method, url);
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.error.code).toBe('SUP_ACC_4041');
    }
    const [row] = await h.t.database.db.select().from(supplyAccounts).where(eq(supplyAccounts.id, id));
    expect(row?.status).toBe('pending');
    const mine = await h.call(bob, 'GET', '/api/v1/supply/accounts');
    expect(mine.body.data.map((a: { account_id: number }) => a.account_id)).not.toContain(id);
  });

  it('authenticates by the Authorization header only: no token → 401, a key in the query string → 401', async () => {
    const none = await h.call(undefined, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential() } });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('SUP_ACC_4011');
    const token = alice.auth.authorization?.replace('Bearer ', '') ?? '';
    for (const param of ['api_key', 'access_token', 'token', 'key']) {
      const res = await h.call(undefined, 'GET', `/api/v1/supply/accounts/1/audit-logs?${param}=${token}`);
      expect(res.status, param).toBe(401);
    }
    // Even with a valid header, a key in the query string is refused.
    const both = await h.call(alice, 'GET', `/api/v1/supply/accounts?api_key=${token}`);
    expect(both.status).toBe(401);
  });

  it('lets operators review flagged accounts, disable and re-enable; a supplier cannot activate a disabled account', async () => {
    const flagged = await create(alice, h.credential('))))'), { min_quota_threshold: 10 });
    expect(flagged.status).toBe(201);
    expect(flagged.body.data.review_status).toBe('required');
    const id = flagged.body.data.account_id;
    const early = await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`);
    expect(early.status).toBe(409);
    const queue = await h.call({ id: 0, auth: h.operator }, 'GET', '/api/v1/supply/admin/accounts?review_status=required');
    expect(queue.body.data.map((a: { account_id: number }) => a.account_id)).toContain(id);
    expect((await h.call(alice, 'GET', '/api/v1/supply/admin/accounts')).status).toBe(403);
    const approve = await h.call({ id: 0, auth: h.operator }, 'POST', `/api/v1/supply/admin/accounts/${id}/approve`, { payload: { reason: 'balance topped up' } });
    expect(approve.status).toBe(200);
    expect((await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`)).body.data.status).toBe('active');
    const disable = await h.call({ id: 0, auth: h.operator }, 'POST', `/api/v1/supply/admin/accounts/${id}/disable`, { payload: { reason: 'abuse report' } });
    expect(disable.body.data.status).toBe('disabled');
    const back = await h.call(alice, 'POST', `/api/v1/supply/accounts/${id}/activate`);
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('SUP_ACC_4092');
    expect((await h.call({ id: 0, auth: h.operator }, 'POST', `/api/v1/supply/admin/accounts/${id}/enable`, { payload: { reason: 'resolved' } })).body.data.status).toBe('suspended');
    const events = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'supply_account'), eq(auditEvents.objectId, String(id))));
    expect(events.map((e) => e.action).sort()).toEqual(['account.activate', 'account.approve', 'account.create', 'account.disable', 'account.enable'].sort());
    expect(events.find((e) => e.action === 'account.disable')?.reason).toBe('abuse report');
  });
});
