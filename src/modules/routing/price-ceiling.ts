import type { ModelPrice } from '../providers/types.ts';

// Two bounds keep one supplier's price from reaching other buyers (README "Prices a buyer can trust"):
// - the price a buyer is shown for a model (the price list, GET /v1/models) bounds every request on it: a candidate
//   dearer in any part is not tried, so neither the hold nor the charge can exceed it;
// - a model's ceiling (an operator's setting, else the shown price × 1.5) bounds what a package may ask at all.

/** Whether `price` is at most `bound` in every part: input, output and per image. */
export function withinPrice(price: ModelPrice, bound: ModelPrice): boolean {
  return price.input <= bound.input && price.output <= bound.output && (price.perImage ?? 0n) <= (bound.perImage ?? 0n);
}

/** The part of `price` above `bound`, if any, named as the package fields name it. */
export function partAbove(price: Pick<ModelPrice, 'input' | 'output'>, bound: ModelPrice): 'price_per_1m_input' | 'price_per_1m_output' | undefined {
  if (price.input > bound.input) return 'price_per_1m_input';
  if (price.output > bound.output) return 'price_per_1m_output';
  return undefined;
}

/** Unit prices are set and shown with 4 decimals: 100 µ¥ steps. */
const UNIT_STEP = 100n;

/** × 1.5, down to the 4-decimal step (so the ceiling shown is one a package may ask), never below the price itself. */
function halfAgainAbove(micros: bigint): bigint {
  const stepped = ((micros * 3n) / 2n / UNIT_STEP) * UNIT_STEP;
  return stepped > micros ? stepped : micros;
}

/** The ceiling when an operator set none: the model's price × 1.5. */
export function defaultCeiling(price: ModelPrice): ModelPrice {
  return {
    input: halfAgainAbove(price.input),
    output: halfAgainAbove(price.output),
    ...(price.perImage !== undefined ? { perImage: halfAgainAbove(price.perImage) } : {}),
  };
}
