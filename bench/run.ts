import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { bundle, THREADS } from '../bin/run.mjs';
import { serial, type SerialResult } from './serial.ts';

// `npm run bench`: a mock upstream, a bare Fastify+undici proxy and Tollgate (auth + routing + metering + durable
// billing), each in its own process on 127.0.0.1. For each database (PGlite; PostgreSQL too when BENCH_DATABASE_URL or
// DATABASE_URL is set) and each billing durability (journal, database): autocannon at 32 connections, non-stream and
// stream, bare-proxy and Tollgate runs alternating (BENCH_ROUNDS of each, 3 by default; medians of req/s, p50, p99,
// the ratio and the proxy's CPU per request); then one client sending requests one after another (round-trip p50/p99
// in µs: the mock direct, the bare proxy, Tollgate); then the books check — Σ usage = Σ ledger charges = wallet
// decrease, ledger check clean — exit 1 otherwise.

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERIAL_REQUESTS = Number(process.env.BENCH_SERIAL_REQUESTS ?? 2000);
const CONNECTIONS = 32;
const DURABILITIES = (process.env.BENCH_DURABILITY ?? 'journal,database').split(',');
// The three servers run as `npm start` runs the service: bundled by esbuild (bin/run.mjs), not through tsx's loader,
// whose output wraps every function a request creates in a naming helper (`keepNames`: 3 % of a streamed request's
// CPU in the profile).
const BUNDLES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'bench');
await bundle({ 'mock-upstream': 'bench/mock-upstream.ts', 'bare-proxy': 'bench/bare-proxy.ts', tollgate: 'bench/tollgate.ts', ...THREADS }, BUNDLES);

function start(name: string, env: Record<string, string>): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = fork(path.join(BUNDLES, `${name}.js`), [], { execArgv: ['--enable-source-maps'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: typeof info === 'object' ? (info as Record<string, unknown>) : {} }));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

const ask = <T>(child: ChildProcess, msg: string): Promise<T> =>
  new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(msg);
  });

interface Row { target: string; mode: string; rps: number; p50: number; p99: number; errors: number; non2xx: number; cpuUs?: number; ratio?: number }

type Run = Omit<Row, 'target' | 'mode'>;

/**
 * CPU seconds a process has used (all its threads), from /proc on Linux; undefined elsewhere. CPU per request is the
 * steadier figure on a host where the load generator, the mock and the proxy share the cores: req/s moves with what
 * else runs, the work a request costs much less.
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function load(url: string, key: string | undefined, stream: boolean, seconds: number, pid?: number): Promise<Omit<Row, 'target' | 'mode'>> {
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'Say something about toll gates please.' }] });
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url: `${url}/v1/chat/completions`, method: 'POST', connections: CONNECTIONS, duration: seconds,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body,
  });
  const cpuAfter = cpuSeconds(pid);
  const cpuUs = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The median run by req/s, its errors summed over all runs. */
function medianRun(runs: Run[]): Run {
  const mid = [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)] as Run;
  return { ...mid, errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0) };
}

/**
 * The bare proxy and Tollgate in ROUNDS alternating runs each, after a warm-up of both (JIT, keep-alive pools, caches).
 * This host's speed drifts by ±30 % within minutes, so a single run of each measured the drift as much as the proxies:
 * each row is the median run, and Tollgate's ratio the median of the rounds' own ratios.
 */
async function pair(label: string, tollgate: { url: string; key: string; pid?: number }, stream: boolean, barePid: number | undefined): Promise<Row[]> {
  await load(BARE, undefined, stream, 2);
  await load(tollgate.url, tollgate.key, stream, 2);
  const bareRuns: Run[] = [];
  const runs: Run[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    bareRuns.push(await load(BARE, undefined, stream, DURATION, barePid));
    runs.push(await load(tollgate.url, tollgate.key, stream, DURATION, tollgate.pid));
  }
  const mode = stream ? 'stream' : 'non-stream';
  return [
    { target: 'bare proxy', mode, ...medianRun(bareRuns) },
    { target: label, mode, ...medianRun(runs), ratio: median(runs.map((r, i) => r.rps / (bareRuns[i] as Run).rps)) },
  ];
}

const UPSTREAM = 'http://127.0.0.1:18101';
const BARE = 'http://127.0.0.1:18102';
const upstream = await start('mock-upstream', { PORT: '18101' });
const bare = await start('bare-proxy', { PORT: '18102', UPSTREAM });
const rows: Row[] = [];
const serialRows: (SerialResult & { target: string; mode: string })[] = [];
const books: Record<string, unknown> = {};
const serverDb = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
try {
  for (const db of ['pglite', ...(serverDb ? ['postgres'] : [])]) {
    for (const durability of DURABILITIES) {
      const label = `tollgate (${db}, ${durability})`;
      const env: Record<string, string> = { PORT: '18103', UPSTREAM, BENCH_DATABASE_URL: db === 'postgres' ? String(serverDb) : '', BILLING_DURABILITY: durability };
      const tollgate = await start('tollgate', env);
      const key = String(tollgate.info.key);
      for (const stream of [false, true]) rows.push(...(await pair(label, { url: 'http://127.0.0.1:18103', key, pid: tollgate.child.pid }, stream, bare.child.pid)));
      for (const stream of [false, true]) {
        const mode = stream ? 'stream' : 'non-stream';
        for (const [target, url, k] of [['mock direct', UPSTREAM, undefined], ['bare proxy', BARE, undefined], [label, 'http://127.0.0.1:18103', key]] as const) {
          serialRows.push({ target, mode, ...(await serial(url, k, stream, SERIAL_REQUESTS)) });
        }
      }
      books[label] = (await ask<{ books: unknown }>(tollgate.child, 'books')).books;
      tollgate.child.send('stop');
      await new Promise((r) => tollgate.child.once('exit', r));
    }
  }
} finally {
  upstream.child.kill();
  bare.child.kill();
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
console.log(`\nTollgate gateway benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log(`autocannon: ${CONNECTIONS} connections, ${ROUNDS} alternating runs of ${DURATION} s per proxy after a 2 s warm-up (medians)\n`);
console.log(`${pad('target', 32)}${pad('mode', 12)}${pad('req/s', 10)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('errors', 8)}${pad('ratio', 8)}${pad('+p50 ms', 9)}CPU µs/req`);
for (const r of rows) {
  const base = rows.find((b) => b.target === 'bare proxy' && b.mode === r.mode && rows.indexOf(b) < rows.indexOf(r) && rows.indexOf(r) - rows.indexOf(b) === 1) ?? r;
  const ratio = (r.ratio ?? 1).toFixed(2);
  const added = r.target === 'bare proxy' ? '' : String(r.p50 - base.p50);
  const cpu = r.cpuUs === undefined ? '' : String(Math.round(r.cpuUs));
  console.log(`${pad(r.target, 32)}${pad(r.mode, 12)}${pad(Math.round(r.rps), 10)}${pad(r.p50, 8)}${pad(r.p99, 8)}${pad(r.errors + r.non2xx, 8)}${pad(ratio, 8)}${pad(added, 9)}${cpu}`);
}
console.log(`\nOne client, serial: ${SERIAL_REQUESTS} requests after a warm-up; round trip in µs, and added over the bare proxy at p50\n`);
console.log(`${pad('target', 32)}${pad('mode', 12)}${pad('p50 µs', 10)}${pad('p99 µs', 10)}+p50 µs`);
for (const r of serialRows) {
  const base = serialRows.find((b) => b.target === 'bare proxy' && b.mode === r.mode && serialRows.indexOf(b) < serialRows.indexOf(r) && serialRows.indexOf(r) - serialRows.indexOf(b) === 1);
  console.log(`${pad(r.target, 32)}${pad(r.mode, 12)}${pad(r.p50, 10)}${pad(r.p99, 10)}${base ? r.p50 - base.p50 : ''}`);
}
console.log('\nBooks after the load (µ¥):');
for (const [db, b] of Object.entries(books)) console.log(`  ${db}: ${JSON.stringify(b)}`);
const bad = Object.values(books).some((b) => {
  const x = b as { usageMicros: string; ledgerChargeMicros: string; walletDecreaseMicros: string; ledgerCheckClean: boolean };
  return !(x.usageMicros === x.ledgerChargeMicros && x.ledgerChargeMicros === x.walletDecreaseMicros && x.ledgerCheckClean);
});
if (bad) {
  console.error('MISMATCH: usage, ledger charges and wallet decrease differ');
  process.exit(1);
}
console.log('  Σ usage-record costs = Σ ledger charges = Σ wallet decrease: OK');
