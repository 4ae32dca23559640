import crypto from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import { ACCOUNTS } from '../../src/modules/ledger/accounts.ts';
import { createLedger } from '../../src/modules/ledger/ledger.service.ts';
import { supplyEarnings, type EarningType, type SupplyEarningRow } from '../../src/modules/supply/supply.tables.ts';
import { systemClock } from '../../src/platform/time.ts';
import { startFakeOpenAi } from '../fakes/openai-upstream.ts';
import type { FakeUpstream } from '../fakes/upstream.ts';
import { registerUser } from './actors.ts';
import type { TestAppOptions } from './app.ts';
import { checkContract } from './contract.ts';
import type { DbTier } from './database.ts';
import { OPERATOR, startGateway, type GatewayHarness } from './gateway.ts';

// The supply console under test: a listening app (so the gateway can serve buyers through suppliers' packages), an
// operator, a fake OpenAI-compatible provider behind PROVIDER_BASE_URL_OPENAI, and a `call` that validates every
// response of a contract operation against the YAML contract. Every credential a suite mounts comes from
// `credential()`, made only of symbols no response otherwise contains, so `assertNoLeaks` can scan every response and
// log line for any 4-character piece of any of them.

export interface Actor {
  id: number;
  auth: Record<string, string>;
  username?: string;
  password?: string;
}

export interface CallResult {
  status: number;
  /** Parsed JSON body (undefined for an empty body). */
  body: any;
  headers: OutgoingHttpHeaders;
  raw: string;
}

export interface SupplyHarness extends GatewayHarness {
  provider: FakeUpstream;
  /** Statuses met that the contract does not declare for their operation (`operationId status`). */
  undeclared: Set<string>;
  /** Operations whose responses were validated. */
  covered: Set<string>;
  call(who: Actor | undefined, method: string, url: string, o?: { payload?: unknown; headers?: Record<string, string> }): Promise<CallResult>;
  supplier(): Promise<Actor>;
  /** A fresh session for `who` (after the fake clock has outrun its access token); refreshes `operator` too. */
  relogin(who: Actor): Promise<Actor>;
  /** Every response of a contract operation had a status the contract declares for it (there are no exceptions). */
  assertOnlyDeclaredStatuses(): void;
  /** A fresh upstream credential; `marker` steers the fake provider (see test/fakes/openai-upstream.ts). */
  credential(marker?: string): string;
  /** Mounts and activates an openai account for `who`; returns its id. */
  activeAccount(who: Actor): Promise<number>;
  /**
   * Puts `micros` of available earnings on a supplier — a record (a bonus unless said otherwise; negative: a refund)
   * plus its money, as the earnings module writes them.
   */
  grantAvailable(
    supplierId: number,
    micros: bigint,
    o?: { earnedAt?: Date; type?: EarningType; requests?: number; tokens?: number; description?: string },
  ): Promise<SupplyEarningRow>;
  assertNoLeaks(): void;
}

const SYMBOLS = '!#$%&*+=?^|~';

function symbolString(length: number): string {
  return Array.from(crypto.randomBytes(length), (b) => SYMBOLS[b % SYMBOLS.length]).join('');
}

export async function startSupply(tier: DbTier, options: TestAppOptions = {}): Promise<SupplyHarness> {
  const provider = await startFakeOpenAi();
  const g = await startGateway(tier, { ...options, env: { PROVIDER_BASE_URL_OPENAI: provider.url, ...options.env } });
  const credentials: string[] = [];
  const undeclared = new Set<string>();
  const covered = new Set<string>();
  const ledger = createLedger({ database: g.t.database, clock: systemClock });

  const h: SupplyHarness = {
    ...g,
    provider,
    undeclared,
    covered,
    async call(who, method, url, o = {}) {
      const res = await g.t.request({
        method: method as 'GET',
        url,
        headers: { ...(who?.auth ?? {}), ...(o.payload !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
        ...(o.payload !== undefined ? { payload: JSON.stringify(o.payload) } : {}),
      });
      const check = await checkContract(method, url, res.statusCode, res.body);
      if (check.operationId) covered.add(`${check.operationId} ${res.statusCode}`);
      if (check.undeclared) undeclared.add(check.undeclared);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers, raw: res.body };
    },
    async supplier() {
      const user = await registerUser(g.t);
      return { id: user.id, auth: user.auth, username: user.username, password: user.password };
    },
    async relogin(who) {
      const op = await g.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
      expect(op.statusCode, op.body).toBe(200);
      g.operator.authorization = `Bearer ${op.json().data.access_token}`;
      const res = await g.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: who.username, password: who.password } });
      expect(res.statusCode, res.body).toBe(200);
      return { ...who, auth: { authorization: `Bearer ${res.json().data.access_token}` } };
    },
    assertOnlyDeclaredStatuses() {
      expect([...undeclared]).toEqual([]);
    },
    credential(marker = '') {
      const value = `${marker}${symbolString(40)}`;
      credentials.push(value);
      return value;
    },
    async activeAccount(who) {
      const created = await h.call(who, 'POST', '/api/v1/supply/accounts', {
        payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential(), risk_ack: true },
        headers: { 'idempotency-key': `acct-${crypto.randomUUID()}` },
      });
      expect(created.status, created.raw).toBe(201);
      const id = created.body.data.account_id as number;
      const activated = await h.call(who, 'POST', `/api/v1/supply/accounts/${id}/activate`);
      expect(activated.status, activated.raw).toBe(200);
      return id;
    },
    async grantAvailable(supplierId, micros, o = {}) {
      const earnedAt = o.earnedAt ?? new Date();
      const type = o.type ?? 'bonus';
      return g.t.database.transaction(async (tx) => {
        const [row] = await tx
          .insert(supplyEarnings)
          .values({
            supplierUserId: supplierId, earningsType: type, amountMicros: micros, status: 'available', earnDay: earnedAt.toISOString().slice(0, 10),
            requests: o.requests ?? 0, tokens: o.tokens ?? 0, description: o.description ?? 'test grant', earnedAt,
          })
          .returning();
        await ledger.transfer(
          {
            idempotencyKey: `test-grant:${crypto.randomUUID()}`, kind: 'test_earnings',
            postings: [{ account: ACCOUNTS.promoExpense, amount: -micros }, { account: ACCOUNTS.supplierAvailable(supplierId), amount: micros }],
          },
          tx,
        );
        return row as SupplyEarningRow;
      });
    },
    assertNoLeaks() {
      const haystacks = [...g.t.responses, ...g.t.logs];
      for (const credential of credentials) {
        for (let i = 0; i + 4 <= credential.length; i += 1) {
          const piece = credential.slice(i, i + 4);
          const found = haystacks.find((text) => text.includes(piece));
          expect(found, `a piece of a stored credential (${JSON.stringify(piece)}) appeared in a response or log line`).toBeUndefined();
        }
      }
    },
    async close() {
      await g.close();
      await provider.close();
    },
  };
  return h;
}
