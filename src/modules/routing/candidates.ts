import type { UpstreamKind } from '../metering/usage.tables.ts';
import type { ProviderName } from '../providers/catalog.ts';
import type { ModelPrice, Operation, ProviderAdapter } from '../providers/types.ts';

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
  rpmLimit?: number;
  maxConcurrent?: number;
  /** Set for supplier packages: who earns. */
  supplierUserId?: number;
}

/**
 * Where candidates come from: platform channels now, supplier packages later, each a source of its own. A source
 * answers from memory on the hot path and refreshes itself.
 */
export interface CandidateSource {
  candidates(model: string, op: Operation): Promise<Candidate[]>;
  /** Every model this source can serve now (for `GET /v1/models`). */
  models(): Promise<string[]>;
}

export const priceRank = (p: ModelPrice) => p.input + p.output + (p.perImage ?? 0n);
