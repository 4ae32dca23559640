import { costOf } from '../metering/cost.ts';
import { countTokens, estimatePromptTokens, promptText } from '../metering/tokens.ts';
import type { ModelPrice, Operation, TokenUsage } from '../providers/types.ts';
import type { Candidate } from '../routing/candidates.ts';

// What a request may cost before it runs (the hold) and what it did cost after (the charge).

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** The dearest price among the candidates a request may fail over to: the hold must cover whichever serves it. */
export function worstPrice(candidates: Candidate[]): ModelPrice {
  return candidates.reduce<ModelPrice>(
    (acc, c) => ({ input: max(acc.input, c.price.input), output: max(acc.output, c.price.output), perImage: max(acc.perImage ?? 0n, c.price.perImage ?? 0n) }),
    { input: 0n, output: 0n, perImage: 0n },
  );
}

const positiveInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The most a request may use: a generous prompt estimate plus the output it allows (`max_tokens`, else the default);
 * `n` images for image generation, priced per image when `perImage` (else as output tokens).
 */
export function worstUsage(op: Operation, body: Record<string, unknown>, bodyBytes: number, defaultMaxTokens: number, perImage = false): { usage: TokenUsage; images: number } {
  const promptTokens = estimatePromptTokens(bodyBytes);
  if (op === 'embeddings') return { usage: { promptTokens, completionTokens: 0 }, images: 0 };
  if (op === 'images') {
    const n = positiveInt(body.n) ?? 1;
    return { usage: { promptTokens, completionTokens: perImage ? 0 : defaultMaxTokens * n }, images: n };
  }
  const output = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? defaultMaxTokens;
  return { usage: { promptTokens, completionTokens: output }, images: 0 };
}

/** The request's maximum cost at `price`: the hold. */
export function holdAmount(op: Operation, body: Record<string, unknown>, bodyBytes: number, price: ModelPrice, defaultMaxTokens: number): bigint {
  const worst = worstUsage(op, body, bodyBytes, defaultMaxTokens, Boolean(price.perImage));
  return costOf(price, worst.usage, worst.images);
}

/** The most tokens a request may use: what a package's quota must hold for it. */
export function tokenBudget(op: Operation, body: Record<string, unknown>, bodyBytes: number, defaultMaxTokens: number): number {
  const { usage } = worstUsage(op, body, bodyBytes, defaultMaxTokens);
  return usage.promptTokens + usage.completionTokens;
}

/** Generated text of a finished response, for the tokenizer fallback. */
export function responseText(body: unknown): string {
  const b = body as { choices?: { message?: { content?: unknown; tool_calls?: { function?: { arguments?: string } }[] }; text?: string }[]; content?: { text?: string; input?: unknown }[] };
  const parts: string[] = [];
  for (const choice of b?.choices ?? []) {
    const content = choice.message?.content;
    if (typeof content === 'string') parts.push(content);
    for (const call of choice.message?.tool_calls ?? []) parts.push(call.function?.arguments ?? '');
    if (typeof choice.text === 'string') parts.push(choice.text);
  }
  for (const block of b?.content ?? []) {
    if (typeof block.text === 'string') parts.push(block.text);
    else if (block.input !== undefined) parts.push(JSON.stringify(block.input));
  }
  return parts.join('');
}

/** Usage as reported, or counted with the tokenizer when the upstream reported none (only then is the text gathered). */
export async function settledUsage(
  reported: TokenUsage | undefined,
  clientBody: Record<string, unknown>,
  generated: () => string,
): Promise<{ usage: TokenUsage; estimated: boolean }> {
  if (reported) return { usage: reported, estimated: false };
  const [promptTokens, completionTokens] = await Promise.all([countTokens(promptText(clientBody)), countTokens(generated())]);
  return { usage: { promptTokens, completionTokens }, estimated: true };
}
