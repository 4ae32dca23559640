import { millisOf, type Clock } from '../../platform/time.ts';

// Per-candidate caps: requests in the last minute (`rpmLimit`) and requests in flight (`maxConcurrent`). Counted in
// this process; a lease is taken before the upstream call and released when the response ends.

export interface Lease {
  release(): void;
}

const MINUTE = 60_000;

/** The caps of candidates: counted in this process (below), or shared by every node through Redis (limits-redis.ts). */
export interface CandidateLimiter {
  /** A lease on `key`, or undefined when it is at one of its caps. */
  acquire(key: string, caps: { rpmLimit?: number; maxConcurrent?: number }): Lease | undefined | Promise<Lease | undefined>;
  /** Requests in flight this process counted (tests). */
  inFlight(key: string): number;
}

export function createCandidateLimits(deps: { clock: Clock }) {
  const inFlight = new Map<string, number>();
  const starts = new Map<string, number[]>();

  function recentStarts(key: string, now: number): number[] {
    const list = starts.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop] as number) <= now - MINUTE) drop += 1;
    if (drop > 0) list.splice(0, drop);
    starts.set(key, list);
    return list;
  }

  return {
    /** A lease on `key`, or undefined when it is at one of its caps. */
    acquire(key: string, caps: { rpmLimit?: number; maxConcurrent?: number }): Lease | undefined {
      const now = millisOf(deps.clock);
      const running = inFlight.get(key) ?? 0;
      if (caps.maxConcurrent !== undefined && running >= caps.maxConcurrent) return undefined;
      if (caps.rpmLimit !== undefined) {
        const list = recentStarts(key, now);
        if (list.length >= caps.rpmLimit) return undefined;
        list.push(now);
      }
      inFlight.set(key, running + 1);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        },
      };
    },
    inFlight: (key: string) => inFlight.get(key) ?? 0,
  };
}

export type CandidateLimits = CandidateLimiter;
