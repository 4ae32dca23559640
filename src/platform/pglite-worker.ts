import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import type { ThreadReply, ThreadRequest } from './pglite-thread.ts';

// The database thread (pglite-thread.ts): an on-disk PGlite opened here, queried through messages. Transactions stay
// open across messages: a `begin` opens one and answers once it has begun; its queries name it; `end` commits it or
// rolls it back and answers once it has. PGlite itself keeps other queries out of an open transaction, as on one thread.

const port = parentPort;
if (!port) throw new Error('pglite-worker runs as a worker thread');

/**
 * The thread yields to the event loop: what it runs — the write-behind batches, console queries — can wait a moment;
 * the requests the event loop serves cannot. On Linux a thread's nice value is its own (setpriority of the calling
 * thread), so this lowers only the database thread; elsewhere it would lower the whole process, so it is left alone.
 * Measured under `npm run bench` load (c32, PGlite, journal; 6 alternating pairs): 0.47 of the bare proxy's req/s
 * against 0.41 at the default priority, and no worse with BILLING_DURABILITY=database (0.23 against 0.22).
 */
const NICE = 10;
if (process.platform === 'linux') {
  try {
    os.setPriority(NICE);
  } catch {
    // Not permitted here (a sandbox): the thread keeps the process's priority.
  }
}

const db = new PGlite(workerData.dataDir as string);
const reply = (message: ThreadReply) => port.postMessage(message);

/** Drizzle's parsers keep these types as text; only such identity parsers are named across the thread. */
const optionsOf = (o: ThreadRequest & { op: 'query' }): QueryOptions | undefined => {
  if (!o.rowMode && !o.textTypes) return undefined;
  const parsers = o.textTypes && Object.fromEntries(o.textTypes.map((oid) => [oid, (value: string) => value]));
  return { ...(o.rowMode ? { rowMode: o.rowMode } : {}), ...(parsers ? { parsers } : {}) };
};

/** A database error as data: its message and SQLSTATE, constraint, detail… (values only, never the query's parameters). */
function errorData(err: unknown): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  const data: Record<string, unknown> = { message: e.message, name: e.name, stack: e.stack };
  for (const [key, value] of Object.entries(e)) {
    if (key !== 'params' && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) data[key] = value;
  }
  return data;
}

class Rollback extends Error {}

interface OpenTransaction {
  tx: Transaction;
  finish(commit: boolean): void;
  /** Settles when PGlite has committed (or rolled back on request); rejects with the COMMIT's error. */
  ended: Promise<void>;
}
const open = new Map<number, OpenTransaction>();

/** Opens transaction `id`; resolves once BEGIN has run and the transaction waits for its queries. */
function begin(id: number): Promise<void> {
  return new Promise((begun, failed) => {
    let started = false;
    const ended = db
      .transaction(
        (tx) =>
          new Promise<void>((commit, rollBack) => {
            started = true;
            open.set(id, { tx, finish: (ok) => (ok ? commit() : rollBack(new Rollback())), ended });
            begun();
          }),
      )
      .catch((err: unknown) => {
        if (err instanceof Rollback) return;
        if (!started) return failed(err);
        throw err;
      })
      .finally(() => open.delete(id));
  });
}

/** Where a query runs: the database, or the open transaction it names. */
function targetOf(tx: number | undefined): PGlite | Transaction {
  const target = tx === undefined ? db : open.get(tx)?.tx;
  if (!target) throw new Error(`transaction ${tx} is not open`);
  return target;
}

async function handle(m: ThreadRequest): Promise<unknown> {
  switch (m.op) {
    case 'query':
      return targetOf(m.tx).query(m.text, m.params, optionsOf(m));
    case 'exec':
      return targetOf(m.tx).exec(m.text);
    case 'begin':
      await begin(m.id);
      return m.id;
    case 'end': {
      const t = open.get(m.tx);
      if (!t) throw new Error(`transaction ${m.tx} is not open`);
      t.finish(m.commit);
      await t.ended;
      return null;
    }
    case 'close':
      if (m.checkpoint) await db.exec('CHECKPOINT');
      await db.close();
      return null;
  }
}

port.on('message', (m: ThreadRequest) => {
  handle(m).then(
    (result) => reply({ id: m.id, result }),
    (err: unknown) => reply({ id: m.id, error: errorData(err) }),
  );
});

db.waitReady.then(
  () => reply({ id: 0, result: 'ready' }),
  (err: unknown) => reply({ id: 0, error: errorData(err) }),
);
