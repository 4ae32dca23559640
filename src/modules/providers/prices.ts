import type { ModelInfo, Operation } from './types.ts';

/** A model priced in ¥ per 1K tokens, as Chinese providers list them, stored as µ¥ per 1M tokens. */
export function cnyModel(id: string, inputPer1k: number, outputPer1k: number, operations?: Operation[]): ModelInfo {
  const per1M = (yuanPer1k: number) => BigInt(Math.round(yuanPer1k * 1000 * 1e6));
  return { id, price: { input: per1M(inputPer1k), output: per1M(outputPer1k) }, ...(operations ? { operations } : {}) };
}

/** USD list prices convert at this rate until an operator sets CNY prices. */
export const USD_CNY = 7.2;

/** A model priced in US$ per 1M tokens, as OpenAI, Anthropic and Google list them. */
export function usdModel(id: string, inputPer1M: number, outputPer1M: number, operations?: Operation[]): ModelInfo {
  const micros = (usd: number) => BigInt(Math.round(usd * USD_CNY * 1e6));
  return { id, price: { input: micros(inputPer1M), output: micros(outputPer1M) }, ...(operations ? { operations } : {}) };
}

/** `model` with the most output tokens its upstream allows per answer. */
export const capped = (model: ModelInfo, maxOutputTokens: number): ModelInfo => ({ ...model, maxOutputTokens });

/** A model priced per generated unit in ¥ (an image; a second of video), with no token price. */
export function perImageModel(id: string, yuanPerUnit: number): ModelInfo {
  return { id, price: { input: 0n, output: 0n, perImage: BigInt(Math.round(yuanPerUnit * 1e6)) }, operations: ['images'] };
}
