import fs from 'node:fs';
import path from 'node:path';
import type { ChargeItem } from './charges.ts';
import { decodeRecords, encodeRecord, type JournalRecord } from './journal-records.ts';

// The charge journal (DESIGN.md §5): a settled charge is durable once it is in an append-only file in DATA_DIR, and
// the database is written behind (billing.ts). Every record appended during one event-loop turn goes out in ONE
// write(2) — the data is then in the OS page cache and survives kill -9 — and with sync `disk` that write is followed
// by one fdatasync (power loss too). A plain file rather than an embedded store (lmdb-js): measured on the 2-core
// host, a 200-byte append costs 2 µs and append + fdatasync 190–260 µs (the fdatasync runs off the event loop here),
// so a store that commits off the main thread has nothing left to win, and this needs no native module. lmdb-js was
// not tried.
//
// Records are framed [u32 length][u32 crc32 of the payload][payload: JSON] (journal-records.ts); a reader stops at
// the first frame that does not check out (a write torn by the crash — its request was never answered). The file is
// cut into segments: a new one is started every `rotateMs`, and a segment is deleted once closed and every charge in
// it is in the database (or filed as a dead letter) — that deletion is the checkpoint. Boot applies the segments left
// over before the port opens (billing.module.ts).

export type JournalSync = 'os' | 'disk';

/** An appended record, to be marked `done` when what it stands for is in the database (or no longer needed). */
export interface JournalEntry {
  segment?: Segment;
  done: boolean;
}

interface Segment {
  seq: number;
  file: string;
  fd: number;
  openedAt: number;
  bytes: number;
  records: number;
  /** Records in it not yet done. */
  refs: number;
  closed: boolean;
}

interface Waiting {
  buf: Buffer;
  entry: JournalEntry;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEGMENT = /^charges-(\d{12})\.log$/;
const segmentName = (seq: number) => `charges-${String(seq).padStart(12, '0')}.log`;
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface JournalOptions {
  dir: string;
  sync: JournalSync;
  /** A new segment is started when the current one is this old (and not empty). */
  rotateMs?: number;
  now?: () => number;
}

export function openJournal(opts: JournalOptions) {
  const now = opts.now ?? Date.now;
  const rotateMs = opts.rotateMs ?? 1_000;
  fs.mkdirSync(opts.dir, { recursive: true });
  let nextSeq = Math.max(0, ...listSegments(opts.dir).map((s) => s.seq)) + 1;
  const live = new Set<Segment>();
  let current = startSegment();
  let queue: Waiting[] = [];
  let scheduled = false;
  /** Written, waiting for the next fdatasync (sync `disk`). */
  let unsynced: Waiting[] = [];
  /** The segment an fdatasync is running on. */
  let syncing: Segment | undefined;
  let closed = false;

  function startSegment(): Segment {
    const seq = nextSeq++;
    const file = path.join(opts.dir, segmentName(seq));
    const seg: Segment = { seq, file, fd: fs.openSync(file, 'a'), openedAt: now(), bytes: 0, records: 0, refs: 0, closed: false };
    // The new file's name must survive a power loss as well as its contents.
    if (opts.sync === 'disk') syncDirectory(opts.dir);
    live.add(seg);
    return seg;
  }

  function closeSegment(seg: Segment) {
    if (seg.closed) return;
    seg.closed = true;
    if (opts.sync === 'disk') fs.fdatasyncSync(seg.fd);
    fs.closeSync(seg.fd);
    removeIfDone(seg);
  }

  function removeIfDone(seg: Segment) {
    if (!seg.closed || seg.refs > 0) return;
    live.delete(seg);
    // After close() the process may exit at once: a file still there then would be applied again by the next boot.
    if (closed) fs.rmSync(seg.file, { force: true });
    else fs.rm(seg.file, { force: true }, () => undefined);
  }

  function rotateIfDue() {
    const due = current.records > 0 && (now() - current.openedAt >= rotateMs || current.bytes >= MAX_SEGMENT_BYTES);
    if (!due) return;
    const old = current;
    current = startSegment();
    // A file an fdatasync is running on stays open until it returns (syncCurrent closes it then).
    if (syncing !== old) closeSegment(old);
  }

  function writeTurn() {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    rotateIfDue();
    const seg = current;
    const buf = batch.length === 1 ? (batch[0] as Waiting).buf : Buffer.concat(batch.map((w) => w.buf));
    try {
      writeAll(seg.fd, buf);
    } catch (err) {
      // Part of the batch may be in the file, torn: later records go to a new segment, where a reader finds them.
      const failed = current;
      try {
        current = startSegment();
        if (syncing !== failed) closeSegment(failed);
      } catch {
        // Closing a file whose disk is failing may fail too; the next boot reads what it holds.
      }
      for (const w of batch) w.reject(err as Error);
      return;
    }
    seg.bytes += buf.length;
    seg.records += batch.length;
    for (const w of batch) {
      if (w.entry.done) continue;
      w.entry.segment = seg;
      seg.refs += 1;
    }
    if (opts.sync === 'os') for (const w of batch) w.resolve();
    else {
      unsynced.push(...batch);
      syncCurrent();
    }
  }

  /** One fdatasync at a time; records written while it runs wait for the next one. */
  function syncCurrent() {
    if (syncing || unsynced.length === 0) return;
    if (closed) {
      // close() synced the file it wrote them to.
      for (const w of unsynced.splice(0)) w.resolve();
      return;
    }
    const seg = (syncing = current);
    const batch = unsynced;
    unsynced = [];
    fs.fdatasync(seg.fd, (err) => {
      syncing = undefined;
      // Rotated meanwhile: closing syncs what was written to it after this sync began.
      if (seg !== current) closeSegment(seg);
      // close() closed the file under this fdatasync, syncing it first: the records are on disk, the error is the closed fd.
      const failed = closed && seg === current ? null : err;
      for (const w of batch) {
        if (failed) w.reject(failed);
        else w.resolve();
      }
      syncCurrent();
    });
  }

  return {
    /** Appends `record`; `written` resolves once it is in the file (and on disk with sync `disk`). */
    append(record: JournalRecord): { entry: JournalEntry; written: Promise<void> } {
      if (closed) throw new Error('the charge journal is closed');
      const entry: JournalEntry = { done: false };
      const buf = encodeRecord(record);
      const written = new Promise<void>((resolve, reject) => queue.push({ buf, entry, resolve, reject }));
      if (!scheduled) {
        scheduled = true;
        setImmediate(writeTurn);
      }
      return { entry, written };
    },

    /** What `entry` stands for is in the database (or will never be): its segment may go once all its records are. */
    done(entry: JournalEntry) {
      if (entry.done) return;
      entry.done = true;
      const seg = entry.segment;
      if (!seg) return;
      seg.refs -= 1;
      removeIfDone(seg);
    },

    /** Records appended and not yet done (in the database). */
    unapplied: () => [...live].reduce((sum, s) => sum + s.refs, 0) + queue.length,

    /** Writes what is queued, closes the file; an empty or fully applied journal leaves no file behind. */
    close() {
      if (closed) return;
      writeTurn();
      closed = true;
      closeSegment(current);
    },
  };
}

export type Journal = ReturnType<typeof openJournal>;

/** The segments a journal directory holds, oldest first. */
export function listSegments(dir: string): { seq: number; file: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((name) => {
      const m = SEGMENT.exec(name);
      return m ? [{ seq: Number(m[1]), file: path.join(dir, name) }] : [];
    })
    .sort((a, b) => a.seq - b.seq);
}

/** Every record the segments in `dir` hold, in order, and how many segments ended in a torn frame. */
export function readJournal(dir: string): { files: string[]; records: JournalRecord[]; torn: number } {
  const files = listSegments(dir).map((s) => s.file);
  const records: JournalRecord[] = [];
  let torn = 0;
  for (const file of files) {
    const r = decodeRecords(fs.readFileSync(file));
    records.push(...r.records);
    if (r.torn) torn += 1;
  }
  return { files, records, torn };
}

/**
 * The charges a left-over journal still owes the database: every settled charge, and the opening charge of every
 * stream that was not settled (cut by the crash). Idempotent by request id downstream: a charge already in the
 * database — a settled stream whose opening outlived it in an older segment — is skipped there.
 */
export function chargesToReplay(records: JournalRecord[]): ChargeItem[] {
  const settled = new Map<string, ChargeItem>();
  const opened = new Map<string, ChargeItem>();
  for (const r of records) (r.kind === 'charge' ? settled : opened).set(r.item.charge.requestId, r.item);
  const cut = [...opened].filter(([id]) => !settled.has(id)).map(([, item]) => item);
  return [...settled.values(), ...cut];
}

function writeAll(fd: number, buf: Buffer) {
  for (let at = 0; at < buf.length; ) at += fs.writeSync(fd, buf, at, buf.length - at);
}

function syncDirectory(dir: string) {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
