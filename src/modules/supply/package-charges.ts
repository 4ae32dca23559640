import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { jsonParam } from '../../platform/sql-batch.ts';
import { addMs, beijingDay, beijingDayStart } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { ChargeEffect } from '../metering/billing.ts';
import { supplyEarnings, supplyPackages } from './supply.tables.ts';

// What a batch of gateway charges does to the supply side, committed in the same statement as the charges
// (metering/billing.ts): each package used loses the tokens sold — at zero it flips to `sold_out`, exactly once, since
// only the statement that takes the last tokens sees it `active` (or `paused`) with no more than it sells, and that
// statement writes the audit event — and each supplier's earnings for the day accrue on the day's pending record of
// the package (rolled up per package per UTC+8 day; it matures EARNINGS_HOLD_HOURS after the day ends).

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

interface Use {
  package_id: number;
  supplier: number;
  tokens: number;
  earning: bigint;
  requests: number;
}

export function packageChargeEffect(deps: { audit: AuditLog; holdHours: number }): ChargeEffect {
  return (items, now) => {
    const uses = new Map<number, Use>();
    for (const { charge } of items) {
      const u = charge.packageUse;
      if (!u) continue;
      const acc = uses.get(u.packageId) ?? { package_id: u.packageId, supplier: u.supplierUserId, tokens: 0, earning: 0n, requests: 0 };
      acc.tokens += u.tokens;
      acc.earning += u.earning;
      acc.requests += 1;
      uses.set(u.packageId, acc);
    }
    if (uses.size === 0) return [];
    const flushId = randomUUID();
    const day = beijingDay(now);
    const maturesAt = addMs(beijingDayStart(day) as Date, DAY_MS + deps.holdHours * HOUR_MS);
    const earned = [...uses.values()].filter((u) => u.earning > 0n);
    const sellsOut = sql`p.status IN ('active', 'paused') AND p.available_quota <= u.tokens`;

    const statements = [
      {
        name: 'supply_quota',
        statement: sql`
          UPDATE ${supplyPackages} AS p SET
            available_quota = GREATEST(p.available_quota - u.tokens, 0),
            status = CASE WHEN ${sellsOut} THEN 'sold_out' ELSE p.status END,
            sold_out_by = CASE WHEN ${sellsOut} THEN ${flushId} ELSE p.sold_out_by END,
            updated_at = ${now}
          FROM jsonb_to_recordset(${jsonParam([...uses.values()])}::jsonb) AS u(package_id bigint, tokens bigint)
          WHERE p.id = u.package_id
          RETURNING p.id, p.supplier_user_id, p.status, p.sold_out_by`,
      },
      {
        name: 'supply_sold_out',
        statement: deps.audit.insertSelect(sql`
          SELECT NULL::bigint, q.supplier_user_id, 'sold_out', 'supply_package', q.id::text,
                 NULL::jsonb, jsonb_build_object('status', 'sold_out', 'available_quota', 0), 'quota used up', NULL::text, ${now}::timestamptz
          FROM supply_quota AS q WHERE q.sold_out_by = ${flushId}`),
      },
    ];
    if (earned.length > 0) {
      statements.push({
        name: 'supply_earn',
        statement: sql`
          INSERT INTO ${supplyEarnings} AS e (supplier_user_id, package_id, earnings_type, amount_micros, status, earn_day, requests, tokens, description, matures_at, earned_at, created_at, updated_at)
          SELECT u.supplier, u.package_id, 'usage', u.earning, 'pending', ${day}::date, u.requests, u.tokens, 'API usage', ${maturesAt}::timestamptz, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
          FROM jsonb_to_recordset(${jsonParam(earned)}::jsonb) AS u(package_id bigint, supplier bigint, tokens bigint, earning bigint, requests int)
          ON CONFLICT (package_id, earn_day) WHERE earnings_type = 'usage' AND status = 'pending'
          DO UPDATE SET amount_micros = e.amount_micros + excluded.amount_micros, requests = e.requests + excluded.requests,
                        tokens = e.tokens + excluded.tokens, earned_at = excluded.earned_at, updated_at = excluded.updated_at
          RETURNING e.id`,
      });
    }
    return statements;
  };
}
