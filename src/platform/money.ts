// Money is integer micro-yuan (µ¥ = 1e-6 CNY) in bigint from parser to column; text only at the edge.

export const MICROS_PER_YUAN = 1_000_000n;

/**
 * Parses a CNY amount given as a JSON number or a decimal string into µ¥, exactly.
 * Returns undefined for anything that is not a plain decimal with at most `maxDecimals` places.
 */
export function parseCny(value: string | number, maxDecimals = 2): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = /^(-?)(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, frac = ''] = match;
  if (frac.length > maxDecimals) return undefined;
  // µ¥ is the smallest unit: digits below it would be silently dropped, so they must be zeros.
  if (/[1-9]/.test(frac.slice(6))) return undefined;
  const micros = BigInt(whole as string) * MICROS_PER_YUAN + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  return sign === '-' ? -micros : micros;
}

/** µ¥ → decimal CNY text with `decimals` places (2 for amounts, 4 for unit prices, 6 for the legacy API). */
export function formatCny(micros: bigint, decimals = 2): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const scale = 10n ** BigInt(6 - decimals);
  // Half-up at the last shown place; exact when decimals = 6.
  const rounded = (abs + scale / 2n) / scale;
  const unit = 10n ** BigInt(decimals);
  const whole = rounded / unit;
  const frac = decimals > 0 ? `.${(rounded % unit).toString().padStart(decimals, '0')}` : '';
  return `${negative && rounded !== 0n ? '-' : ''}${whole}${frac}`;
}

/** For response fields the studio spec shows as JSON numbers (e.g. `"amount": 10.00`). */
export const cnyNumber = (micros: bigint, decimals = 2) => Number(formatCny(micros, decimals));
