import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation, type Database, type Db } from '../../platform/db.ts';
import { AppError, conflict } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import type { MembershipService } from '../commerce/membership.service.ts';
import { creditsToMicros } from '../commerce/pricing.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { InsufficientFunds, type Ledger } from '../ledger/ledger.service.ts';
import * as repo from './generations.repo.ts';
import type { GenerationKind, GenerationRow } from './studio.tables.ts';

// Credits exactly once. A generation holds its credits in the ledger (keyed by the generation id) in the same
// transaction that records it; it then either settles — the result saved in the same transaction — or releases on
// any failure. A generation nobody finishes (a crash, a lost request) is released by the sweeper once past its TTL.
// The client's Idempotency-Key maps to one generation: a retry gets the first result and charges nothing more; a
// failed generation frees its key, so the retry runs again.

export interface GenerationRequest {
  userId: number;
  kind: GenerationKind;
  toolType?: string;
  idempotencyKey?: string;
  /** The request as validated: what the key's retries must repeat exactly. */
  input: Record<string, unknown>;
  /** What it costs a non-member, in credits. */
  credits: number;
  modelId?: number;
  modelName: string;
  /** Past this, an unfinished generation is failed and its credits released. */
  ttlMs: number;
  /** Shown in the user's credit transactions. */
  description: string;
}

export type Begun = { replayed: false; gen: GenerationRow } | { replayed: true; gen: GenerationRow };

/** Why a generation failed, in the studio's codes: the model call (40006) or the generation itself (40007). */
export class GenerationFailed extends AppError {
  constructor(code: 'AI_SERVICE_FAILED' | 'GENERATION_FAILED', message: string) {
    super(code, message, { refunded: true });
  }
}

const hashOf = (r: GenerationRequest) =>
  createHash('sha256').update(JSON.stringify([r.kind, r.toolType ?? null, r.modelId ?? null, r.input])).digest('hex');

export function createGenerations(deps: {
  database: Database;
  clock: Clock;
  ledger: Ledger;
  membership: MembershipService;
  /** Where a generation's unexpected failure (a bug, not an upstream's refusal) is reported with its stack. */
  log?: { error(obj: object, msg: string): void };
}) {
  const { database, clock, ledger } = deps;

  async function refusal(userId: number): Promise<AppError> {
    const m = await deps.membership.current(userId);
    return m && m.endsAt <= clock.now()
      ? new AppError('MEMBERSHIP_EXPIRED', '会员已过期，积分不足：请续费会员或充值积分')
      : new AppError('INSUFFICIENT_CREDITS', '积分不足：请充值积分或购买会员');
  }

  async function existing(r: GenerationRequest, hash: string): Promise<GenerationRow | undefined> {
    if (!r.idempotencyKey) return undefined;
    const row = await repo.byKey(database.db, r.userId, r.idempotencyKey);
    if (!row) return undefined;
    if (row.requestHash !== hash) throw conflict('This Idempotency-Key was used with a different request');
    if (row.result === null) throw conflict('A generation with this Idempotency-Key is still running');
    return row;
  }

  async function close(id: string, outcome: 'settle' | 'release', set: (creditsUsed: number, tx: Db) => Promise<Partial<GenerationRow>>) {
    return database.transaction(async (tx) => {
      const gen = await repo.byId(tx, id, { lock: true });
      if (!gen || (gen.status !== 'reserved' && gen.status !== 'running')) return { gen, closed: false };
      let creditsUsed = 0;
      if (gen.holdId !== null) {
        const wallet = ACCOUNTS.userWallet(gen.userId);
        if (outcome === 'settle') {
          const amount = creditsToMicros(gen.credits);
          await ledger.settle({ holdId: gen.holdId, account: wallet, splits: [{ account: ACCOUNTS.platformRevenue, amount }], kind: 'consume', description: describe(gen) }, tx);
          creditsUsed = gen.credits;
        } else {
          await ledger.release({ holdId: gen.holdId, account: wallet }, tx);
        }
      }
      const now = clock.now();
      const updated = await repo.finishOpen(tx, id, { ...(await set(creditsUsed, tx)), creditsUsed, updatedAt: now, finishedAt: now });
      return { gen: updated, closed: true };
    });
  }

  const describe = (gen: GenerationRow) => `${(gen.input as { _label?: string })._label ?? gen.kind} (${gen.id})`;

  return {
    /** Holds the credits and records the generation — or finds the key's earlier one (`replayed`). */
    async begin(r: GenerationRequest): Promise<Begun> {
      const hash = hashOf(r);
      const earlier = await existing(r, hash);
      if (earlier) return { replayed: true, gen: earlier };
      const credits = (await deps.membership.isMember(r.userId)) ? 0 : r.credits;
      const id = `gen_${randomUUID().replaceAll('-', '')}`;
      const now = clock.now();
      try {
        const gen = await database.transaction(async (tx) => {
          const holdId = credits > 0
            ? await ledger.hold({ account: ACCOUNTS.userWallet(r.userId), amount: creditsToMicros(credits), idempotencyKey: `studio:${id}`, reference: `generation:${id}` }, tx)
            : null;
          return repo.insert(tx, {
            id, userId: r.userId, kind: r.kind, toolType: r.toolType ?? null, idempotencyKey: r.idempotencyKey ?? null, requestHash: hash,
            status: 'reserved', credits, holdId, modelId: r.modelId ?? null, modelName: r.modelName,
            input: { ...r.input, _label: r.description }, expiresAt: new Date(now.getTime() + r.ttlMs), createdAt: now, updatedAt: now,
          });
        });
        return { replayed: false, gen };
      } catch (err) {
        if (err instanceof InsufficientFunds) throw await refusal(r.userId);
        if (isUniqueViolation(err) && r.idempotencyKey) {
          const row = await existing(r, hash);
          if (row) return { replayed: true, gen: row };
        }
        throw err;
      }
    },

    /** Sent upstream; a provider's task id is stored before the client hears back (providers take no idempotency key). */
    async running(id: string, set: { provider?: string; providerTaskId?: string; result?: Record<string, unknown> } = {}) {
      return repo.finishOpen(database.db, id, { status: 'running', ...set, updatedAt: clock.now() });
    },

    /**
     * Settles the credits and saves what `save` writes (the creation) in the same transaction. Returns the credits the
     * ledger moved: 0 when the generation had already been closed (released by the sweeper) — the work is the user's.
     */
    async succeed(id: string, finish: (creditsUsed: number, tx: Db) => Promise<{ creationId?: number; result: Record<string, unknown> }>) {
      const { gen, closed } = await close(id, 'settle', async (creditsUsed, tx) => {
        const out = await finish(creditsUsed, tx);
        return { status: 'succeeded', creationId: out.creationId ?? null, result: out.result, errorCode: null, errorMessage: null };
      });
      return { gen, closed };
    },

    /** Releases the credits; the key is freed so that a retry runs again. False when it was already closed. */
    async fail(id: string, err: { code: number; message: string }): Promise<boolean> {
      const { closed } = await close(id, 'release', async () => ({ status: 'failed', idempotencyKey: null, errorCode: err.code, errorMessage: err.message.slice(0, 500) }));
      return closed;
    },

    /**
     * A generation answered within one request: begin (or replay the key's first result), do `work`, then settle
     * with what `save` writes — or release on any failure, which reaches the caller as a GenerationFailed.
     */
    async produce<W>(
      r: GenerationRequest,
      work: (gen: GenerationRow) => Promise<W>,
      save: (w: W, creditsUsed: number, tx?: Db) => Promise<{ creationId?: number; result: Record<string, unknown> }>,
    ): Promise<Record<string, unknown>> {
      const begun = await this.begin(r);
      if (begun.replayed) return begun.gen.result as Record<string, unknown>;
      const id = begun.gen.id;
      await this.running(id);
      let made: W;
      try {
        made = await work(begun.gen);
      } catch (err) {
        const failure = this.failureOf(err, id);
        await this.fail(id, { code: failure.code === 'AI_SERVICE_FAILED' ? 40006 : 40007, message: failure.message });
        throw failure;
      }
      const { gen, closed } = await this.succeed(id, (creditsUsed, tx) => save(made, creditsUsed, tx));
      // Released meanwhile (past its TTL): the work is the user's all the same, and nothing was charged for it.
      if (!closed || !gen) return (await save(made, 0)).result;
      return gen.result as Record<string, unknown>;
    },

    /** What a failed step becomes for the creator (unexpected errors are logged, and reach them as 40007). */
    failureOf(err: unknown, id: string): GenerationFailed {
      if (err instanceof GenerationFailed) return err;
      if (!(err instanceof AppError)) deps.log?.error({ err, generation: id }, 'studio generation failed unexpectedly');
      return new GenerationFailed('GENERATION_FAILED', '内容生成失败，积分已退还');
    },

    get: (userId: number, id: string) => repo.owned(database.db, userId, id),
    /** Any user's generation, for jobs (never for a request: use `get`). */
    byId: (id: string) => repo.byId(database.db, id),
    openTasks: (kind: GenerationKind) => repo.openTasks(database.db, kind),
    countPoll: (id: string) => repo.countPoll(database.db, id, clock.now()),

    /** Fails every open generation past its TTL (on boot and by a job): their holds go back to their wallets. */
    async sweep(limit = 500): Promise<number> {
      let released = 0;
      for (const gen of await repo.expired(database.db, clock.now(), limit)) {
        if (await this.fail(gen.id, { code: 40007, message: 'The generation did not finish in time; its credits were returned' })) released += 1;
      }
      return released;
    },
  };
}

export type Generations = ReturnType<typeof createGenerations>;
