import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { getTableColumns } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChargeItem } from './charges.ts';
import { chargesToReplay, listSegments, openJournal, readJournal, type Journal } from './journal.ts';
import { decodeRecords, encodeRecord, USAGE_KEYS, type JournalRecord } from './journal-records.ts';
import { usageRecords } from './usage.tables.ts';

// The charge journal on its own: what a crash leaves in the file can be read back up to the first torn frame, a turn's
// records cost one write (and one fdatasync with sync `disk`), and a segment goes only when nothing in it is owed.

function itemOf(requestId: string, cost: bigint): ChargeItem {
  return {
    payer: { userId: 7, billingMode: 'postpaid', creditLimitMicros: 5_000_000n, apiKeyId: 3, keySpendLimitMicros: 9_007_199_254_740_993n, keySpentMicros: 0n },
    charge: {
      requestId, cost, description: `chat ${requestId}`,
      usage: { requestId, userId: 7, apiKeyId: 3, model: 'gpt-test', status: 'success', platform: 'api', costMicros: cost, tokensIn: 12, tokensOut: 34, createdAt: new Date('2026-11-25T08:30:00.123Z') },
      packageUse: { packageId: 11, supplierUserId: 8, tokens: 46, earning: cost - cost / 10n },
    },
  };
}
const charge = (requestId: string, cost = 1_000n): JournalRecord => ({ kind: 'charge', item: itemOf(requestId, cost) });
const opening = (requestId: string, cost = 100n): JournalRecord => ({ kind: 'open', item: itemOf(requestId, cost) });
const requestIds = (records: JournalRecord[]) => records.map((r) => r.item.charge.requestId);
const seqs = (dir: string) => listSegments(dir).map((s) => s.seq);
/** Long enough for a removal the journal asked of the file system (fs.rm, not awaited) to have happened. */
const removalsDone = () => new Promise((r) => setTimeout(r, 50));

/** The records each write(2) since `spy` was set up carried (a write of anything else carries none). */
const writesOf = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((c) => decodeRecords(c[1] as Buffer).records).filter((records) => records.length > 0).map(requestIds);

let dir: string;
const opened: Journal[] = [];
function journal(opts: Partial<Parameters<typeof openJournal>[0]> = {}): Journal {
  const j = openJournal({ dir, sync: 'os', ...opts });
  opened.push(j);
  return j;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-journal-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const j of opened.splice(0)) j.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('journal records', () => {
  it('read back a charge as it was written: bigints as bigints, the usage time as a Date', () => {
    const record = charge('req-1', 9_007_199_254_740_993n);
    const { records, torn } = decodeRecords(encodeRecord(record));
    expect(torn).toBe(false);
    expect(records).toEqual([record]);
    expect(records[0]?.item.charge.usage.createdAt).toBeInstanceOf(Date);
    expect(records[0]?.item.charge.cost).toBe(9_007_199_254_740_993n);
  });

  it('carry every column of the usage record, and read back a charge without a package, key or limits', () => {
    const columns = Object.keys(getTableColumns(usageRecords)).filter((c) => c !== 'id');
    expect([...USAGE_KEYS].sort()).toEqual(columns.sort());
    const full = itemOf('req-full', 77n);
    Object.assign(full.charge.usage, {
      operation: 'chat', upstreamKind: 'package', upstreamId: 5, supplierEarningMicros: 70n, supplierUserId: 8, latencyMs: 120, firstByteMs: 40,
      usageEstimated: true, attempts: 2, httpStatus: 200, errorMessage: 'upstream said: slow', chargeRef: 'gateway:b:1',
    });
    expect(Object.keys(full.charge.usage).sort()).toEqual(columns.sort());
    const bare: ChargeItem = {
      // A payer without a key has no key limit: it comes back as null, which every reader takes as "none" (`!= null`).
      payer: { userId: 9, billingMode: 'prepaid', creditLimitMicros: null, keySpendLimitMicros: null },
      charge: { requestId: 'req-bare', cost: 0n, description: 'x: failed', usage: { requestId: 'req-bare', userId: 9, model: 'm', status: 'error', platform: 'studio' } },
    };
    for (const item of [full, bare]) {
      const record: JournalRecord = { kind: 'charge', item };
      expect(decodeRecords(encodeRecord(record)).records).toEqual([record]);
    }
  });

  it('read a record of the first format (an object, bigints tagged), as a journal from before an upgrade holds', () => {
    const payload = Buffer.from(
      JSON.stringify({
        kind: 'charge',
        item: {
          payer: { userId: 7, billingMode: 'postpaid', creditLimitMicros: { $n: '5000000' }, apiKeyId: 3, keySpendLimitMicros: null },
          charge: {
            requestId: 'req-old', cost: { $n: '1000' }, description: 'chat req-old',
            usage: { requestId: 'req-old', userId: 7, model: 'gpt-test', status: 'success', platform: 'api', costMicros: { $n: '1000' }, createdAt: '2026-11-25T08:30:00.123Z' },
          },
        },
      }),
    );
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    const [record] = decodeRecords(Buffer.concat([frame, payload])).records;
    expect(record?.item.payer).toEqual({ userId: 7, billingMode: 'postpaid', creditLimitMicros: 5_000_000n, apiKeyId: 3, keySpendLimitMicros: null });
    expect(record?.item.charge).toMatchObject({ requestId: 'req-old', cost: 1_000n, usage: { costMicros: 1_000n, createdAt: new Date('2026-11-25T08:30:00.123Z') } });
  });

  it('stop at a torn tail (cut short, a flipped byte, zeros) and return the records before it', () => {
    const whole = Buffer.concat([charge('a'), charge('b'), charge('c')].map(encodeRecord));
    const cut = whole.subarray(0, whole.length - 3);
    const flipped = Buffer.from(whole);
    flipped[whole.length - 5] = (flipped[whole.length - 5] as number) ^ 0x01;
    // The file's new size reached the disk, its data did not.
    const zeros = Buffer.concat([whole, Buffer.alloc(64)]);
    for (const buf of [cut, flipped]) expect(requestIds(decodeRecords(buf).records)).toEqual(['a', 'b']);
    for (const buf of [cut, flipped, zeros]) expect(decodeRecords(buf).torn).toBe(true);
    expect(requestIds(decodeRecords(zeros).records)).toEqual(['a', 'b', 'c']);

    const middle = Buffer.from(whole);
    const second = encodeRecord(charge('a')).length + 8 + 2;
    middle[second] = (middle[second] as number) ^ 0xff;
    expect(decodeRecords(middle)).toMatchObject({ torn: true, records: [{ kind: 'charge' }] });
  });

  it('are read from every segment in order, counting the segments that end torn', () => {
    fs.writeFileSync(path.join(dir, 'charges-000000000002.log'), Buffer.concat([encodeRecord(charge('x')), encodeRecord(charge('y')).subarray(0, 5)]));
    fs.writeFileSync(path.join(dir, 'charges-000000000010.log'), encodeRecord(charge('z')));
    fs.writeFileSync(path.join(dir, 'charges-000000000001.log'), encodeRecord(opening('w')));
    const read = readJournal(dir);
    expect(requestIds(read.records)).toEqual(['w', 'x', 'z']);
    expect(read.torn).toBe(1);
  });
});

describe('listSegments', () => {
  it('lists the segment files oldest first by number, ignoring other files, and a new journal numbers past them', () => {
    for (const name of ['charges-000000000100.log', 'charges-000000000009.log', 'charges-000000000010.log', 'charges-1.log', 'notes.txt']) fs.writeFileSync(path.join(dir, name), '');
    expect(seqs(dir)).toEqual([9, 10, 100]);
    expect(listSegments(path.join(dir, 'missing'))).toEqual([]);
    journal();
    expect(seqs(dir)).toEqual([9, 10, 100, 101]);
  });
});

describe('chargesToReplay', () => {
  it('owes every settled charge, and the opening of each stream that was never settled, each request once', () => {
    const records = [opening('s1', 100n), charge('c1', 500n), opening('s2', 200n), charge('s1', 900n), opening('s2', 200n), charge('c1', 500n)];
    const owed = chargesToReplay(records);
    expect(owed.map((i) => [i.charge.requestId, i.charge.cost]).sort()).toEqual([['c1', 500n], ['s1', 900n], ['s2', 200n]]);
  });
});

describe('openJournal', () => {
  it('writes the records of one turn in ONE write, and resolves `written` once they are in the file', async () => {
    const write = vi.spyOn(fs, 'writeSync');
    const j = journal();
    const appended = ['a', 'b', 'c'].map((id) => j.append(charge(id)));
    // Nothing goes out before the turn ends: that is what lets one write carry them all.
    expect(readJournal(dir).records).toEqual([]);
    let inFileWhenWritten: string[] = [];
    const first = appended[0]?.written.then(() => (inFileWhenWritten = requestIds(readJournal(dir).records)));
    await Promise.all([first, ...appended.map((a) => a.written)]);
    expect(inFileWhenWritten).toEqual(['a', 'b', 'c']);
    expect(writesOf(write)).toEqual([['a', 'b', 'c']]);
    expect(j.unapplied()).toBe(3);
  });

  it('writes the records of separate turns in separate writes', async () => {
    const write = vi.spyOn(fs, 'writeSync');
    const j = journal();
    await j.append(charge('a')).written;
    await j.append(charge('b')).written;
    expect(writesOf(write)).toEqual([['a'], ['b']]);
  });

  it('starts a new segment after rotateMs, and deletes a segment only once closed and every record in it is done', async () => {
    let now = 0;
    const j = journal({ rotateMs: 1_000, now: () => now });
    const a = j.append(charge('a'));
    await a.written;
    now = 999;
    const b = j.append(charge('b'));
    await b.written;
    expect(seqs(dir)).toEqual([1]);
    now = 1_000;
    const c = j.append(charge('c'));
    await c.written;
    await removalsDone();
    expect(seqs(dir)).toEqual([1, 2]);
    expect(requestIds(readJournal(dir).records)).toEqual(['a', 'b', 'c']);

    // The open segment stays however done its records are; the closed one stays until its last record is done.
    j.done(c.entry);
    j.done(a.entry);
    await removalsDone();
    expect(seqs(dir)).toEqual([1, 2]);
    j.done(b.entry);
    await vi.waitFor(() => expect(seqs(dir)).toEqual([2]));
    expect(j.unapplied()).toBe(0);
  });

  it('leaves no file when closed with every record done, and keeps the records still owed', async () => {
    const j = journal();
    const a = j.append(charge('a'));
    const b = j.append(charge('b'));
    await Promise.all([a.written, b.written]);
    j.done(a.entry);
    j.done(b.entry);
    j.close();
    expect(seqs(dir)).toEqual([]);

    const owing = journal();
    const c = owing.append(charge('c'));
    owing.append(opening('d'));
    await c.written;
    owing.done(c.entry);
    // Closing writes what this turn queued: the opening is still owed.
    owing.close();
    expect(requestIds(readJournal(dir).records)).toEqual(['c', 'd']);
    expect(() => owing.append(charge('e'))).toThrow(/closed/);
  });

  it("with sync 'disk', resolves `written` only after an fdatasync of the turn's records (one for the whole turn)", async () => {
    const events: string[] = [];
    const fdatasync = fs.fdatasync;
    const spy = vi.spyOn(fs, 'fdatasync').mockImplementation((fd, callback) => {
      events.push('fdatasync');
      fdatasync(fd, (err) => {
        events.push('synced');
        callback(err);
      });
    });
    const j = journal({ sync: 'disk' });
    const appended = ['a', 'b'].map((id) => j.append(charge(id)));
    await Promise.all(appended.map((a, i) => a.written.then(() => events.push(`written ${i}`))));
    expect(events).toEqual(['fdatasync', 'synced', 'written 0', 'written 1']);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("with sync 'disk', resolves `written` of records an fdatasync was running for when close() synced and closed the file", async () => {
    const fdatasync = fs.fdatasync;
    // The fdatasync reaches the file only after close(): its file descriptor is closed by then.
    vi.spyOn(fs, 'fdatasync').mockImplementation((fd, callback) => void setTimeout(() => fdatasync(fd, callback), 20));
    const j = journal({ sync: 'disk' });
    const a = j.append(charge('a'));
    await new Promise((r) => setImmediate(r));
    const b = j.append(charge('b'));
    j.close();
    await expect(Promise.all([a.written, b.written])).resolves.toHaveLength(2);
    expect(requestIds(readJournal(dir).records)).toEqual(['a', 'b']);
  });

  it("with sync 'os', resolves `written` without an fdatasync", async () => {
    const spy = vi.spyOn(fs, 'fdatasync');
    await journal().append(charge('a')).written;
    expect(spy).not.toHaveBeenCalled();
  });
});
