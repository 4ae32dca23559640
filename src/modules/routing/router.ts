import { andThen, type Maybe } from '../../platform/maybe.ts';
import type { Operation } from '../providers/types.ts';
import { circuitsOf, priceRank, type Candidate, type CandidateSource, type Circuits, type QuotaHold } from './candidates.ts';
import type { Health } from './health.ts';
import type { CandidateLimits, Lease } from './limits.ts';

// Picks upstreams for one request: cheapest first; among equal prices the higher priority first, weighted random
// within one priority; open circuits skipped. The relay walks the plan, taking a lease (caps) and a pass of both
// circuits (candidate, model) per attempt.

/**
 * How an attempt ended, as the circuits count it (DESIGN.md §5 "Health": only the upstream's own failures count).
 * - `served`: the upstream answered 2xx; both circuits hear a success.
 * - `candidate`: the credential or the host failed (key refused, connection failed): every model of the candidate.
 * - `model`: the upstream failed for this model (5xx, 429, timeout): that model through this candidate only.
 * - `uncounted`: the request's own fault (a 400, a model the upstream lacks) or a client that left: neither counts it,
 *   so one buyer's bad requests cannot open a circuit that other buyers depend on.
 */
export type Verdict = 'served' | 'candidate' | 'model' | 'uncounted';

export interface Attempt {
  candidate: Candidate;
  /** The circuits this attempt answers to. */
  circuits: Circuits;
  /** Caps and quota held for this attempt; `release()` drops them (the quota hold is settled through `quota`). */
  lease: Lease;
  quota?: QuotaHold;
  /** Tells both circuits how the attempt ended (and frees a half-open probe it held). */
  report(verdict: Verdict): void;
}

export function createRouter(deps: { sources: CandidateSource[]; health: Health; limits: CandidateLimits; random?: () => number }) {
  const random = deps.random ?? Math.random;
  const report = (circuits: Circuits, verdict: Verdict) => reportTo(deps.health, circuits, verdict);

  /** Weighted shuffle (Efraimidis–Spirakis): each item's key is u^(1/w); larger keys go first. */
  function weightedOrder(group: Candidate[]): Candidate[] {
    if (group.length < 2) return group;
    return group
      .map((c) => ({ c, k: Math.pow(random(), 1 / Math.max(c.weight, 1e-6)) }))
      .sort((a, b) => b.k - a.k)
      .map((x) => x.c);
  }

  /**
   * One price group in the order to try it: priorities descending, weighted random within each. A lower priority is a
   * fallback: it is reached when every higher one is open, capped or failing.
   */
  function priorityOrder(group: Candidate[]): Candidate[] {
    const tiers = new Map<number, Candidate[]>();
    for (const c of group) {
      const p = c.priority ?? 0;
      tiers.set(p, [...(tiers.get(p) ?? []), c]);
    }
    return [...tiers.keys()].sort((a, b) => b - a).flatMap((p) => weightedOrder(tiers.get(p) as Candidate[]));
  }

  return {
    /** Every source's candidates for the model; at hand (no promise) while every source answers from memory. */
    candidates(model: string, op: Operation): Maybe<Candidate[]> {
      const lists = deps.sources.map((s) => s.candidates(model, op));
      return lists.some((l) => l instanceof Promise) ? Promise.all(lists).then((all) => all.flat()) : (lists as Candidate[][]).flat();
    },

    /** The order to try candidates in. */
    plan(all: Candidate[]): Candidate[] {
      const groups = new Map<bigint, Candidate[]>();
      for (const c of all) {
        const circuits = circuitsOf(c);
        if (c.weight <= 0 || deps.health.isOpen(circuits.candidate) || deps.health.isOpen(circuits.model)) continue;
        const rank = priceRank(c.price);
        groups.set(rank, [...(groups.get(rank) ?? []), c]);
      }
      return [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).flatMap((rank) => priorityOrder(groups.get(rank) as Candidate[]));
    },

    /**
     * Claims `candidate` for one attempt: both its circuits and its caps must allow it. The circuits are asked first: a
     * lease counts towards the RPM limit even once released, so a refused pass must not have taken one. `quota`, the
     * hold a package's quota gave this request (see `reserve`), rides on the attempt and is dropped if the claim fails.
     */
    claim(candidate: Candidate, quota?: QuotaHold): Maybe<Attempt | undefined> {
      const circuits = circuitsOf(candidate);
      const refuse = (...probesHeld: string[]) => {
        for (const key of probesHeld) deps.health.abandon(key);
        quota?.release();
        return undefined;
      };
      if (!deps.health.tryPass(circuits.candidate)) return refuse();
      // A half-open candidate's probe taken above must not stay claimed by an attempt that never happens.
      if (!deps.health.tryPass(circuits.model)) return refuse(circuits.candidate);
      return andThen(deps.limits.acquire(candidate.key, { rpmLimit: candidate.rpmLimit, maxConcurrent: candidate.maxConcurrent }), (caps): Attempt | undefined => {
        if (!caps) return refuse(circuits.candidate, circuits.model);
        const lease: Lease = {
          release() {
            caps.release();
            quota?.release();
          },
        };
        return { candidate, circuits, lease, quota, report: (verdict) => report(circuits, verdict) };
      });
    },

    /**
     * A hold on `tokens` of the candidate's quota, taken before `claim` (it may ask Redis, shared by all nodes):
     * `undefined` when the candidate has no quota, `false` when nothing is left.
     */
    reserve(candidate: Candidate, tokens: number): Maybe<QuotaHold | undefined | false> {
      if (!candidate.quota) return undefined;
      return andThen(candidate.quota.reserve(tokens), (hold) => hold ?? false);
    },

    async models(): Promise<string[]> {
      const lists = await Promise.all(deps.sources.map((s) => s.models()));
      return [...new Set(lists.flat())].sort();
    },
  };
}

export type Router = ReturnType<typeof createRouter>;

/** A verdict on both circuits; `abandon` frees a half-open probe that the verdict does not settle. */
function reportTo(health: Health, circuits: Circuits, verdict: Verdict): void {
  switch (verdict) {
    case 'served':
      health.success(circuits.candidate);
      health.success(circuits.model);
      return;
    case 'candidate':
      health.failure(circuits.candidate);
      health.abandon(circuits.model);
      return;
    case 'model':
      health.failure(circuits.model);
      health.abandon(circuits.candidate);
      return;
    case 'uncounted':
      health.abandon(circuits.candidate);
      health.abandon(circuits.model);
  }
}
