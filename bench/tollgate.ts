import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createApiKeyService } from '../src/modules/identity/api-keys.service.ts';
import { ACCOUNTS } from '../src/modules/ledger/accounts.ts';
import { createLedger } from '../src/modules/ledger/ledger.service.ts';
import { openDatabase } from '../src/platform/db.ts';
import { systemClock } from '../src/platform/time.ts';

// Tollgate as the benchmark runs it: the real app (auth, routing, metering, durable billing — journaled, or committed
// to the database with BILLING_DURABILITY=database) on a fresh database — PGlite in a temporary DATA_DIR, or a fresh
// PostgreSQL database when BENCH_DATABASE_URL is set — with one channel to the mock upstream and one funded buyer.

const FUNDED_CREDITS = 10_000_000;

async function freshPostgres(serverUrl: string): Promise<string> {
  const name = `tollgate_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const serverUrl = process.env.BENCH_DATABASE_URL;
const databaseUrl = serverUrl ? await freshPostgres(serverUrl) : undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-bench-'));
const config = loadConfig({
  NODE_ENV: 'production',
  MASTER_KEY: crypto.randomBytes(32).toString('hex'),
  JWT_SECRET: crypto.randomBytes(32).toString('hex'),
  DATA_DIR: dataDir,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  LOG_LEVEL: 'warn',
  ALLOW_PRIVATE_UPSTREAMS: 'true',
  PROVIDER_BASE_URL_OPENAI: String(process.env.UPSTREAM),
  ADMIN_EMAIL: 'bench@example.com',
  ADMIN_PASSWORD: 'bench operator 1',
  RATE_LIMIT_AUTH_PER_MIN: '100000',
  RATE_LIMIT_OTHER_PER_MIN: '100000',
  RATE_LIMIT_QUERY_PER_MIN: '100000',
  BILLING_DURABILITY: process.env.BILLING_DURABILITY || 'journal',
  ...(process.env.BILLING_WRITE_BEHIND_MS ? { BILLING_WRITE_BEHIND_MS: process.env.BILLING_WRITE_BEHIND_MS } : {}),
});
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir, thread: true });
const app = await buildApp({ config, database });
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });

const call = async (method: string, url: string, headers: Record<string, string>, payload?: object) => {
  const res = await app.inject({ method: method as 'POST', url, headers, payload });
  if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};
const admin = await call('POST', '/api/v1/auth/login', {}, { username: 'bench@example.com', password: 'bench operator 1' });
const operator = { authorization: `Bearer ${admin.data.access_token}` };
const legacy = await createApiKeyService({ database, clock: systemClock }).issueLegacyToken(admin.data.user.id);
await call('POST', '/1/keys', { authorization: `Bearer ${legacy.token}` }, { name: 'mock', api_type: 'openai', key: 'sk-bench-upstream-0001', endpoint: '' });
await call('POST', '/api/v1/auth/register', {}, { username: 'buyer', email: 'buyer@example.com', password: 'bench buyer 123' });
const buyer = await call('POST', '/api/v1/auth/login', {}, { username: 'buyer', password: 'bench buyer 123' });
await call('POST', `/api/v1/admin/users/${buyer.data.user.id}/credits`, operator, { credits: FUNDED_CREDITS, reason: 'bench funding' });
const key = await call('POST', '/api/v1/keys', { authorization: `Bearer ${buyer.data.access_token}` }, { name: 'bench' });

const ledger = createLedger({ database, clock: systemClock });
const userId = buyer.data.user.id as number;

/** After the load: Σ usage costs, Σ ledger charges, wallet decrease — all three must agree. */
async function books() {
  // The journal's charges reach the database behind the responses: wait until none is pending.
  for (let i = 0; i < 200 && (await pendingCharges()) > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
  const rows = await database.executeSql(
    `SELECT (SELECT COALESCE(SUM(cost_micros), 0)::text FROM usage_records WHERE user_id = $1) AS usage,
            (SELECT COUNT(*)::text FROM usage_records WHERE user_id = $1) AS requests,
            (SELECT COALESCE(-SUM(p.amount), 0)::text FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id
               JOIN ledger_accounts a ON a.id = p.account_id WHERE t.kind = 'api_usage' AND a.code = $2) AS charged`,
    [userId, ACCOUNTS.userWallet(userId).code],
  );
  const r = rows.rows[0] as { usage: string; requests: string; charged: string };
  const wallet = await ledger.balance(ACCOUNTS.userWallet(userId));
  const check = await ledger.check();
  return {
    requests: Number(r.requests),
    usageMicros: r.usage,
    ledgerChargeMicros: r.charged,
    walletDecreaseMicros: String(BigInt(FUNDED_CREDITS) * 100_000n - wallet),
    ledgerCheckClean: check.balanceMismatches.length === 0 && check.unbalancedTransfers.length === 0,
  };
}

async function pendingCharges(): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  return Number(/^tollgate_billing_pending_charges (\d+)/m.exec(res.body)?.[1] ?? 0);
}

process.on('message', async (msg) => {
  if (msg === 'books') process.send?.({ books: await books() });
  if (msg === 'stop') {
    await app.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
process.send?.({ ready: true, key: key.data.key, database: database.kind });

// For profiling by hand (`node --cpu-prof --import tsx bench/tollgate.ts`): the key in a file, a clean exit on SIGINT.
if (process.env.BENCH_KEY_FILE) fs.writeFileSync(process.env.BENCH_KEY_FILE, String(key.data.key));
process.once('SIGINT', () => process.exit(0));
