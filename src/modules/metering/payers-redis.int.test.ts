import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, redisUrl } from '../../../test/helpers/app.ts';
import { silentLog } from '../../../test/helpers/billing.ts';
import { HOLD_TTL_MS } from '../../platform/redis-holds.ts';
import type { AccountSpec } from '../ledger/accounts.ts';
import { createSharedPayerBook } from './payers-redis.ts';
import type { Payer, PayerBook } from './payers.ts';

// The payer book two nodes share through Redis: holds and unflushed charges of both count against one balance and
// one key limit, a dead node's holds expire, and a recharge one node announces is what the other node's next hold sees.

/** One database both nodes read: balances by account code, each read answering the current version. */
function stubLedger() {
  const db = {
    balances: new Map<string, bigint>(),
    version: 1,
    reads: 0,
    async balanceVersions(accounts: AccountSpec[]) {
      db.reads += 1;
      return new Map(accounts.map((a) => [a.code, { balance: db.balances.get(a.code) ?? 0n, version: db.version }]));
    },
  };
  return db;
}

describe.skipIf(!redisUrl)('payer book shared through Redis', () => {
  const redises: Redis[] = [];
  let ledger: ReturnType<typeof stubLedger>;
  let clock: ReturnType<typeof fakeClock>;
  let nodeA: PayerBook;
  let nodeB: PayerBook;
  const payer: Payer = { userId: 7, billingMode: 'prepaid', creditLimitMicros: null };

  const node = (redis: Redis, namespace: string) => createSharedPayerBook({ redis, namespace, ledger, clock, log: silentLog });

  beforeEach(() => {
    const namespace = `t${crypto.randomBytes(6).toString('hex')}`;
    ledger = stubLedger();
    ledger.balances.set('user:7:wallet', 1_000n);
    clock = fakeClock();
    if (redises.length === 0) redises.push(new Redis(redisUrl as string), new Redis(redisUrl as string));
    nodeA = node(redises[0] as Redis, namespace);
    nodeB = node(redises[1] as Redis, namespace);
  });
  afterAll(() => {
    for (const r of redises) r.disconnect();
  });

  it("counts both nodes' holds against one balance", async () => {
    await nodeA.reserve(payer, 600n);
    await expect(nodeB.reserve(payer, 401n)).rejects.toMatchObject({ status: 402, message: expect.stringMatching(/balance is too low/) });
    await nodeB.reserve(payer, 400n);
  });

  it("counts another node's unflushed charge until its flush reports the new balance", async () => {
    const hold = await nodeA.reserve(payer, 600n);
    const charge = nodeA.charge(hold, payer, 'req-1', 500n);
    await expect(nodeB.reserve(payer, 501n)).rejects.toMatchObject({ status: 402 });
    ledger.balances.set('user:7:wallet', 500n);
    ledger.version = 2;
    nodeA.flushed([{ charge, after: { spend: { balance: 500n, version: 2 } } }]);
    await nodeB.reserve(payer, 500n);
    await expect(nodeB.reserve(payer, 1n)).rejects.toMatchObject({ status: 402 });
  });

  it('frees what a dead node held once its holds expire', async () => {
    await nodeA.reserve(payer, 1_000n); // node A dies holding everything
    await expect(nodeB.reserve(payer, 1n)).rejects.toMatchObject({ status: 402 });
    clock.advance(HOLD_TTL_MS + 1);
    await nodeB.reserve(payer, 1_000n);
  });

  it("holds an API key's limit across nodes, and counts its durable spend without re-reading it", async () => {
    const keyed: Payer = { ...payer, apiKeyId: 3, keySpendLimitMicros: 300n, keySpentMicros: 0n };
    ledger.balances.set('user:7:wallet', 1_000_000n);
    const charge = nodeA.charge(await nodeA.reserve(keyed, 200n), keyed, 'req-k', 200n);
    await expect(nodeB.reserve(keyed, 101n)).rejects.toMatchObject({ message: expect.stringMatching(/spend limit/) });
    nodeA.flushed([{ charge }]);
    // Node B's authenticated key still says 0 spent: the shared count has the 200.
    await expect(nodeB.reserve(keyed, 101n)).rejects.toMatchObject({ message: expect.stringMatching(/spend limit/) });
    await nodeB.reserve(keyed, 100n);
  });

  it("shows a recharge one node announced to the other node's next hold", async () => {
    ledger.balances.set('user:7:wallet', 100n);
    await expect(nodeB.reserve(payer, 500n)).rejects.toMatchObject({ status: 402 });
    const readsBefore = ledger.reads;
    ledger.balances.set('user:7:wallet', 1_100n);
    ledger.version = 5;
    await nodeA.invalidate([7]);
    // Node B's own copy is fresh (read this instant), so it does not re-read: Redis has the recharge.
    await nodeB.reserve(payer, 500n);
    expect(ledger.reads).toBe(readsBefore + 1);
  });

  it('refuses on every node a prepaid payer whose debt another node wrote', async () => {
    const charge = nodeA.charge(await nodeA.reserve(payer, 900n), payer, 'req-d', 1_500n);
    nodeA.flushed([{ charge, after: { spend: { balance: 0n, version: 2 }, debt: { balance: -500n, version: 2 } } }]);
    await expect(nodeB.reserve(payer, 1n)).rejects.toMatchObject({ status: 402, message: expect.stringMatching(/owes ¥0\.01 /) });
  });

  it('counts on the node alone when Redis cannot be reached', async () => {
    const away = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const alone = node(away, 'away');
    const hold = await alone.reserve(payer, 1_000n);
    expect(hold.countedIn).toBe('local');
    await expect(alone.reserve(payer, 1n)).rejects.toMatchObject({ status: 402 });
    alone.release(hold);
    await alone.reserve(payer, 1_000n);
    away.disconnect();
  });
});
