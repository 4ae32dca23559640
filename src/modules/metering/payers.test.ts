import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { AppError } from '../../platform/errors.ts';
import type { Maybe } from '../../platform/maybe.ts';
import type { AccountSpec } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { createPayerBook, type CountedCharge, type Payer } from './payers.ts';

/**
 * A ledger that only answers balance reads: each account at `values[code]` (the wallet at `value` by default) and
 * `version`, or — for the next read — with a promise a test resolves itself.
 */
function stubLedger(initial: bigint) {
  const stub = {
    value: initial,
    version: 0,
    values: {} as Record<string, bigint>,
    reads: [] as string[],
    /** When set, the next read waits for this instead of answering `value`. */
    next: undefined as Promise<bigint> | undefined,
    async balanceVersions(accounts: AccountSpec[]): Promise<Map<string, { balance: bigint; version: number }>> {
      stub.reads.push(accounts[0]?.code as string);
      const pending = stub.next;
      const version = stub.version;
      stub.next = undefined;
      const first = await (pending ?? stub.value);
      return new Map(accounts.map((a, i) => [a.code, { balance: i === 0 ? first : (stub.values[a.code] ?? 0n), version }]));
    },
  };
  return stub;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const prepaid: Payer = { userId: 1, billingMode: 'prepaid', creditLimitMicros: null };
const postpaid = (creditLimitMicros: bigint | null): Payer => ({ userId: 2, billingMode: 'postpaid', creditLimitMicros });

let clock: ReturnType<typeof fakeClock>;
let ledger: ReturnType<typeof stubLedger>;
let book: ReturnType<typeof createPayerBook>;

function bookOver(balance: bigint) {
  ledger = stubLedger(balance);
  book = createPayerBook({ ledger: ledger as unknown as Ledger, clock });
}

beforeEach(() => {
  clock = fakeClock();
  bookOver(1_000n);
});

let seq = 0;
/** Settles a hold of `held` as a charge of `cost` (the request is done; its charge is not durable yet). */
async function charged(p: Payer, held: bigint, cost: bigint): Promise<CountedCharge> {
  return book.charge(await book.reserve(p, held), p, `r${(seq += 1)}`, cost);
}

const flushedAt = (c: CountedCharge, balance: bigint, version: number) => book.flushed([{ charge: c, after: { spend: { balance, version } } }]);

/** The error a hold (at hand or awaited) rejects with. */
async function refusal(run: Maybe<unknown>): Promise<AppError> {
  const err = await Promise.resolve(run).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('payer book: prepaid', () => {
  it('reserves within the balance, reading it from the wallet once', async () => {
    await book.reserve(prepaid, 600n);
    await book.reserve(prepaid, 400n);
    expect(ledger.reads).toEqual(['user:1:wallet']);
  });

  it('answers a hold at once, without a promise, while the balances it knows are fresh', async () => {
    const first = book.reserve(prepaid, 100n);
    expect(first).toBeInstanceOf(Promise); // the first read
    await first;
    const hold = book.reserve(prepaid, 100n);
    expect(hold).not.toBeInstanceOf(Promise);
    expect(hold).toMatchObject({ amount: 100n, countedIn: 'local' });
    clock.advance(2_001);
    expect(book.reserve(prepaid, 100n)).toBeInstanceOf(Promise); // stale: read again
  });

  it('refuses a hold beyond the balance with PAYMENT_REQUIRED and the OpenAI code insufficient_quota', async () => {
    await book.reserve(prepaid, 600n);
    const err = await refusal(book.reserve(prepaid, 401n));
    expect(err.code).toBe('PAYMENT_REQUIRED');
    expect(err.status).toBe(402);
    expect(err.message).toMatch(/balance is too low/);
    expect(err.details).toMatchObject({ openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
  });

  it('gives a released hold back', async () => {
    const hold = await book.reserve(prepaid, 1_000n);
    await refusal(book.reserve(prepaid, 1n));
    book.release(hold);
    await book.reserve(prepaid, 1_000n);
  });

  it('counts a settled charge against the balance before it is flushed', async () => {
    await charged(prepaid, 500n, 300n);
    await refusal(book.reserve(prepaid, 701n));
    await book.reserve(prepaid, 700n);
  });

  it('takes the stored balance from the flush once the charge is durable', async () => {
    const c = await charged(prepaid, 500n, 300n);
    // The flush saw a recharge of 5000 land meanwhile: its balance is the truth.
    flushedAt(c, 5_700n, 1);
    await book.reserve(prepaid, 5_700n);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(1);
  });

  it('re-reads the balance when the flush does not know it', async () => {
    const c = await charged(prepaid, 300n, 300n);
    book.flushed([{ charge: c }]);
    ledger.value = 700n;
    ledger.version = 1;
    await book.reserve(prepaid, 700n);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(2);
  });

  it('stops counting a dropped charge (filed as a dead letter: it will not land)', async () => {
    const c = await charged(prepaid, 1_000n, 1_000n);
    await refusal(book.reserve(prepaid, 1n));
    book.dropped([c]);
    await book.reserve(prepaid, 1_000n);
  });

  it('re-reads an idle balance older than 2 s', async () => {
    book.release(await book.reserve(prepaid, 100n));
    ledger.value = 50n;
    clock.advance(2_000);
    const hold = await book.reserve(prepaid, 1_000n);
    expect(ledger.reads).toHaveLength(1);
    book.release(hold);
    clock.advance(1);
    await refusal(book.reserve(prepaid, 51n));
    expect(ledger.reads).toHaveLength(2);
  });

  it('re-reads an old balance even while a hold is open, and still counts the hold', async () => {
    await book.reserve(prepaid, 100n);
    clock.advance(10_000);
    ledger.value = 500n; // spent elsewhere meanwhile
    ledger.version = 3;
    await refusal(book.reserve(prepaid, 401n));
    await book.reserve(prepaid, 400n);
    expect(ledger.reads).toHaveLength(2);
  });
});

describe('payer book: a refused hold re-reads the balance', () => {
  it('sees a recharge that just landed, re-reading at most every 250 ms', async () => {
    bookOver(100n);
    await refusal(book.reserve(prepaid, 200n));
    expect(ledger.reads).toHaveLength(1);

    ledger.value = 1_000n; // the recharge commits
    clock.advance(250);
    await refusal(book.reserve(prepaid, 200n));
    expect(ledger.reads).toHaveLength(1);

    clock.advance(1);
    await book.reserve(prepaid, 200n);
    expect(ledger.reads).toHaveLength(2);
  });

  it('re-reads no more often than every 250 ms under a burst of refusals', async () => {
    bookOver(100n);
    for (let i = 0; i < 10; i += 1) {
      await refusal(book.reserve(prepaid, 200n));
      clock.advance(100);
    }
    // 1 000 ms of refusals: the first read, then one re-read per 250 ms at most.
    expect(ledger.reads.length).toBeGreaterThan(1);
    expect(ledger.reads.length).toBeLessThanOrEqual(1 + 4);
  });

  it('re-reads while a charge is unflushed, and still counts that charge', async () => {
    await charged(prepaid, 1_000n, 1_000n);
    clock.advance(1_000);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(2);
  });

  it('keeps the newest balance when flushes report back out of order', async () => {
    const first = book.charge(await book.reserve(prepaid, 100n), prepaid, 'a', 100n);
    const second = book.charge(await book.reserve(prepaid, 200n), prepaid, 'b', 200n);
    flushedAt(second, 700n, 2);
    flushedAt(first, 900n, 1);
    await book.reserve(prepaid, 700n);
    await refusal(book.reserve(prepaid, 1n));
  });
});

describe('payer book: a credit is spendable at once', () => {
  it('re-reads after an invalidation, even right after a refusal re-read', async () => {
    bookOver(100n);
    await refusal(book.reserve(prepaid, 200n));
    ledger.value = 1_000n; // a recharge commits, and says so
    await book.invalidate([1]);
    await book.reserve(prepaid, 200n);
    expect(ledger.reads).toHaveLength(2);
  });

  it('does not trust a read that began before the invalidation', async () => {
    bookOver(100n);
    clock.advance(3_000);
    const slowRead = deferred<bigint>();
    ledger.next = slowRead.promise;
    const racing = book.reserve(prepaid, 200n);
    await Promise.resolve();
    ledger.value = 1_000n; // the recharge commits while that read is on its way…
    book.forget([1]); // …and another node says so
    slowRead.resolve(100n);
    await racing; // served by the read after the invalidation
    expect(ledger.reads).toHaveLength(2);
  });
});

describe('payer book: a read that raced a flush', () => {
  it('keeps the balance the flush wrote, not the older one the read returned', async () => {
    book.release(await book.reserve(prepaid, 100n));
    clock.advance(3_000);

    const slowRead = deferred<bigint>();
    ledger.next = slowRead.promise;
    const waiting = book.reserve(prepaid, 950n);
    await Promise.resolve();
    expect(ledger.reads).toHaveLength(2);

    // Another request's charge is settled and flushed while the read is in flight.
    const c = book.charge(undefined, prepaid, 'other', 100n);
    flushedAt(c, 900n, 1);
    slowRead.resolve(1_000n); // read before the flush committed

    const err = await refusal(waiting);
    expect(err.code).toBe('PAYMENT_REQUIRED');
    await book.reserve(prepaid, 900n);
  });

  it('makes concurrent holds wait for the same read, and lets no more through than it allows', async () => {
    const slowRead = deferred<bigint>();
    ledger.next = slowRead.promise;
    const a = book.reserve(prepaid, 400n);
    const b = book.reserve(prepaid, 400n);
    const c = book.reserve(prepaid, 400n);
    slowRead.resolve(1_000n);
    const outcomes = await Promise.allSettled([a, b, c]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(ledger.reads).toEqual(['user:1:wallet']);
  });
});

describe('payer book: a prepaid user who owes', () => {
  it('refuses a prepaid user whose receivable is open, naming the debt in CNY rounded up to the cent', async () => {
    ledger.values['user:1:receivable'] = -12_345n; // ¥0.012345 owed from an earlier overshoot
    const err = await refusal(book.reserve(prepaid, 1n));
    expect(err.status).toBe(402);
    expect(err.details).toMatchObject({ openaiCode: 'insufficient_quota' });
    expect(err.message).toMatch(/owes ¥0\.02 /);
  });

  it('serves the user again once a credit has paid the debt', async () => {
    ledger.values['user:1:receivable'] = -5_000_000n;
    expect((await refusal(book.reserve(prepaid, 1n))).message).toMatch(/owes ¥5\.00 /);
    ledger.values['user:1:receivable'] = 0n;
    ledger.version = 1;
    await book.invalidate([1]);
    await book.reserve(prepaid, 1_000n);
  });

  it('does not refuse a postpaid user for what they owe within their limit', async () => {
    bookOver(-400n);
    ledger.values['user:2:receivable'] = -400n;
    await book.reserve(postpaid(1_000n), 600n);
  });
});

describe('payer book: postpaid', () => {
  it('always passes without a credit limit', async () => {
    bookOver(-5_000_000n);
    await book.reserve(postpaid(null), 10n ** 15n);
    await book.reserve(postpaid(null), 10n ** 15n);
  });

  it('counts what is owed (a negative receivable) against the credit limit', async () => {
    bookOver(-400n);
    await book.reserve(postpaid(1_000n), 600n);
    expect(ledger.reads).toEqual(['user:2:receivable']);
    const err = await refusal(book.reserve(postpaid(1_000n), 1n));
    expect(err.code).toBe('PAYMENT_REQUIRED');
    expect(err.message).toMatch(/credit limit/);
    expect(err.details).toMatchObject({ openaiCode: 'insufficient_quota' });
  });

  it('counts charges against the credit limit until the flush writes the new receivable', async () => {
    bookOver(0n);
    const p = postpaid(1_000n);
    const c = await charged(p, 800n, 800n);
    await refusal(book.reserve(p, 201n));
    flushedAt(c, -800n, 1);
    await book.reserve(p, 200n);
    await refusal(book.reserve(p, 1n));
  });
});

describe('payer book: API key spend limit', () => {
  const keyed = (over: Partial<Payer> = {}): Payer => ({ ...prepaid, apiKeyId: 9, keySpendLimitMicros: 500n, keySpentMicros: 200n, ...over });

  beforeEach(() => bookOver(1_000_000n));

  it('refuses a hold that would take the key past its spend limit, counting what it has spent', async () => {
    await book.reserve(keyed(), 300n);
    const err = await refusal(book.reserve(keyed(), 1n));
    expect(err.code).toBe('PAYMENT_REQUIRED');
    expect(err.message).toMatch(/spend limit/);
    expect(err.details).toMatchObject({ openaiCode: 'insufficient_quota' });
  });

  it('counts pending and flushed charges of the key; a released hold frees the rest', async () => {
    const c = await charged(keyed(), 300n, 100n);
    await refusal(book.reserve(keyed(), 201n));
    book.flushed([{ charge: c }]);
    await refusal(book.reserve(keyed(), 201n));
    await book.reserve(keyed(), 200n);
  });

  it('lets concurrent holds on a key take no more than its limit, even while the balance is being read', async () => {
    const slowRead = deferred<bigint>();
    ledger.next = slowRead.promise;
    const holds = [1, 2, 3, 4].map(() => book.reserve(keyed(), 100n));
    slowRead.resolve(1_000_000n);
    const outcomes = await Promise.allSettled(holds);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
  });

  it('learns what other nodes spent from the authenticated key', async () => {
    await book.reserve(keyed(), 100n);
    await refusal(book.reserve(keyed({ keySpentMicros: 350n }), 100n));
  });

  it('counts the key as spent to its limit once the database refused it', async () => {
    const c = await charged(keyed(), 100n, 100n);
    book.flushed([{ charge: c, keySpentAtLeast: 500n }]);
    await refusal(book.reserve(keyed(), 1n));
  });

  it('does not hold the wallet when the key refuses', async () => {
    bookOver(1_000n);
    await refusal(book.reserve(keyed(), 301n));
    await book.reserve(prepaid, 1_000n);
  });

  it('does not limit a key without a spend limit', async () => {
    await book.reserve(keyed({ keySpendLimitMicros: null }), 900_000n);
  });

  it("keeps each key's spending apart", async () => {
    await book.reserve(keyed(), 300n);
    await book.reserve(keyed({ apiKeyId: 10 }), 300n);
  });
});
