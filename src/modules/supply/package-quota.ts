import type { QuotaGate, QuotaHold } from '../routing/candidates.ts';

// What this node knows of each published package's quota (tokens): how many are left, and how many requests in
// flight have reserved. A request reserves its worst case (prompt estimate + allowed output) before it is sent; a
// package with nothing unreserved takes no more requests. A reservation may take less than asked — the last request
// admitted may overshoot by at most itself — and the database has the final word: each charge decrements the
// package in the same statement, flipping it to `sold_out` at zero (package-charges.ts).
//
// Quotas only ever go down, so a snapshot from the database can only lower what this node counts (another node sold
// tokens), never raise it back. With one node this book is exact; several nodes share one in Redis
// (package-quota-redis.ts), each keeping the same interface.

export interface QuotaBook {
  /** The gate of package `id`, which the database says has `known` tokens left. */
  gate(id: number, known: number): QuotaGate;
  /** Tokens not yet sold, as this node knows (0 for a package it has not seen). */
  remaining(id: number): number;
  /** Forgets packages no longer published. */
  retain(ids: Set<number>): void;
}

interface PackageQuota {
  remaining: number;
  reserved: number;
}

export function createQuotaBook(): QuotaBook {
  const quotas = new Map<number, PackageQuota>();

  function reserveFrom(q: PackageQuota, tokens: number): QuotaHold | undefined {
    const free = q.remaining - q.reserved;
    if (free <= 0) return undefined;
    const held = Math.max(1, Math.min(Math.ceil(tokens), free));
    q.reserved += held;
    let open = true;
    const drop = () => {
      if (!open) return false;
      open = false;
      q.reserved -= held;
      return true;
    };
    return {
      settle(used) {
        if (drop()) q.remaining = Math.max(0, q.remaining - used);
      },
      release: () => void drop(),
    };
  }

  return {
    gate(id: number, known: number): QuotaGate {
      let q = quotas.get(id);
      if (!q) quotas.set(id, (q = { remaining: known, reserved: 0 }));
      else q.remaining = Math.min(q.remaining, known);
      const quota = q;
      return { reserve: (tokens) => reserveFrom(quota, tokens) };
    },
    remaining: (id: number): number => quotas.get(id)?.remaining ?? 0,
    retain(ids: Set<number>): void {
      for (const id of quotas.keys()) if (!ids.has(id)) quotas.delete(id);
    },
  };
}

