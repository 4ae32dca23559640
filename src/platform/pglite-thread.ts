import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

// The on-disk PGlite runs on a thread of its own (pglite-worker.ts), not on the event loop that serves requests.
// PGlite is Postgres compiled to WebAssembly: every statement runs on the thread that calls it, and the gateway's
// write-behind batches (hundreds of usage rows each) held the event loop for milliseconds at a time — 15–18 % of a
// gateway request's CPU under load went to them (bench/README.md). Here the main thread only posts a message.
//
// The client below is the part of PGlite's interface Drizzle and db.ts use: query, exec, transaction, close.

export type ThreadRequest =
  | { id: number; op: 'query'; tx?: number; text: string; params?: unknown[]; rowMode?: 'array' | 'object'; textTypes?: number[] }
  | { id: number; op: 'exec'; tx?: number; text: string }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close'; checkpoint: boolean };
export type ThreadReply = { id: number; result: unknown } | { id: number; error: Record<string, unknown> };

type Ask = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface QueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
}

export interface PgliteQueries {
  query(text: string, params?: unknown[], options?: QueryOptions): Promise<{ rows: any[] }>;
  exec(text: string): Promise<{ rows: any[] }[]>;
}

export interface PgliteThread extends PgliteQueries {
  transaction<T>(fn: (tx: PgliteQueries) => Promise<T>): Promise<T>;
  close(opts: { checkpoint: boolean }): Promise<void>;
}

/**
 * The bundled worker beside the bundle (dist/server), else the TypeScript source loaded through tsx's API (tests,
 * `npm run dev`): a worker's `--import tsx` does not reach its own entry module on Node 20.
 */
function startWorker(workerData: unknown): Worker {
  const bundled = new URL('./pglite-worker.js', import.meta.url);
  if (fs.existsSync(bundled)) return new Worker(bundled, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = new URL('./pglite-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** Opens `pgdata` on a new thread; resolves once PGlite is ready there, rejects with its error if it cannot open. */
export function openPgliteThread(pgdata: string): Promise<PgliteThread> {
  const worker = startWorker({ dataDir: pgdata });
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;

  const settle = (id: number, fn: (p: { resolve(value: unknown): void; reject(err: Error): void }) => void) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    // An idle thread must not keep the process alive; one with a question out must.
    if (pending.size === 0) worker.unref();
    fn(p);
  };
  const stop = (err: Error) => {
    stopped ??= err;
    for (const id of [...pending.keys()]) settle(id, (p) => p.reject(err));
  };

  worker.on('message', (m: ThreadReply) => settle(m.id, (p) => ('error' in m ? p.reject(rebuildError(m.error)) : p.resolve(m.result))));
  worker.on('error', (err) => {
    stop(err);
    // The service cannot serve without its database: fail loudly (the charge journal keeps what was answered).
    if (!closing) process.nextTick(() => { throw new Error(`the database thread failed: ${err.message}`, { cause: err }); });
  });
  worker.on('exit', (code) => stop(new Error(`the database thread exited (code ${code})`)));

  const ask = <T>(request: Ask): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    // As PGlite itself answers once closed (a job runner's last poll may come after the close).
    if (closing) return Promise.reject(new Error('PGlite is closed'));
    const id = nextId++;
    if (pending.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        worker.postMessage({ ...request, id });
      } catch (err) {
        // A parameter that cannot be copied to the thread (a function, a class instance): this query fails alone.
        settle(id, (p) => p.reject(err as Error));
      }
    });
  };

  const queries = (tx?: number): PgliteQueries => ({
    query: (text, params, options) => ask({ op: 'query', tx, text, params, ...threadOptions(options) }),
    exec: (text) => ask({ op: 'exec', tx, text }),
  });

  const client: PgliteThread = {
    ...queries(),
    async transaction(fn) {
      const tx = await ask<number>({ op: 'begin' });
      let result;
      try {
        result = await fn(queries(tx));
      } catch (err) {
        await ask({ op: 'end', tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await ask({ op: 'end', tx, commit: true });
      return result;
    },
    close({ checkpoint }) {
      // A second close (a signal during the boot, then the boot's own clean-up) waits for the first.
      closed ??= (async () => {
        const answered = ask({ op: 'close', checkpoint });
        closing = true;
        try {
          await answered;
        } finally {
          await worker.terminate();
        }
      })();
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    pending.set(0, {
      resolve: () => resolve(client),
      reject: (err) => {
        closing = true;
        void worker.terminate();
        reject(err);
      },
    });
  });
}

/** Query options as data: Drizzle's parsers only keep some types as text, which the thread does by type id. */
function threadOptions(options: QueryOptions | undefined): { rowMode?: 'array' | 'object'; textTypes?: number[] } {
  if (!options) return {};
  const textTypes = options.parsers && Object.keys(options.parsers).map(Number);
  for (const oid of textTypes ?? []) {
    if (options.parsers?.[oid]?.('2000-01-01', oid) !== '2000-01-01') throw new Error(`a parser for type ${oid} cannot run on the database thread`);
  }
  return { ...(options.rowMode ? { rowMode: options.rowMode } : {}), ...(textTypes ? { textTypes } : {}) };
}

/** The thread's error with its SQLSTATE, constraint, detail…, so that sqlState() and the logs read it as before. */
function rebuildError(data: Record<string, unknown>): Error {
  const { message, name, stack, ...fields } = data;
  const err = Object.assign(new Error(String(message)), fields);
  if (typeof name === 'string') err.name = name;
  if (typeof stack === 'string') err.stack = stack;
  return err;
}
