import { useMemo } from 'react';
import { useI18n, type Locale } from '../i18n/i18n.tsx';

// Display helpers. Amounts arrive from the API already in CNY (numbers with up to 6 decimals: a metered cost, a debt)
// and credits as numbers with up to 5 decimals; the console shows CNY with 2 decimals (4 for unit prices) and whole
// credits, as DESIGN.md §3 (Money) renders them at the edge.

export const yuan = (amount: number | undefined | null, decimals = 2) => (amount === undefined || amount === null ? '—' : `¥${amount.toFixed(decimals)}`);

/**
 * A charge or a debt in CNY with 2 decimals. A short request costs fractions of a fen: rounded it would read ¥0.00,
 * as if it had been free, so anything above zero and below a fen reads "<¥0.01".
 */
export function money(amount: number | undefined | null): string {
  if (amount === undefined || amount === null) return '—';
  if (amount > 0 && amount < 0.005) return '<¥0.01';
  return yuan(amount);
}

/**
 * A balance in CNY with 2 decimals, cut (not rounded) to the fen: a balance says what can be spent, and rounding up
 * would promise a fen the wallet does not hold. Done on the text, since ×100 in floats turns 0.29 into 28.999….
 */
export function balanceYuan(amount: number | undefined | null): string {
  if (amount === undefined || amount === null) return '—';
  const [whole, fraction = ''] = amount.toFixed(6).split('.');
  return `¥${whole}.${fraction.slice(0, 2)}`;
}

/** Whole credits, as the studio spec shows them; the fractions a metered charge leaves are cut, like a balance's fen. */
export const wholeCredits = (n: number | undefined | null) => (n === undefined || n === null ? '—' : Math.floor(n).toLocaleString('en-US'));

export const tokens = (n: number | undefined | null) => (n === undefined || n === null ? '—' : n.toLocaleString());

export const percent = (ratio: number | undefined | null) => (ratio === undefined || ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`);

// The same fields in both languages, only the month differs: zh-CN reads 2026/11/26 17:05:09, en reads
// Nov 26, 2026, 17:05:09 (a numeric month would be read as day/month by half of the English-speaking world).
const FIELDS: Intl.DateTimeFormatOptions = { year: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const formats = (o: Intl.DateTimeFormatOptions): Record<Locale, Intl.DateTimeFormat> => ({
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { ...FIELDS, month: '2-digit', day: '2-digit', ...o }),
  en: new Intl.DateTimeFormat('en', { ...FIELDS, month: 'short', ...o }),
});
const TO_THE_SECOND = formats({ second: '2-digit' });
/** For tables with little room where the second says nothing (when a key was made or last used). */
const TO_THE_MINUTE = formats({});

/** A server time: the studio's `YYYY-MM-DDTHH:mm:ss` carries no offset and means Beijing time (UTC+8). */
function parse(iso: string): Date {
  return new Date(iso.length === 19 ? `${iso}+08:00` : iso);
}

/** A server time in the console's language, in the browser's time zone; `'minute'` leaves out the seconds. */
export function dateTime(iso: string | undefined | null, locale: Locale, precision: 'second' | 'minute' = 'second'): string {
  if (!iso) return '—';
  const at = parse(iso);
  return Number.isNaN(at.getTime()) ? iso : (precision === 'second' ? TO_THE_SECOND : TO_THE_MINUTE)[locale].format(at);
}

/** The formatters that follow the console's language, for `render` props and messages. */
export function useFormat() {
  const { locale } = useI18n();
  return useMemo(
    () => ({
      dateTime: (iso: string | undefined | null) => dateTime(iso, locale),
      dateTimeToMinute: (iso: string | undefined | null) => dateTime(iso, locale, 'minute'),
    }),
    [locale],
  );
}
