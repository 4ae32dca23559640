import type { ModelInfo } from '../types.ts';

// The demo upstream's identity: its model, its price (free), and the reserved origin the upstream client answers in
// process.

export const DEMO_MODEL_ID = 'tollgate-demo';

/** Who serves it, as the catalog and `/v1/models` (`owned_by`) name it; no provider's channel serves it. */
export const DEMO_PROVIDER = 'tollgate-demo';

/** A reserved origin (RFC 2606: `.invalid` never resolves), so no real host can be reached or impersonated through it. */
export const DEMO_ORIGIN = 'http://tollgate-demo.invalid';

export const DEMO_MODEL: ModelInfo = { id: DEMO_MODEL_ID, price: { input: 0n, output: 0n }, operations: ['chat'] };
