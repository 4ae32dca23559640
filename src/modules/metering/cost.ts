import type { ModelPrice, TokenUsage } from '../providers/types.ts';

const MILLION = 1_000_000n;

/** Cost of a request in µ¥ (DESIGN.md §3): ceil((in·P_in + out·P_out) / 1e6), plus per-image prices, in BigInt. */
export function costOf(price: ModelPrice, usage: TokenUsage, images = 0): bigint {
  const scaled = BigInt(usage.promptTokens) * price.input + BigInt(usage.completionTokens) * price.output;
  return (scaled + MILLION - 1n) / MILLION + BigInt(images) * (price.perImage ?? 0n);
}
