import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../test/helpers/database.ts';
import { usageRecords, type NewUsageRecord } from '../modules/metering/usage.tables.ts';
import type { Database } from './db.ts';
import { insertFromArrays } from './sql-batch.ts';

// insertFromArrays sends a batch as one array per column: what goes in must come back exactly, on both drivers —
// text that array literals have to quote, nulls, bigints past 2^53, times to the millisecond, column defaults.

const AWKWARD_TEXTS = ['', 'NULL', 'null', 'a,b', '{x}', 'say "hi"', 'back\\slash', "it's", '  padded  ', '多字节 — ünïcode 🎉', 'line\nbreak\ttab'];

describe.each(DB_TIERS)('insertFromArrays on $name', (tier) => {
  let database: Database;
  let userId: number;

  beforeAll(async () => {
    database = await tier.open();
    const user = await database.executeSql(
      `INSERT INTO users (username, email, password_hash, referral_code) VALUES ('arrays', 'arrays@example.com', 'x', 'ARRAYS1') RETURNING id`,
    );
    userId = Number((user.rows[0] as { id: string | number }).id);
  });
  afterAll(() => database?.close());

  const read = async (prefix: string) =>
    (
      await database.executeSql(
        `SELECT request_id, error_message, cost_micros::text AS cost, tokens_in, usage_estimated, attempts, api_key_id, created_at
           FROM usage_records WHERE request_id LIKE $1 ORDER BY request_id`,
        [`${prefix}%`],
      )
    ).rows as Array<{ request_id: string; error_message: string | null; cost: string; tokens_in: number; usage_estimated: boolean; attempts: number; api_key_id: unknown; created_at: Date | string }>;

  it('writes every row exactly as given: awkward text, nulls, big integers, times', async () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const rows: NewUsageRecord[] = AWKWARD_TEXTS.map((text, i) => ({
      requestId: `awk-${String(i).padStart(2, '0')}`,
      userId,
      model: text === '' ? 'm' : text,
      errorMessage: text,
      costMicros: 9_007_199_254_740_993n + BigInt(i),
      tokensIn: i,
      usageEstimated: i % 2 === 0,
      status: 'error',
      platform: 'api',
      createdAt: at,
    }));
    rows.push({ requestId: 'awk-99', userId, model: 'm', errorMessage: null, apiKeyId: null, status: 'success', platform: 'api', createdAt: at });
    await database.db.execute(insertFromArrays(usageRecords, rows));

    const got = await read('awk-');
    expect(got.map((r) => r.error_message)).toEqual([...AWKWARD_TEXTS, null]);
    expect(got.slice(0, -1).map((r) => r.cost)).toEqual(AWKWARD_TEXTS.map((_, i) => String(9_007_199_254_740_993n + BigInt(i))));
    expect(got.slice(0, -1).map((r) => r.usage_estimated)).toEqual(AWKWARD_TEXTS.map((_, i) => i % 2 === 0));
    expect(got.every((r) => new Date(r.created_at).getTime() === at.getTime())).toBe(true);
    // Absent values take the column defaults; an explicit null stays null where the column allows it.
    const last = got.at(-1);
    expect(last).toMatchObject({ cost: '0', tokens_in: 0, usage_estimated: false, attempts: 1, api_key_id: null, error_message: null });
  });

  it('a row that breaks a constraint writes none of the batch', async () => {
    const row = (requestId: string): NewUsageRecord => ({ requestId, userId, model: 'm', status: 'success', platform: 'api' });
    await expect(database.db.execute(insertFromArrays(usageRecords, [row('dup-1'), row('dup-2'), row('dup-1')]))).rejects.toThrow();
    expect(await read('dup-')).toEqual([]);
  });

  it('takes the columns given as arrays over the rows\' own values, row by row', async () => {
    const row = (requestId: string): NewUsageRecord => ({ requestId, userId, model: 'm', status: 'success', platform: 'api', chargeRef: 'from the row' });
    await database.db.execute(insertFromArrays(usageRecords, [row('given-1'), row('given-2')], { chargeRef: ['gateway:b:1', null] }));
    const got = await database.executeSql(`SELECT request_id, charge_ref FROM usage_records WHERE request_id LIKE 'given-%' ORDER BY request_id`);
    expect(got.rows).toEqual([{ request_id: 'given-1', charge_ref: 'gateway:b:1' }, { request_id: 'given-2', charge_ref: null }]);
  });

  it('an empty batch inserts nothing', async () => {
    await database.db.execute(insertFromArrays(usageRecords, []));
    expect((await database.executeSql(`SELECT count(*)::int AS n FROM usage_records WHERE request_id LIKE 'none-%'`)).rows[0]).toEqual({ n: 0 });
  });
});
