import type { Maybe } from '../../platform/maybe.ts';
import { costOf } from '../metering/cost.ts';
import { imageTokens, promptImages } from '../metering/image-tokens.ts';
import { countTokens, estimatePromptTokens, promptText } from '../metering/tokens.ts';
import { positiveInt } from '../providers/json.ts';
import { requestedOutputLimit } from '../providers/output-limit.ts';
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

/**
 * OpenAI's completions endpoint defaults `max_tokens` to 16: a client that names none expects that much, and
 * gpt-3.5-turbo-instruct's 4K context (prompt and answer together) would refuse a bigger limit.
 */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/**
 * The output limit the gateway sends when a request names none, which is what its hold assumes: the configured
 * default, lower where the model allows less (an upstream refuses a limit above its model's maximum).
 */
export function defaultOutputLimit(op: Operation, configured: number, modelMaxOutput?: number): number {
  const limits = [configured, modelMaxOutput ?? Infinity, op === 'completions' ? COMPLETIONS_DEFAULT_MAX_TOKENS : Infinity];
  return Math.min(...limits);
}

/** The limit the client set. Legacy completions know only `max_tokens`: another name there limits nothing. */
function clientLimit(op: Operation, body: Record<string, unknown>): number | undefined {
  return op === 'completions' ? positiveInt(body.max_tokens) : requestedOutputLimit(body);
}

/**
 * The limit to add to the body sent upstream, or undefined when the client set its own (kept as it is) or the
 * operation has no output limit. Adapters carry it in the field their upstream reads (providers/output-limit.ts).
 */
export function injectedOutputLimit(op: Operation, body: Record<string, unknown>, defaultLimit: number): number | undefined {
  if (op !== 'chat' && op !== 'completions') return undefined;
  return clientLimit(op, body) === undefined ? defaultLimit : undefined;
}

/**
 * How many answers the upstream generates and bills: `n`, and for completions `best_of` too (it generates best_of
 * completions, bills them all and returns the best n).
 */
export function outputCount(op: Operation, body: Record<string, unknown>): number {
  if (op !== 'chat' && op !== 'completions' && op !== 'images') return 1;
  const n = positiveInt(body.n) ?? 1;
  return op === 'completions' ? Math.max(n, positiveInt(body.best_of) ?? 1) : n;
}

/**
 * The prompt tokens a request may be billed at most: its text by the byte estimate, its images by the rules of the
 * dearest provider among the upstreams it may go to.
 */
export function promptEstimate(body: Record<string, unknown>, bodyBytes: number, upstreams: Pick<Candidate, 'provider' | 'upstreamModel'>[]): number {
  const images = promptImages(body);
  const text = estimatePromptTokens(bodyBytes, images.reduce((sum, i) => sum + i.chars, 0));
  if (images.length === 0) return text;
  const perUpstream = upstreams.map((u) => images.reduce((sum, image) => sum + imageTokens(u.provider, u.upstreamModel, image), 0));
  return text + Math.max(0, ...perUpstream);
}

/** What a request may use at most: its prompt estimate and every output it allows. */
export interface WorstCase {
  promptTokens: number;
  /** `count` outputs of `limit` tokens each (for images: the tokens of token-priced image models). */
  completionTokens: number;
  /** Images generated (image generation only). */
  images: number;
}

/** `limit`: the request's own output limit, else the default the gateway sends upstream for it. */
export function worstCase(op: Operation, body: Record<string, unknown>, promptTokens: number, defaultLimit: number): WorstCase {
  if (op === 'embeddings') return { promptTokens, completionTokens: 0, images: 0 };
  const count = outputCount(op, body);
  const limit = op === 'images' ? defaultLimit : (clientLimit(op, body) ?? defaultLimit);
  return { promptTokens, completionTokens: count * limit, images: op === 'images' ? count : 0 };
}

/** The request's maximum cost at `price`: the hold. Images priced per image cost that instead of output tokens. */
export function holdAmount(worst: WorstCase, price: ModelPrice): bigint {
  const completionTokens = worst.images > 0 && price.perImage ? 0 : worst.completionTokens;
  return costOf(price, { promptTokens: worst.promptTokens, completionTokens }, worst.images);
}

/** The most tokens a request may use: what a package's quota must hold for it. */
export const tokenBudget = (worst: WorstCase): number => worst.promptTokens + worst.completionTokens;

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

/**
 * Usage as reported (at hand), or counted with the tokenizer when the upstream reported none (only then is the text
 * gathered).
 */
export function settledUsage(
  reported: TokenUsage | undefined,
  clientBody: Record<string, unknown>,
  generated: () => string,
): Maybe<{ usage: TokenUsage; estimated: boolean }> {
  if (reported) return { usage: reported, estimated: false };
  return Promise.all([countTokens(promptText(clientBody)), countTokens(generated())]).then(([promptTokens, completionTokens]) => ({
    usage: { promptTokens, completionTokens },
    estimated: true,
  }));
}
