import { formatCny } from '../../platform/money.ts';
import type { CatalogModel } from '../routing/model-catalog.service.ts';
import { partAbove } from '../routing/price-ceiling.ts';

// What a package may ask for its model (README "Prices a buyer can trust"): at most the platform's ceiling for the
// model, and only for a model on the price list — a buyer must have been shown a price that bounds what it pays.
// Checked when a package is drafted, published or re-priced; each operation answers in a status its contract declares.

export interface PriceRefusal {
  /** The request field at fault. */
  field: 'model' | 'price_per_1m_input' | 'price_per_1m_output';
  message: string;
  /** The ceiling, CNY per 1M tokens, when there is one. */
  ceiling?: { price_per_1m_input: string; price_per_1m_output: string };
}

/** Why a package may not sell `model` at these prices (µ¥ per 1M tokens), or undefined when it may. */
export function priceRefusal(catalog: Map<string, CatalogModel>, model: string, price: { input: bigint; output: bigint }): PriceRefusal | undefined {
  const known = catalog.get(model);
  if (!known) {
    return { field: 'model', message: `${model} is not on the platform's price list: packages for it can be sold once an operator prices it` };
  }
  const part = partAbove(price, known.ceiling);
  if (!part) return undefined;
  const ceiling = { price_per_1m_input: formatCny(known.ceiling.input, 4), price_per_1m_output: formatCny(known.ceiling.output, 4) };
  const asked = formatCny(part === 'price_per_1m_input' ? price.input : price.output, 4);
  return {
    field: part,
    message: `${part} ¥${asked} is above the platform's ceiling for ${model} (¥${ceiling[part]} per 1M ${part === 'price_per_1m_input' ? 'input' : 'output'} tokens)`,
    ceiling,
  };
}
