import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { csvField } from '../../platform/csv.ts';
import { createUsageService } from './usage.service.ts';
import type { NewUsageRecord } from './usage.tables.ts';

// GET /api/v1/usage, /usage/daily and /usage/export: a user's own usage records, filtered by UTC+8 days (both ends
// inclusive), model, key and status; operators may look at one user or at everyone.

const OPERATOR = { ADMIN_EMAIL: 'usage.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const dayOf = (d: Date) => formatStudioTime(d).slice(0, 10);

type User = Awaited<ReturnType<typeof registerUser>>;
type Item = Record<string, unknown> & { request_id: string };

describe.each(DB_TIERS)('usage queries on $name', (tier) => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let operator: Record<string, string>;
  const now = new Date();

  const get = (url: string, headers: Record<string, string> = {}) => t.request({ method: 'GET', url, headers });
  const ids = (res: { json(): { data: { items: Item[] } } }) => res.json().data.items.map((i) => i.request_id);
  const MARCH = 'start_date=2024-03-09&end_date=2024-03-11';

  beforeAll(async () => {
    t = await startTestApp(tier, { env: OPERATOR });
    alice = await registerUser(t);
    bob = await registerUser(t);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    operator = bearer(login.json().data.access_token);

    const row = (userId: number, requestId: string, createdAt: Date, r: Partial<NewUsageRecord> = {}): NewUsageRecord => ({
      requestId, userId, createdAt, model: 'gpt-4o-mini', apiKeyId: 901, status: 'success', platform: 'api', ...r,
    });
    // The UTC+8 day 2024-03-10 runs from 2024-03-09T16:00Z to 2024-03-10T16:00Z.
    await createUsageService({ database: t.database }).record([
      row(alice.id, 'a1', new Date('2024-03-09T15:30:00Z'), { // 23:30 on 03-09 in UTC+8
        operation: 'chat', upstreamKind: 'channel', upstreamId: 12, tokensIn: 100, tokensOut: 50, costMicros: 1_500n,
        latencyMs: 800, firstByteMs: 200, httpStatus: 200,
      }),
      row(alice.id, 'a2', new Date('2024-03-09T16:00:00Z'), { // midnight: 03-10
        status: 'error', tokensIn: 10, httpStatus: 502, attempts: 3, errorMessage: 'upstream said "no", retry later',
      }),
      row(alice.id, 'a3', new Date('2024-03-10T04:00:00Z'), {
        model: 'claude-3-haiku', apiKeyId: 902, operation: 'messages', upstreamKind: 'package', upstreamId: 3,
        tokensIn: 2_000_000_000, tokensOut: 2_000_000_000, costMicros: 12_345_678n, usageEstimated: true,
        latencyMs: 1234, firstByteMs: 56, httpStatus: 200, platform: 'studio',
      }),
      row(alice.id, 'a4', new Date('2024-03-10T15:59:59.999Z'), { // the last millisecond of 03-10
        model: '=HYPERLINK("http://x")', status: 'aborted', tokensIn: 5, tokensOut: 7, costMicros: 11n, errorMessage: 'line1\nline2',
      }),
      row(alice.id, 'a5', new Date('2024-03-11T02:00:00Z'), { tokensIn: 1, tokensOut: 1, costMicros: 2n }),
      row(alice.id, 'a6', new Date('2024-03-11T03:00:00Z'), { model: 'claude-3-haiku', apiKeyId: 902, tokensIn: 2_000_000_000, tokensOut: 1 }),
      row(alice.id, 'a-recent', new Date(now.getTime() - HOUR), { costMicros: 1_000_000n }),
      row(alice.id, 'a-old', new Date(now.getTime() - 40 * DAY)),
      row(bob.id, 'b1', new Date('2024-03-10T05:00:00Z'), { apiKeyId: 903, tokensIn: 30, tokensOut: 25, costMicros: 110n }),
      row(bob.id, 'b-recent', new Date(now.getTime() - 2 * HOUR), { apiKeyId: 903 }),
    ]);
  });
  afterAll(() => t?.close());

  describe('GET /api/v1/usage', () => {
    it('asks for a session token', async () => {
      for (const url of ['/api/v1/usage', '/api/v1/usage/daily', '/api/v1/usage/export']) {
        const res = await get(url);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 401, data: null });
      }
    });

    it('lists the caller\'s own records newest first, 20 a page by default', async () => {
      const res = await get('/api/v1/usage', alice.auth);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ code: 200, message: 'success', data: { total: 8, page: 1, page_size: 20 } });
      expect(ids(res)).toEqual(['a-recent', 'a-old', 'a6', 'a5', 'a4', 'a3', 'a2', 'a1']);
      expect(res.json().data.items[0]).not.toHaveProperty('user_id');
    });

    it('shows every field of a record, the upstream by kind and id only', async () => {
      const res = await get(`/api/v1/usage?${MARCH}&model=claude-3-haiku&status=success&key_id=902`, alice.auth);
      const a3 = res.json().data.items.find((i: Item) => i.request_id === 'a3');
      expect(a3).toEqual({
        id: expect.any(Number), request_id: 'a3', model: 'claude-3-haiku', operation: 'messages', key_id: 902, upstream: 'package:3',
        prompt_tokens: 2_000_000_000, completion_tokens: 2_000_000_000, total_tokens: 4_000_000_000, cost: 12.345678,
        usage_estimated: true, status: 'success', http_status: 200, error_message: null, latency_ms: 1234, first_byte_ms: 56,
        attempts: 1, created_at: '2024-03-10T12:00:00',
      });
      const a2 = (await get('/api/v1/usage?status=error', alice.auth)).json().data.items[0];
      expect(a2).toMatchObject({ request_id: 'a2', upstream: null, cost: 0, attempts: 3, http_status: 502, error_message: 'upstream said "no", retry later' });
    });

    it('takes whole UTC+8 days, both ends inclusive: 23:30 stays on its own day', async () => {
      expect(ids(await get('/api/v1/usage?start_date=2024-03-09&end_date=2024-03-09', alice.auth))).toEqual(['a1']);
      expect(ids(await get('/api/v1/usage?start_date=2024-03-10&end_date=2024-03-10', alice.auth))).toEqual(['a4', 'a3', 'a2']);
      expect(ids(await get('/api/v1/usage?start_date=2024-03-11', alice.auth))).toEqual(['a-recent', 'a-old', 'a6', 'a5']);
      expect(ids(await get('/api/v1/usage?end_date=2024-03-09', alice.auth))).toEqual(['a1']);
    });

    it('filters by model, key and status', async () => {
      expect(ids(await get(`/api/v1/usage?${MARCH}&model=claude-3-haiku`, alice.auth))).toEqual(['a6', 'a3']);
      expect(ids(await get(`/api/v1/usage?${MARCH}&key_id=901`, alice.auth))).toEqual(['a5', 'a4', 'a2', 'a1']);
      expect(ids(await get(`/api/v1/usage?${MARCH}&status=aborted`, alice.auth))).toEqual(['a4']);
      expect(ids(await get(`/api/v1/usage?${MARCH}&model=gpt-4o-mini&status=success&key_id=901`, alice.auth))).toEqual(['a5', 'a1']);
    });

    it('pages with page and page_size and reports the filtered total', async () => {
      const p2 = await get(`/api/v1/usage?${MARCH}&page=2&page_size=4`, alice.auth);
      expect(p2.json().data).toMatchObject({ total: 6, page: 2, page_size: 4 });
      expect(ids(p2)).toEqual(['a2', 'a1']);
      const p3 = await get(`/api/v1/usage?${MARCH}&page=3&page_size=4`, alice.auth);
      expect(p3.json().data).toMatchObject({ total: 6, items: [] });
    });

    it('refuses a bad query with 400 in the studio envelope', async () => {
      for (const q of [
        'page_size=101', 'page=0', 'start_date=2024-02-30', 'start_date=20240301', 'start_date=2024-03-11&end_date=2024-03-10',
        'status=failed', 'key_id=abc', 'all=yes', 'user_id=0', 'colour=blue',
      ]) {
        const res = await get(`/api/v1/usage?${q}`, alice.auth);
        expect(res.statusCode, q).toBe(400);
        expect(res.json(), q).toMatchObject({ code: 400, data: null });
      }
    });

    it('never shows one user another\'s records; another user\'s key finds nothing', async () => {
      expect(ids(await get('/api/v1/usage', bob.auth))).toEqual(['b-recent', 'b1']);
      const res = await get('/api/v1/usage?key_id=901', bob.auth);
      expect(res.json().data).toMatchObject({ total: 0, items: [] });
      expect((await get('/api/v1/usage?key_id=903', alice.auth)).json().data.total).toBe(0);
    });

    it('answers 403 to a non-operator asking for another user or for everyone', async () => {
      for (const path of ['/api/v1/usage', '/api/v1/usage/daily', '/api/v1/usage/export']) {
        for (const q of ['all=true', `user_id=${alice.id}`, `user_id=${bob.id}`]) {
          const res = await get(`${path}?${q}`, bob.auth);
          expect(res.statusCode, `${path}?${q}`).toBe(403);
          expect(res.json()).toMatchObject({ code: 403, data: null });
        }
      }
    });

    it('lets an operator see one user\'s records or everyone\'s, with user_id', async () => {
      expect(ids(await get(`/api/v1/usage?user_id=${bob.id}`, operator))).toEqual(['b-recent', 'b1']);
      const res = await get('/api/v1/usage?all=true&start_date=2024-03-10&end_date=2024-03-10', operator);
      expect(res.json().data.items.map((i: Item) => [i.request_id, i.user_id])).toEqual([
        ['a4', alice.id], ['b1', bob.id], ['a3', alice.id], ['a2', alice.id],
      ]);
      expect(ids(await get('/api/v1/usage?all=false', operator))).toEqual([]);
    });
  });

  describe('GET /api/v1/usage/daily', () => {
    it('sums each UTC+8 day and each model in SQL, past the 32-bit range', async () => {
      const res = await get(`/api/v1/usage/daily?${MARCH}`, alice.auth);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        code: 200, message: 'success',
        data: {
          start_date: '2024-03-09', end_date: '2024-03-11',
          days: [
            { date: '2024-03-09', requests: 1, success: 1, errors: 0, aborted: 0, prompt_tokens: 100, completion_tokens: 50, cost: 0.0015 },
            { date: '2024-03-10', requests: 3, success: 1, errors: 1, aborted: 1, prompt_tokens: 2_000_000_015, completion_tokens: 2_000_000_007, cost: 12.345689 },
            { date: '2024-03-11', requests: 2, success: 2, errors: 0, aborted: 0, prompt_tokens: 2_000_000_001, completion_tokens: 2, cost: 0.000002 },
          ],
          by_model: [
            { model: 'claude-3-haiku', requests: 2, prompt_tokens: 4_000_000_000, completion_tokens: 2_000_000_001, cost: 12.345678 },
            { model: 'gpt-4o-mini', requests: 3, prompt_tokens: 111, completion_tokens: 51, cost: 0.001502 },
            { model: '=HYPERLINK("http://x")', requests: 1, prompt_tokens: 5, completion_tokens: 7, cost: 0.000011 },
          ],
        },
      });
    });

    it('applies the same filters', async () => {
      const data = (await get(`/api/v1/usage/daily?${MARCH}&key_id=901&status=success`, alice.auth)).json().data;
      expect(data.days.map((d: { date: string; requests: number }) => [d.date, d.requests])).toEqual([['2024-03-09', 1], ['2024-03-11', 1]]);
      expect(data.by_model).toEqual([{ model: 'gpt-4o-mini', requests: 2, prompt_tokens: 101, completion_tokens: 51, cost: 0.001502 }]);
    });

    it('covers the last 30 days, today included, by default', async () => {
      const data = (await get('/api/v1/usage/daily', alice.auth)).json().data;
      expect(data.end_date).toBe(dayOf(now));
      expect(data.start_date).toBe(dayOf(new Date(now.getTime() - 29 * DAY)));
      expect(data.days).toEqual([
        { date: dayOf(new Date(now.getTime() - HOUR)), requests: 1, success: 1, errors: 0, aborted: 0, prompt_tokens: 0, completion_tokens: 0, cost: 1 },
      ]);
    });

    it('sums everyone\'s usage for an operator, and only the caller\'s otherwise', async () => {
      const day = 'start_date=2024-03-10&end_date=2024-03-10';
      expect((await get(`/api/v1/usage/daily?${day}&all=true`, operator)).json().data.days[0]).toMatchObject({ requests: 4, cost: 12.345799 });
      expect((await get(`/api/v1/usage/daily?${day}`, bob.auth)).json().data.days).toEqual([
        { date: '2024-03-10', requests: 1, success: 1, errors: 0, aborted: 0, prompt_tokens: 30, completion_tokens: 25, cost: 0.00011 },
      ]);
      expect((await get(`/api/v1/usage/daily?${day}`, operator)).json().data).toMatchObject({ days: [], by_model: [] });
    });
  });

  describe('GET /api/v1/usage/export', () => {
    const HEADER = 'id,request_id,created_at,model,operation,key_id,upstream,status,http_status,prompt_tokens,completion_tokens,'
      + 'total_tokens,cost,usage_estimated,latency_ms,first_byte_ms,attempts,error_message';
    const lines = (body: string) => body.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);

    it('sends the filtered records as an escaped CSV attachment named for the period', async () => {
      const res = await get(`/api/v1/usage/export?${MARCH}`, alice.auth);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="usage-2024-03-09-2024-03-11.csv"');
      expect(res.body.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
      const [, ...rows] = lines(res.body);
      expect(rows).toHaveLength(6);
      const rest = (line: string | undefined) => line?.slice(line.indexOf(',') + 1);
      expect(rest(rows[5])).toBe('a1,2024-03-09T23:30:00,gpt-4o-mini,chat,901,channel:12,success,200,100,50,150,0.001500,false,800,200,1,');
      expect(rest(rows[4])).toBe('a2,2024-03-10T00:00:00,gpt-4o-mini,,901,,error,502,10,0,10,0.000000,false,,,3,"upstream said ""no"", retry later"');
      // A newline inside a quoted field keeps the record whole, so the a4 line ends inside its error message.
      expect(rest(rows[2])).toBe('a4,2024-03-10T23:59:59,"\'=HYPERLINK(""http://x"")",,901,,aborted,,5,7,12,0.000011,false,,,1,"line1\nline2"');
    });

    it('exports the last 30 days by default, and everyone\'s rows with user_id for an operator', async () => {
      const own = await get('/api/v1/usage/export', bob.auth);
      expect(own.headers['content-disposition']).toBe(`attachment; filename="usage-${dayOf(new Date(now.getTime() - 29 * DAY))}-${dayOf(now)}.csv"`);
      expect(lines(own.body).slice(1).map((l) => l.split(',')[1])).toEqual(['b-recent']);

      const all = lines((await get('/api/v1/usage/export?all=true&start_date=2024-03-10&end_date=2024-03-10', operator)).body);
      expect(all[0]).toBe(HEADER.replace('created_at,', 'created_at,user_id,'));
      expect(all.slice(1).map((l) => l.split(',').slice(1, 4))).toEqual([
        ['a4', '2024-03-10T23:59:59', String(alice.id)],
        ['b1', '2024-03-10T13:00:00', String(bob.id)],
        ['a3', '2024-03-10T12:00:00', String(alice.id)],
        ['a2', '2024-03-10T00:00:00', String(alice.id)],
      ]);
    });

    it('stops at 10 000 rows and says the file was cut', async () => {
      const carol = await registerUser(t);
      const usage = createUsageService({ database: t.database });
      const start = Date.parse('2023-05-01T00:00:00Z');
      // In batches: one INSERT of 10 001 rows would pass PostgreSQL's 65 535 bind parameters.
      for (let n = 0; n < 10_001; n += 2_000) {
        const count = Math.min(2_000, 10_001 - n);
        await usage.record(Array.from({ length: count }, (_, i) => ({
          requestId: `c${n + i}`, userId: carol.id, model: 'm', status: 'success' as const, platform: 'api' as const,
          createdAt: new Date(start + (n + i) * 1000),
        })));
      }
      const res = await get('/api/v1/usage/export?start_date=2023-05-01&end_date=2023-05-01', carol.auth);
      expect(res.headers['x-export-truncated']).toBe('true');
      const rows = lines(res.body).slice(1);
      expect(rows).toHaveLength(10_000);
      expect([rows[0]?.split(',')[1], rows.at(-1)?.split(',')[1]]).toEqual(['c10000', 'c1']);
      expect((await get('/api/v1/usage/export?start_date=2023-05-02&end_date=2023-05-02', carol.auth)).headers).not.toHaveProperty('x-export-truncated');
    });

    it('refuses a bad query with 400 in the studio envelope', async () => {
      const res = await get('/api/v1/usage/export?end_date=2024-13-01', alice.auth);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });
  });
});

describe('csvField', () => {
  it('neutralises text a spreadsheet would run as a formula', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx'].map(csvField)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx"]);
  });

  it('quotes commas, quotes and line breaks, and leaves plain values and numbers alone', () => {
    expect(['a,b', 'say "hi"', 'a\r\nb', 'plain', null, 42, -1, false].map(csvField)).toEqual([
      '"a,b"', '"say ""hi"""', '"a\r\nb"', 'plain', '', '42', '-1', 'false',
    ]);
  });
});
