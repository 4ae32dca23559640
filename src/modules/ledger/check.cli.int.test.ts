import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { seedPgliteDataDir } from '../../../test/helpers/database.ts';
import { openDatabase } from '../../platform/db.ts';
import { systemClock } from '../../platform/time.ts';
import { encodeRecord } from '../metering/journal-records.ts';
import type { ChargeItem } from '../metering/charges.ts';
import { ACCOUNTS } from './accounts.ts';
import { createLedger } from './ledger.service.ts';

// `npm run ledger:check` end to end, on a PGlite DATA_DIR as an operator runs it with the service stopped.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-ledger-check-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm run ledger:check', () => {
  it('reports the books sound, every open receivable with its user and amount, and the charges the journal still owes the database', async () => {
    const dataDir = seedPgliteDataDir(path.join(dir, 'data'));
    const database = await openDatabase({ dataDir });
    try {
      const ledger = createLedger({ database, clock: systemClock });
      for (const [userId, owed] of [[41, 1_500_000n], [42, 30n]] as const) {
        await ledger.transfer({
          idempotencyKey: `overshoot:${userId}`, kind: 'api_usage',
          postings: [{ account: ACCOUNTS.userReceivable(userId), amount: -owed }, { account: ACCOUNTS.platformRevenue, amount: owed }],
        });
      }
    } finally {
      await database.close();
    }
    // The service was killed with one charge journaled but not yet written behind, and a torn record after it.
    const charge: ChargeItem = {
      payer: { userId: 41, billingMode: 'prepaid', creditLimitMicros: null },
      charge: { requestId: 'req-journaled', cost: 2_500n, description: 'm: 1 in + 1 out tokens', usage: { requestId: 'req-journaled', userId: 41, model: 'm', status: 'success', platform: 'api' } },
    };
    fs.mkdirSync(path.join(dataDir, 'journal'));
    const record = encodeRecord({ kind: 'charge', item: charge });
    fs.writeFileSync(path.join(dataDir, 'journal', 'charges-000000000001.log'), Buffer.concat([record, record.subarray(0, 5)]));
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'test' };
    delete env.DATABASE_URL;
    const run = spawnSync(process.execPath, ['bin/run.mjs', 'ledger-check'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ sound: true, balanceMismatches: [], unbalancedTransfers: [] });
    expect(report.openReceivables).toEqual([
      { user_id: 41, account: 'user:41:receivable', owed_cny: '1.500000' },
      { user_id: 42, account: 'user:42:receivable', owed_cny: '0.000030' },
    ]);
    expect(report.unappliedJournal).toEqual({ segments: 1, charges: 1, cost_cny: '0.002500', torn_segments: 1 });
  }, 180_000);
});
