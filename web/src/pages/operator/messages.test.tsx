import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_STATUSES, COUPON_FILTERS, COUPON_TYPES, ORDER_KINDS, ORDER_STATUSES, PAYOUT_PROVIDERS, PROVIDERS, REVIEW_STATUSES, ROLES, SETTLEMENT_STATUSES,
} from '../../api/operator.ts';
import { common } from '../../i18n/messages/common.ts';
import { operator } from '../../i18n/messages/operator.ts';

// Every text of the operator pages exists in both languages: the static keys the pages name and the ones they build
// from the API's enums.

const sources = import.meta.glob('./**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const known = (lang: 'zh-CN' | 'en') => ({ ...common[lang], ...operator[lang] });

describe('operator messages', () => {
  it('have the same keys in zh-CN and en', () => {
    expect(Object.keys(operator.en).sort()).toEqual(Object.keys(operator['zh-CN']).sort());
  });

  it('cover every key the pages name', () => {
    const used = new Set<string>();
    for (const [file, text] of Object.entries(sources)) {
      if (file.endsWith('.test.tsx')) continue;
      for (const m of text.matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThan(100);
    for (const lang of ['zh-CN', 'en'] as const) expect([...used].filter((k) => !(k in known(lang)))).toEqual([]);
  });

  it('cover every key the pages build from the API’s values', () => {
    const built = [
      ...[...ROLES, ...ORDER_STATUSES, ...ACCOUNT_STATUSES, ...REVIEW_STATUSES, ...SETTLEMENT_STATUSES, ...COUPON_FILTERS].map((s) => `op.status.${s}`),
      ...['active', 'disabled', 'deleted', 'pass', 'review_required', 'reject', 'ok', 'ready', 'unavailable'].map((s) => `op.status.${s}`),
      ...['closed', 'open', 'half_open'].map((s) => `op.circuit.${s}`),
      ...PROVIDERS.map((p) => `op.provider.${p}`),
      ...ORDER_KINDS.map((k) => `op.orders.kind.${k}`),
      ...['monthly', 'quarterly', 'yearly'].map((p) => `op.orders.plan.${p}`),
      ...['alipay', 'wechat', 'balance'].map((m) => `op.orders.method.${m}`),
      ...['prepaid', 'postpaid'].map((m) => `op.users.billing.${m}`),
      ...['default', 'operator'].map((s) => `op.prices.source.${s}`),
      ...['approve', 'reject', 'disable', 'enable'].flatMap((d) => [`op.review.${d}`, `op.review.${d}Title`, `op.review.${d}Hint`]),
      ...['pass', 'warn', 'fail'].map((c) => `op.review.check.${c}`),
      ...['api_key', 'oauth'].map((c) => `op.review.type.${c}`),
      ...['bank', 'alipay', 'wechat'].map((m) => `op.withdrawals.method.${m}`),
      ...PAYOUT_PROVIDERS.flatMap((p) => [`op.withdrawals.provider.${p}`, `op.withdrawals.provider.${p}Hint`]),
      ...['complete', 'fail'].map((a) => `op.withdrawals.done.${a}`),
      ...COUPON_TYPES.flatMap((x) => [`op.coupons.type.${x}`, `op.coupons.value.${x}`, `op.coupons.valueRange.${x}`, `op.coupons.show.${x}`]),
      ...['pglite', 'postgres'].map((d) => `op.health.db.${d}`),
    ];
    for (const lang of ['zh-CN', 'en'] as const) expect(built.filter((k) => !(k in known(lang)))).toEqual([]);
  });
});
