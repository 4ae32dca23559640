import type { ModelPrice, TokenUsage } from '../providers/types.ts';

const MILLION = 1_000_000n;

/** Cost of a request in µ¥ (DESIGN.md §3): ceil((in·P_in + out·P_out) / 1e6), plus per-image prices, in BigInt. */
export function costOf(price: ModelPrice, usage: TokenUsage, images = 0): bigint {
  const scaled = BigInt(usage.promptTokens) * price.input + BigInt(usage.completionTokens) * price.output;
  return (scaled + MILLION - 1n) / MILLION + BigInt(images) * (price.perImage ?? 0n);
}

/** A fee rate such as PLATFORM_FEE_RATE=0.10 in parts per million, so shares are computed in BigInt. */
export const feeRatePpm = (rate: number) => BigInt(Math.round(rate * 1_000_000));

/** The supplier's share of a charge: cost × (1 − fee rate), rounded down; the platform keeps the remainder. */
export function supplierEarning(cost: bigint, feePpm: bigint): bigint {
  return (cost * (MILLION - feePpm)) / MILLION;
}
