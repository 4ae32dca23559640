import { describe, expect, it } from 'vitest';
import { ACCOUNT_TYPES, PAYMENT_METHODS, SUPPLY_PROVIDERS } from '../../api/supply.ts';
import { supplier } from '../../i18n/messages/supplier.ts';

// Every message of the supplier pages exists in both languages, and every key the pages name literally is defined.

const sources = import.meta.glob(['./**/*.tsx', '!./**/*.test.tsx'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

describe('supplier messages', () => {
  it('has the same keys in zh-CN and en', () => {
    expect(Object.keys(supplier.en).sort()).toEqual(Object.keys(supplier['zh-CN']).sort());
  });

  it('defines every key the pages use', () => {
    const used = new Set<string>();
    for (const text of Object.values(sources)) for (const m of text.matchAll(/'(supply\.[\w.]+)'/g)) used.add(m[1] as string);
    expect(used.size).toBeGreaterThan(100);
    // Keys the pages build from API values.
    const families: Record<string, readonly string[]> = {
      provider: SUPPLY_PROVIDERS, accountType: ACCOUNT_TYPES, method: PAYMENT_METHODS, platform: ['api', 'studio'],
      account: ['pending', 'active', 'suspended', 'disabled'], review: ['not_required', 'required', 'approved', 'rejected'],
      verify: ['pass', 'review_required', 'reject'], package: ['draft', 'active', 'paused', 'sold_out', 'expired'],
      settlement: ['pending', 'processing', 'completed', 'failed', 'cancelled'], earning: ['pending', 'available', 'frozen', 'withdrawn'],
      earningType: ['usage', 'bonus', 'refund'], check: ['reachability', 'authentication', 'model_access', 'quota', 'duplicate'],
      'check.result': ['pass', 'warn', 'fail'], packages: ['publish', 'pause', 'unlist', 'clone', 'valid_days', 'max_concurrent', 'rate_limit_rpm'],
      billing: ['revenue', 'net', 'fee', 'orders', 'requests', 'usage', 'successRate'], earnings: ['available', 'pending', 'frozen', 'withdrawn'],
    };
    for (const [family, values] of Object.entries(families)) for (const v of values) used.add(`supply.${family}.${v}`);
    const missing = [...used].filter((k) => !(k in supplier.en) || !(k in supplier['zh-CN']));
    expect(missing).toEqual([]);
  });
});
