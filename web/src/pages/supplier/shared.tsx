import { Tag } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useRef } from 'react';
import { idempotencyKey } from '../../api/client.ts';
import type { SupplyAccount, SupplyPackage } from '../../api/supply.ts';
import { useI18n } from '../../i18n/i18n.tsx';

// Pieces the three supplier pages share: status tags, the per-attempt Idempotency-Key, number checks that mirror the
// API's schemas, and the withdrawal fee the dialog previews.

const COLORS = {
  account: { pending: 'gold', active: 'green', suspended: 'orange', disabled: 'red' },
  review: { not_required: 'default', required: 'gold', approved: 'green', rejected: 'red' },
  verify: { pass: 'green', review_required: 'gold', reject: 'red' },
  package: { draft: 'default', active: 'green', paused: 'orange', sold_out: 'purple', expired: 'default' },
  settlement: { pending: 'gold', processing: 'blue', completed: 'green', failed: 'red' },
  earning: { pending: 'gold', available: 'green', frozen: 'blue', withdrawn: 'default' },
  earningType: { usage: 'blue', bonus: 'green', refund: 'red' },
} as const satisfies Record<string, Record<string, string>>;

export type TagKind = keyof typeof COLORS;

export function StatusTag({ kind, value }: { kind: TagKind; value: string }) {
  const { t } = useI18n();
  const color = (COLORS[kind] as Record<string, string>)[value] ?? 'default';
  return <Tag color={color}>{t(`supply.${kind}.${value}`)}</Tag>;
}

/** Which actions an account's state allows (the API's transitions; an account awaiting review cannot be activated). */
export function accountActions(a: Pick<SupplyAccount, 'status' | 'review_status'>) {
  const awaitingReview = a.review_status === 'required' || a.review_status === 'rejected';
  return {
    activate: (a.status === 'pending' || a.status === 'suspended') && !awaitingReview,
    suspend: a.status === 'active',
    remove: a.status !== 'active',
  };
}

/** An account packages can sell from: active and cleared by review. */
export const sellingAccount = (a: Pick<SupplyAccount, 'status' | 'review_status'>) =>
  a.status === 'active' && a.review_status !== 'required' && a.review_status !== 'rejected';

/** Which actions a package's state allows (publish: draft/paused; pause: active; unlist: active/paused; clone: expired). */
export function packageActions(p: Pick<SupplyPackage, 'status'>) {
  return {
    publish: p.status === 'draft' || p.status === 'paused',
    pause: p.status === 'active',
    unlist: p.status === 'active' || p.status === 'paused',
    clone: p.status === 'expired',
    /** Sold-out and expired packages are final; their prices cannot change. */
    reprice: p.status !== 'sold_out' && p.status !== 'expired',
  };
}

export { rowTestId } from '../../components/rows.ts';

/**
 * The Idempotency-Key of one submit attempt: made on the first submit, reused when the same form is sent again (a
 * retry after a lost answer replays the stored result), dropped when the form changes or the attempt succeeds.
 */
export function useAttemptKey() {
  const ref = useRef<string | undefined>(undefined);
  return useMemo(
    () => ({
      get: () => (ref.current ??= idempotencyKey()),
      reset: () => {
        ref.current = undefined;
      },
    }),
    [],
  );
}

/** How many decimals a number is written with (`1.25` → 2, `1e-7` → 7). */
export function decimalPlaces(v: number): number {
  if (!Number.isFinite(v)) return Infinity;
  const [mantissa = '', exponent = '0'] = v.toExponential().split('e');
  return Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exponent));
}

/** Unit prices: CNY per 1M tokens, 0–1 000 000, at most 4 decimals (the API's UnitPrice). */
export const validUnitPrice = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1_000_000 && decimalPlaces(v) <= 4;

/** The withdrawal fee the API charges — 1 % rounded half-up to the fen — and what is paid out. In CNY. */
export function withdrawFee(amount: number): { fee: number; net: number } {
  const fen = Math.round(amount * 100);
  const feeFen = Math.floor((fen + 50) / 100);
  return { fee: feeFen / 100, net: (fen - feeFen) / 100 };
}

/** The limits the withdrawal rules state (README "Withdrawals"), shown to the user and checked in the form. */
export const WITHDRAW_LIMITS = { maxEach: 50_000, maxPerDay: 200_000, cooldownMinutes: 15, lockAfter: 5, lockMinutes: 15, feePercent: 1 } as const;

/** Today as the API counts days (UTC+8), whatever the browser's time zone: date ranges are whole UTC+8 days. */
export const apiToday = () => dayjs(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10));

/** A table's page and page size, with AntD's pagination props. */
export function pageProps(page: { page: number; page_size: number }, total: number | undefined, onChange: (page: number, size: number) => void) {
  return { current: page.page, pageSize: page.page_size, total: total ?? 0, showSizeChanger: true, onChange, hideOnSinglePage: false };
}
