import { millisOf, type Clock } from '../../platform/time.ts';

// Circuit breaker per key: a candidate (`channel:12`, its credential and host) or one model through a candidate
// (`channel:12|gpt-4o`); candidates.ts `circuitsOf` names them and the router decides which failure counts where.
// Closed: requests flow; it opens after `failureThreshold` consecutive failures, or when at least half of the last
// WINDOW outcomes failed. Open: skipped until `cooldownMs` has passed. Half-open: one probe request at a time; its
// success closes the circuit, its failure opens it for another cool-down.

export type CircuitState = 'closed' | 'open' | 'half_open';

const WINDOW = 20;

interface Circuit {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number;
  probing: boolean;
  recent: boolean[];
}

export interface CircuitView {
  key: string;
  state: CircuitState;
  consecutiveFailures: number;
  errorRate: number;
}

export function createHealth(deps: {
  clock: Clock;
  failureThreshold: number;
  cooldownMs: number;
  /** Told when this node opens a circuit (health-sync.ts shares it with the other nodes). */
  onOpen?: (key: string, untilMs: number) => void;
}) {
  const circuits = new Map<string, Circuit>();
  const circuitOf = (key: string) => {
    let c = circuits.get(key);
    if (!c) circuits.set(key, (c = { state: 'closed', consecutiveFailures: 0, openedAt: 0, probing: false, recent: [] }));
    return c;
  };
  const now = () => millisOf(deps.clock);

  function view(key: string): CircuitView {
    const c = circuits.get(key);
    if (!c) return { key, state: 'closed', consecutiveFailures: 0, errorRate: 0 };
    const state = c.state === 'open' && now() - c.openedAt >= deps.cooldownMs ? 'half_open' : c.state;
    const failed = c.recent.filter((ok) => !ok).length;
    return { key, state, consecutiveFailures: c.consecutiveFailures, errorRate: c.recent.length ? failed / c.recent.length : 0 };
  }

  function open(key: string, c: Circuit) {
    c.state = 'open';
    c.openedAt = now();
    c.probing = false;
    deps.onOpen?.(key, c.openedAt + deps.cooldownMs);
  }

  return {
    /** Whether a request may go to `key` now; in half-open state this claims the single probe. */
    tryPass(key: string): boolean {
      const c = circuits.get(key);
      if (!c || c.state === 'closed') return true;
      if (c.state === 'open') {
        if (now() - c.openedAt < deps.cooldownMs) return false;
        c.state = 'half_open';
      }
      if (c.probing) return false;
      c.probing = true;
      return true;
    },

    /** Whether `key` would be tried at all (no claim): used to order candidates. */
    isOpen(key: string): boolean {
      const c = circuits.get(key);
      return c?.state === 'open' && now() - c.openedAt < deps.cooldownMs;
    },

    success(key: string) {
      const c = circuitOf(key);
      c.consecutiveFailures = 0;
      c.recent.push(true);
      if (c.recent.length > WINDOW) c.recent.shift();
      if (c.state !== 'closed') {
        c.state = 'closed';
        c.probing = false;
        c.recent = [true];
      }
    },

    failure(key: string) {
      const c = circuitOf(key);
      c.consecutiveFailures += 1;
      c.recent.push(false);
      if (c.recent.length > WINDOW) c.recent.shift();
      const failed = c.recent.filter((ok) => !ok).length;
      const rateTripped = c.recent.length >= WINDOW && failed * 2 >= c.recent.length;
      if (c.state === 'half_open' || c.consecutiveFailures >= deps.failureThreshold || rateTripped) open(key, c);
    },

    /** Another node opened this circuit: skip the candidate here too until `untilMs`. */
    openedElsewhere(key: string, untilMs: number) {
      const c = circuitOf(key);
      const openedAt = untilMs - deps.cooldownMs;
      if (c.state === 'open' && c.openedAt >= openedAt) return;
      c.state = 'open';
      c.openedAt = openedAt;
      c.probing = false;
    },

    /** A probe that ended without a verdict (the client went away): let another request probe. */
    abandon(key: string) {
      const c = circuits.get(key);
      if (c) c.probing = false;
    },

    view,

    /** Every circuit this node has seen, by key (read-only, for the operators' console); others read as closed. */
    snapshot: (): CircuitView[] => [...circuits.keys()].sort().map(view),
  };
}

export type Health = ReturnType<typeof createHealth>;
