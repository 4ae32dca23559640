import type { UpstreamKind } from '../metering/usage.tables.ts';
import type { ProviderName } from '../providers/catalog.ts';
import type { ModelPrice, Operation, ProviderAdapter } from '../providers/types.ts';
import type { Maybe } from '../../platform/maybe.ts';

/** One upstream the router may send a request to. */
export interface Candidate {
  /** Stable key for health and limits: `channel:12`, `model:3`, `package:7`. */
  key: string;
  kind: UpstreamKind;
  id: number;
  provider: ProviderName;
  adapter: ProviderAdapter;
  baseUrl: string;
  /** Decrypts the upstream credential (cached by the source; never logged, never returned). */
  credential(): string;
  /** The model name the upstream knows. */
  upstreamModel: string;
  /** What the buyer pays, µ¥ per 1M tokens. */
  price: ModelPrice;
  weight: number;
  /** Among candidates of one price, higher priorities are tried first; weight orders those of one priority (absent: 0). */
  priority?: number;
  rpmLimit?: number;
  maxConcurrent?: number;
  /** Set for supplier packages: who earns. */
  supplierUserId?: number;
  /** The circuit this candidate counts against when it is not `key` (a supplier's packages share their account's). */
  healthKey?: string;
  /** Set for supplier packages: the tokens left to sell, reserved per request before it is sent. */
  quota?: QuotaGate;
}

/** Tokens a candidate may still serve. A request reserves its worst case; the charge settles what it used. */
export interface QuotaGate {
  /**
   * A hold on `tokens`, or undefined when nothing is left (a hold may take less than asked: the last request may
   * overshoot). In memory it answers at once; shared through Redis it is a round trip.
   */
  reserve(tokens: number): QuotaHold | undefined | Promise<QuotaHold | undefined>;
}

export interface QuotaHold {
  /** The charge for `usedTokens` is durable: count them as sold and drop the hold. */
  settle(usedTokens: number): void;
  /** Nothing was sold (a failed attempt): drop the hold. No-op after settle. */
  release(): void;
}

export const healthKeyOf = (c: Candidate) => c.healthKey ?? c.key;

/**
 * The two circuits an attempt answers to. `candidate` covers the credential and the host — every model served through
 * them (a refused key, a connection that fails). `model` covers one model through that candidate: an upstream that is
 * overloaded for one model, or refuses one buyer's request for it, must not take the candidate's other models offline.
 * The upstream's model name identifies it (two client names for one upstream model share a circuit).
 */
export interface Circuits {
  candidate: string;
  model: string;
}

export const circuitsOf = (c: Candidate): Circuits => {
  const candidate = healthKeyOf(c);
  return { candidate, model: `${candidate}|${c.upstreamModel}` };
};

/** Whether a model with these operations (undefined: a chat model) can serve `op`; `messages` is translated to chat. */
export function servesOperation(operations: readonly Operation[] | undefined, op: Operation): boolean {
  const ops = operations ?? ['chat'];
  return ops.includes(op) || (op === 'messages' && ops.includes('chat'));
}

/**
 * Where candidates come from: platform channels now, supplier packages later, each a source of its own. A source
 * answers from memory on the hot path (the list itself, no promise) and refreshes itself.
 */
export interface CandidateSource {
  candidates(model: string, op: Operation): Maybe<Candidate[]>;
  /** Every model this source can serve now (for `GET /v1/models`). */
  models(): Promise<string[]>;
}

export const priceRank = (p: ModelPrice) => p.input + p.output + (p.perImage ?? 0n);
