import type { Operation } from '../providers/types.ts';
import { healthKeyOf, priceRank, type Candidate, type CandidateSource, type QuotaHold } from './candidates.ts';
import type { Health } from './health.ts';
import type { CandidateLimits, Lease } from './limits.ts';

// Picks upstreams for one request: cheapest first, weighted random among equal prices, open circuits last-resort
// skipped. The relay walks the plan, taking a lease (caps) and a circuit pass per attempt.

export interface Attempt {
  candidate: Candidate;
  /** The circuit this attempt reports to. */
  healthKey: string;
  /** Caps and quota held for this attempt; `release()` drops them (the quota hold is settled through `quota`). */
  lease: Lease;
  quota?: QuotaHold;
}

export function createRouter(deps: { sources: CandidateSource[]; health: Health; limits: CandidateLimits; random?: () => number }) {
  const random = deps.random ?? Math.random;

  /** Weighted shuffle (Efraimidis–Spirakis): each item's key is u^(1/w); larger keys go first. */
  function weightedOrder(group: Candidate[]): Candidate[] {
    if (group.length < 2) return group;
    return group
      .map((c) => ({ c, k: Math.pow(random(), 1 / Math.max(c.weight, 1e-6)) }))
      .sort((a, b) => b.k - a.k)
      .map((x) => x.c);
  }

  return {
    async candidates(model: string, op: Operation): Promise<Candidate[]> {
      const lists = await Promise.all(deps.sources.map((s) => s.candidates(model, op)));
      return lists.flat();
    },

    /** The order to try candidates in. */
    plan(all: Candidate[]): Candidate[] {
      const groups = new Map<bigint, Candidate[]>();
      for (const c of all) {
        if (c.weight <= 0 || deps.health.isOpen(healthKeyOf(c))) continue;
        const rank = priceRank(c.price);
        groups.set(rank, [...(groups.get(rank) ?? []), c]);
      }
      return [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).flatMap((rank) => weightedOrder(groups.get(rank) as Candidate[]));
    },

    /**
     * Claims `candidate` for one attempt: its circuit and its caps must both allow it. The circuit is asked first: a
     * lease counts towards the RPM limit even once released, so a refused pass must not have taken one. `quota`, the
     * hold a package's quota gave this request (see `reserve`), rides on the attempt and is dropped if the claim fails.
     */
    async claim(candidate: Candidate, quota?: QuotaHold): Promise<Attempt | undefined> {
      const healthKey = healthKeyOf(candidate);
      if (!deps.health.tryPass(healthKey)) {
        quota?.release();
        return undefined;
      }
      const caps = await deps.limits.acquire(candidate.key, { rpmLimit: candidate.rpmLimit, maxConcurrent: candidate.maxConcurrent });
      if (!caps) {
        quota?.release();
        deps.health.abandon(healthKey);
        return undefined;
      }
      const lease: Lease = {
        release() {
          caps.release();
          quota?.release();
        },
      };
      return { candidate, healthKey, lease, quota };
    },

    /**
     * A hold on `tokens` of the candidate's quota, taken before `claim` (it may ask Redis, shared by all nodes):
     * `undefined` when the candidate has no quota, `false` when nothing is left.
     */
    async reserve(candidate: Candidate, tokens: number): Promise<QuotaHold | undefined | false> {
      if (!candidate.quota) return undefined;
      return (await candidate.quota.reserve(tokens)) ?? false;
    },

    async models(): Promise<string[]> {
      const lists = await Promise.all(deps.sources.map((s) => s.models()));
      return [...new Set(lists.flat())].sort();
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
