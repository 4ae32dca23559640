import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../platform/db.ts';

// Migration 0015: a paid referral is `completed` (the studio spec's word), no longer `rewarded` as 0014 stored it. A
// database that 0014 left with rows goes through 0015 as an upgrade would take it: every `rewarded` row becomes
// `completed`, the others keep theirs, and from then on the database refuses `rewarded`.

const TAG = '0015_referral_status_completed';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-referral-status-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A migrations folder holding only the migrations before `tag`, as a Tollgate of that time shipped them. */
function migrationsBefore(tag: string): string {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === tag);
  expect(last, `${tag} is in the journal`).toBeGreaterThan(0);
  const entries = journal.entries.slice(0, last);
  const dir = path.join(root, 'migrations');
  fs.mkdirSync(path.join(dir, 'meta'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  for (const e of entries) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

describe(`migration ${TAG}`, () => {
  it('turns the referrals 0014 stored as rewarded into completed, keeps the other statuses, then refuses rewarded', async () => {
    const client = new PGlite();
    try {
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: migrationsBefore(TAG) });
      await client.exec(`
        INSERT INTO users (id, username, referral_code) VALUES (1, 'alice', 'A1'), (2, 'fox', 'F2'), (3, 'owl', 'O3'), (4, 'elk', 'E4'), (5, 'cat', 'C5'), (6, 'emu', 'E6');
        INSERT INTO referrals (referrer_id, referred_id, status, reward, order_no, rewarded_at) VALUES
          (1, 2, 'rewarded', 5000000, 'R1', '2026-03-01 04:30:00+00'),
          (1, 3, 'pending', 0, NULL, NULL),
          (1, 4, 'clawed_back', 5000000, 'R2', '2026-03-01 04:40:00+00'),
          (1, 5, 'not_rewarded', 0, 'R3', NULL);`);

      await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      const { rows } = await client.query<{ referred_id: string; status: string; reward: string; order_no: string | null }>(
        'SELECT referred_id::text, status, reward::text, order_no FROM referrals ORDER BY referred_id',
      );
      expect(rows).toEqual([
        { referred_id: '2', status: 'completed', reward: '5000000', order_no: 'R1' },
        { referred_id: '3', status: 'pending', reward: '0', order_no: null },
        { referred_id: '4', status: 'clawed_back', reward: '5000000', order_no: 'R2' },
        { referred_id: '5', status: 'not_rewarded', reward: '0', order_no: 'R3' },
      ]);

      await expect(client.query(`UPDATE referrals SET status = 'rewarded' WHERE referred_id = 2`)).rejects.toThrow(/referrals_status_ck/);
      await expect(client.query(`INSERT INTO referrals (referrer_id, referred_id, status) VALUES (1, 6, 'rewarded')`)).rejects.toThrow(/referrals_status_ck/);
    } finally {
      await client.close();
    }
  }, 60_000);
});
