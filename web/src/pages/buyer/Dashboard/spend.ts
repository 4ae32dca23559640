import type { UsageDaily } from '../../../api/buyer.ts';

// Spend arithmetic over /usage/daily: the server lists only days with records, in UTC+8 `YYYY-MM-DD`.

const DAY_MS = 24 * 3600 * 1000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Every day of the period, zeros where the server had no records. */
export function dailySeries(daily: UsageDaily) {
  const byDay = new Map(daily.days.map((d) => [d.date, d]));
  const out: { date: string; cost: number; requests: number }[] = [];
  for (let ms = dayMs(daily.start_date); ms <= dayMs(daily.end_date); ms += DAY_MS) {
    const d = byDay.get(dayText(ms));
    out.push({ date: dayText(ms), cost: d?.cost ?? 0, requests: d?.requests ?? 0 });
  }
  return out;
}

/** Spend over the last `days` days of the period, its end date (today) included. */
export function spendSince(daily: UsageDaily, days: number) {
  const from = dayText(dayMs(daily.end_date) - (days - 1) * DAY_MS);
  const sum = daily.days.filter((d) => d.date >= from && d.date <= daily.end_date).reduce((s, d) => s + d.cost, 0);
  // Costs carry up to 6 decimals; summing floats must not print 0.30000000000000004.
  return Number(sum.toFixed(6));
}
