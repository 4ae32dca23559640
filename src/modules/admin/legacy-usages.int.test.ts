import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { createUsageService } from '../metering/usage.service.ts';
import type { NewUsageRecord } from '../metering/usage.tables.ts';

// GET /1/usages: per-user cost and tokens over whole UTC+8 days, both ends inclusive.

describe.each(DB_TIERS)('legacy /1/usages on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let u1: number;
  let u2: number;
  let seq = 0;

  const usages = (query: string) => t.request({ method: 'GET', url: `/1/usages${query}`, headers: admin });
  const record = (userId: number, createdAt: string, tokensIn: number, tokensOut: number, costMicros: bigint): NewUsageRecord => ({
    requestId: `req_usage_${seq++}`,
    userId,
    model: 'gpt-4o-mini',
    tokensIn,
    tokensOut,
    costMicros,
    status: 'success',
    platform: 'api',
    createdAt: new Date(createdAt),
  });

  beforeAll(async () => {
    t = await startTestApp(tier);
    admin = bearer((await initRoot(t)).token);
    const create = async (name: string) =>
      (await t.request({ method: 'POST', url: '/1/users', headers: admin, payload: { name } })).json().id as number;
    u1 = await create('usage-one');
    u2 = await create('usage-two');
    // Around the UTC+8 day 2024-03-10, which runs from 2024-03-09T16:00Z to 2024-03-10T16:00Z.
    await createUsageService({ database: t.database }).record([
      record(u1, '2024-03-09T15:59:59.999Z', 10, 0, 1n), // 2024-03-09 23:59:59.999 in UTC+8
      record(u1, '2024-03-09T16:00:00.000Z', 30, 25, 110n), // 2024-03-10 00:00:00.000
      record(u1, '2024-03-10T15:59:59.999Z', 100, 200, 12_345_678n), // 2024-03-10 23:59:59.999
      record(u1, '2024-03-10T16:00:00.000Z', 7, 0, 1_000_000n), // 2024-03-11 00:00:00.000
      record(u2, '2024-03-10T04:00:00.000Z', 30, 25, 110n),
      record(u2, '2024-06-01T04:00:00.000Z', 2_000_000_000, 2_000_000_000, 0n),
    ]);
  });
  afterAll(() => t?.close());

  it('sums cost and tokens per user for one UTC+8 day, both ends of the day inclusive', async () => {
    const res = await usages('?from=2024-03-10&to=2024-03-10');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { cost: '12.345788', userId: u1, totalUnit: 355 },
      { cost: '0.000110', userId: u2, totalUnit: 55 },
    ]);
  });

  it('puts the last millisecond before UTC+8 midnight in the previous day', async () => {
    expect((await usages('?from=2024-03-09&to=2024-03-09')).json()).toEqual([{ cost: '0.000001', userId: u1, totalUnit: 10 }]);
  });

  it('puts UTC+8 midnight itself in the next day', async () => {
    expect((await usages('?from=2024-03-11&to=2024-03-11')).json()).toEqual([{ cost: '1.000000', userId: u1, totalUnit: 7 }]);
  });

  it('sums a range of days with both ends inclusive', async () => {
    expect((await usages('?from=2024-03-09&to=2024-03-11')).json()).toEqual([
      { cost: '13.345789', userId: u1, totalUnit: 372 },
      { cost: '0.000110', userId: u2, totalUnit: 55 },
    ]);
  });

  it('answers an empty list for a range without usage', async () => {
    const res = await usages('?from=2024-03-01&to=2024-03-08');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it('sums tokens past the 32-bit range without overflowing', async () => {
    expect((await usages('?from=2024-06-01&to=2024-06-01')).json()).toEqual([{ cost: '0.000000', userId: u2, totalUnit: 4_000_000_000 }]);
  });

  it('accepts a range of exactly 366 days', async () => {
    const res = await usages('?from=2024-01-01&to=2024-12-31');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { cost: '13.345789', userId: u1, totalUnit: 372 },
      { cost: '0.000110', userId: u2, totalUnit: 4_000_000_055 },
    ]);
  });

  it('answers 400 to a range over 366 days', async () => {
    for (const query of ['?from=2024-01-01&to=2025-01-01', '?from=2023-01-01&to=2024-12-31']) {
      const res = await usages(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toEqual({ error: 'the range may span at most 366 days' });
    }
  });

  it('answers 400 when to is before from', async () => {
    const res = await usages('?from=2024-03-10&to=2024-03-09');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'to must not be before from' });
  });

  it.each(['', '?from=2024-03-10', '?to=2024-03-10', '?from=&to=2024-03-10'])('answers 400 to missing dates: "%s"', async (query) => {
    const res = await usages(query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: expect.stringMatching(/^Invalid request: query\.(from|to): /) });
  });

  it.each(['2024/03/10', '20240310', 'yesterday', '2024-13-01', '2023-02-29', '2024-03-32', '1969-12-31'])(
    'answers 400 to the invalid date %s',
    async (day) => {
      for (const [query, field] of [[`?from=${day}&to=2024-03-10`, 'from'], [`?from=2024-03-10&to=${day}`, 'to']]) {
        const res = await usages(query as string);
        expect(res.statusCode, query).toBe(400);
        expect(res.json()).toEqual({ error: expect.stringMatching(new RegExp(`^Invalid request: query\\.${field}: `)) });
      }
    },
  );

  it.each(['0000-01-01', '0001-01-01'])('answers 400, not 500, to a day in year %s', async (day) => {
    const res = await usages(`?from=${day}&to=${day}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Invalid request: query.from: must be a real date YYYY-MM-DD, 1970-01-01 or later' });
  });

  it('accepts the first day of 1970 and the last day of 9999', async () => {
    for (const query of ['?from=1970-01-01&to=1970-01-01', '?from=9999-12-31&to=9999-12-31']) {
      const res = await usages(query);
      expect(res.statusCode, query).toBe(200);
      expect(res.json()).toEqual([]);
    }
  });

  it('accepts the leap day of a leap year', async () => {
    const res = await usages('?from=2024-02-29&to=2024-02-29');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it('answers 400 to an unknown query parameter and to a repeated one', async () => {
    for (const query of ['?from=2024-03-10&to=2024-03-10&user=1', '?from=2024-03-10&from=2024-03-11&to=2024-03-12']) {
      const res = await usages(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toEqual({ error: expect.stringMatching(/^Invalid request: query/) });
    }
  });
});
