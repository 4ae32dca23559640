import { DEMO_MODEL, DEMO_ORIGIN } from '../providers/demo/index.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { Operation } from '../providers/types.ts';
import { servesOperation, type Candidate, type CandidateSource } from './candidates.ts';

// The built-in demo upstream as a router candidate (config DEMO_UPSTREAM; app.ts adds this source only while it is on):
// one candidate for `tollgate-demo`, speaking OpenAI's format through the openai adapter to the reserved origin that
// the upstream client answers in process. It is routed, limited, circuit-broken, metered and billed like any channel.

/**
 * Never sent anywhere real, but the adapter puts a credential in its auth header and failures are scrubbed of it: plain
 * lowercase letters, so the scrubber cuts only the whole string, which no message of the demo contains.
 */
const NO_CREDENTIAL = 'tollgatedemonocredential';

export function createDemoCandidates(): CandidateSource {
  const candidate: Candidate = {
    key: 'demo:1',
    // Usage records name their upstream as channel | model | package (usage.tables.ts): the demo is the platform's own
    // upstream, a channel, with an id no channel row has.
    kind: 'channel',
    id: 0,
    provider: 'openai',
    adapter: ADAPTERS.openai,
    baseUrl: DEMO_ORIGIN,
    credential: () => NO_CREDENTIAL,
    upstreamModel: DEMO_MODEL.id,
    price: DEMO_MODEL.price,
    weight: 1,
  };
  return {
    candidates(model: string, op: Operation) {
      return model === DEMO_MODEL.id && servesOperation(DEMO_MODEL.operations, op) ? [candidate] : [];
    },
    async models() {
      return [DEMO_MODEL.id];
    },
  };
}
