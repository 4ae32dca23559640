import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { AppError } from '../../platform/errors.ts';
import type { AccountSpec } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { createPayerBook, type Payer } from './payers.ts';

/** A ledger that only answers `balanceVersion()`: with `value` at `version`, or with a promise a test resolves itself. */
function stubLedger(initial: bigint) {
  const stub = {
    value: initial,
    version: 0,
    reads: [] as string[],
    /** When set, the next read waits for this instead of answering `value`. */
    next: undefined as Promise<bigint> | undefined,
    async balanceVersion(account: AccountSpec): Promise<{ balance: bigint; version: number }> {
      stub.reads.push(account.code);
      const pending = stub.next;
      const version = stub.version;
      stub.next = undefined;
      return { balance: await (pending ?? stub.value), version };
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

async function refusal(run: Promise<unknown>): Promise<AppError> {
  const err = await run.then(
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

  it('refuses a hold beyond the balance with PAYMENT_REQUIRED and the OpenAI code insufficient_quota', async () => {
    await book.reserve(prepaid, 600n);
    const err = await refusal(book.reserve(prepaid, 401n));
    expect(err.code).toBe('PAYMENT_REQUIRED');
    expect(err.status).toBe(402);
    expect(err.message).toMatch(/balance is too low/);
    expect(err.details).toMatchObject({ openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
  });

  it('gives a released hold back', async () => {
    await book.reserve(prepaid, 1_000n);
    await refusal(book.reserve(prepaid, 1n));
    book.release(prepaid, 1_000n);
    await book.reserve(prepaid, 1_000n);
  });

  it('counts a settled charge against the balance before it is flushed', async () => {
    await book.reserve(prepaid, 500n);
    book.charge(prepaid, 300n);
    book.release(prepaid, 500n);
    await refusal(book.reserve(prepaid, 701n));
    await book.reserve(prepaid, 700n);
  });

  it('takes the stored balance from the flush once the charge is durable', async () => {
    await book.reserve(prepaid, 500n);
    book.charge(prepaid, 300n);
    book.release(prepaid, 500n);
    // The flush saw a recharge of 5000 land meanwhile: its balance is the truth.
    book.flushed(prepaid, 300n, { balance: 5_700n, version: 1 });
    await book.reserve(prepaid, 5_700n);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(1);
  });

  it('subtracts the charge itself when the flush does not know the balance', async () => {
    book.charge(prepaid, 0n); // no entry yet: nothing to count
    await book.reserve(prepaid, 300n);
    book.charge(prepaid, 300n);
    book.release(prepaid, 300n);
    book.flushed(prepaid, 300n, undefined);
    // Without a version the entry is re-read on its next use; the database has the charge by then.
    ledger.value = 700n;
    ledger.version = 1;
    await book.reserve(prepaid, 700n);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(2);
  });

  it('re-reads an idle balance older than 2 s', async () => {
    await book.reserve(prepaid, 100n);
    book.release(prepaid, 100n);
    ledger.value = 50n;
    clock.advance(2_000);
    await book.reserve(prepaid, 1_000n);
    expect(ledger.reads).toHaveLength(1);
    book.release(prepaid, 1_000n);
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
    await book.reserve(prepaid, 1_000n);
    book.charge(prepaid, 1_000n);
    book.release(prepaid, 1_000n);
    clock.advance(1_000);
    await refusal(book.reserve(prepaid, 1n));
    expect(ledger.reads).toHaveLength(2);
  });

  it('keeps the newest balance when flushes report back out of order', async () => {
    await book.reserve(prepaid, 300n);
    book.charge(prepaid, 100n);
    book.charge(prepaid, 200n);
    book.release(prepaid, 300n);
    book.flushed(prepaid, 200n, { balance: 700n, version: 2 });
    book.flushed(prepaid, 100n, { balance: 900n, version: 1 });
    await book.reserve(prepaid, 700n);
    await refusal(book.reserve(prepaid, 1n));
  });
});

describe('payer book: a read that raced a flush', () => {
  it('keeps the balance the flush wrote, not the older one the read returned', async () => {
    await book.reserve(prepaid, 100n);
    book.release(prepaid, 100n);
    clock.advance(3_000);

    const slowRead = deferred<bigint>();
    ledger.next = slowRead.promise;
    const waiting = book.reserve(prepaid, 950n);
    await Promise.resolve();
    expect(ledger.reads).toHaveLength(2);

    // Another request's charge is settled and flushed while the read is in flight.
    book.charge(prepaid, 100n);
    book.flushed(prepaid, 100n, { balance: 900n, version: 1 });
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
    await book.reserve(p, 800n);
    book.charge(p, 800n);
    book.release(p, 800n);
    await refusal(book.reserve(p, 201n));
    book.flushed(p, 800n, { balance: -800n, version: 1 });
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
    await book.reserve(keyed(), 300n);
    book.charge(keyed(), 100n);
    book.release(keyed(), 300n);
    await refusal(book.reserve(keyed(), 201n));
    book.flushed(keyed(), 100n, undefined);
    await refusal(book.reserve(keyed(), 201n));
    await book.reserve(keyed(), 200n);
  });

  it('does not hold the wallet when the key refuses', async () => {
    bookOver(1_000n);
    await refusal(book.reserve(keyed(), 301n));
    await book.reserve(prepaid, 1_000n);
  });

  it('does not limit a key without a spend limit', async () => {
    await book.reserve(keyed({ keySpendLimitMicros: null }), 900_000n);
  });

  it('keeps each key\'s spending apart', async () => {
    await book.reserve(keyed(), 300n);
    await book.reserve(keyed({ apiKeyId: 10 }), 300n);
  });
});
