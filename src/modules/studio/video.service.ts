import { copyFromUrl, FileCopyError } from '../../platform/files.copy.ts';
import { fileKey, type FileStore, type StoredFile } from '../../platform/files.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { upstreamRef, type Gateway } from '../gateway/gateway.service.ts';
import { RelayFailed } from '../gateway/relay.ts';
import type { Payer } from '../metering/payers.ts';
import { DashScopeTaskError, type DashScopeTasks, type TaskSnapshot } from '../providers/qwen/tasks.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { CreationService } from './creations.service.ts';
import { GenerationFailed, type Generations } from './generations.service.ts';
import { chooseModel } from './model-choice.ts';
import type { ModelRegistry } from './models.service.ts';
import type { GenerationRow } from './studio.tables.ts';
import { VideoGenerateBody, type VideoPhase, type VideoStatusView, type VideoTaskView } from './video.schema.ts';

// Video is an asynchronous provider task (DashScope video synthesis). The creator's credits are held when the task is
// submitted — once: providers take no idempotency key, so a submit that fails in any way (a timeout included, which
// may have created a task) is never repeated but failed and released. The provider's task id is stored before the
// creator hears back. A job then polls the task; when it succeeds the video is copied into our file store at once
// (the provider's link expires after 24 h), and only then are the credits settled with the creation saved in the same
// transaction. A failed, cancelled, unknown or overdue task releases them.
//
// `poll` may run twice at once, or again after a crash at any point: every step before the settlement is repeatable
// (the copy overwrites the same key whole, the upstream's charge is idempotent by the generation id), and the
// settlement and the release are guarded by the generation's state — whichever comes second changes nothing.

export const VIDEO_POLL_JOB = 'studio.video.poll';

export interface VideoConfig {
  pollSeconds: number;
  /** A task not finished this long after it was submitted is given up and its credits released. */
  timeoutSeconds: number;
  /** `ALLOW_PRIVATE_UPSTREAMS`: the provider's result link may be http:// or a private address (tests). */
  allowPrivate: boolean;
  /** The video model when the creator names none, e.g. `wanx2.1-t2v-turbo`. */
  defaultModel: string;
  /** A video costs this per second; a registry model's `credits_cost`, when higher, is its price per video. */
  creditsPerSecond: number;
}

export interface VideoDeps {
  generations: Generations;
  creations: CreationService;
  files: FileStore;
  gateway: Pick<Gateway, 'taskUpstream' | 'settleTask'>;
  /** The platform's own buyer, which the studio's upstream usage is metered to (model-calls.ts). */
  payer: () => Promise<Payer>;
  registry: ModelRegistry;
  clock: Clock;
  enqueue: (job: typeof VIDEO_POLL_JOB, data: { generationId: string }, o: { startAfterSeconds: number }) => Promise<void>;
  tasksFor: (c: Candidate) => DashScopeTasks;
  /** A signed, expiring link to a stored file. */
  fileUrl: (key: string) => string;
  config: VideoConfig;
}

/** What one poll did, for the job's log line. */
export type PollOutcome = 'closed' | 'waiting' | 'retrying' | 'completed' | 'failed';

const COPY = { maxBytes: 512 * 1024 * 1024, timeoutMs: 10 * 60_000, allowedTypes: /^video\// };
/** The hold outlives the polling deadline by this much, so the sweeper never releases a video while it is copied. */
const COPY_MARGIN_MS = COPY.timeoutMs + 5 * 60_000;
const MAX_BACKOFF_SECONDS = 60;
/** A provider's Retry-After is honoured up to this; anything longer is taken as a mistake, not a plan. */
const MAX_RETRY_AFTER_SECONDS = 600;
const TITLE_MAX = 60;

interface VideoInput {
  script: string;
  duration: number;
}

/** zod issues → the 400 every route gives for a bad body (the service is also called without a route). */
function invalid(issues: { path: PropertyKey[]; message: string }[]): AppError {
  const listed = issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
  const first = listed[0];
  return new AppError('VALIDATION_FAILED', `Invalid request: ${first?.path}: ${first?.message}`, { field: first?.path, issues: listed });
}

/** The script's first non-empty line, clipped: what the creation is called. */
function titleOf(script: string): string {
  const line = script.split(/\r\n|\r|\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '视频';
  return Array.from(line).slice(0, TITLE_MAX).join('');
}

/** Why a submit failed, in words that hold no credential (the task client scrubs the key from DashScope's). */
function submitFailure(err: unknown): string {
  if (err instanceof DashScopeTaskError) return `AI服务调用失败：${err.message}`;
  if (err instanceof RelayFailed) return `AI服务调用失败：${err.error.message}`;
  if (err instanceof AppError) return `AI服务调用失败：${err.message}`;
  return 'AI服务调用失败，积分已退还';
}

/** A task that ended without a video, as the creator is told (40006: the provider's doing). */
function taskFailure(snap: TaskSnapshot): { code: number; message: string } {
  if (snap.status === 'FAILED') return { code: 40006, message: `AI服务调用失败：${snap.error?.code ?? 'TaskFailed'}: ${snap.error?.message ?? ''}`.trim() };
  if (snap.status === 'CANCELED') return { code: 40006, message: 'AI服务调用失败：视频任务已被服务方取消' };
  return { code: 40006, message: 'AI服务调用失败：服务方已找不到这个视频任务' };
}

/** Schedules the next poll (after Retry-After when given) and counts this one. */
type Again = (retryAfterSeconds?: number, outcome?: PollOutcome) => Promise<PollOutcome>;

const PHASES: Partial<Record<TaskSnapshot['status'], VideoPhase>> = { PENDING: 'queued', RUNNING: 'running' };

export function createVideoService(deps: VideoDeps) {
  const { generations, creations, gateway, config } = deps;
  const ttlMs = config.timeoutSeconds * 1000 + COPY_MARGIN_MS;
  const deadlineOf = (gen: GenerationRow) => gen.expiresAt.getTime() - COPY_MARGIN_MS;
  const inputOf = (gen: GenerationRow) => gen.input as unknown as VideoInput;
  const phaseOf = (gen: GenerationRow): VideoPhase => ((gen.result as { phase?: VideoPhase } | null)?.phase ?? 'queued');

  /** Polls come less often as a task takes longer (doubling every 8 polls, to a minute), never before Retry-After. */
  function delayOf(polls: number, retryAfterSeconds?: number): number {
    const backoff = Math.max(config.pollSeconds, Math.min(MAX_BACKOFF_SECONDS, config.pollSeconds * 2 ** Math.floor(polls / 8)));
    return Math.max(backoff, Math.min(retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS));
  }

  /** The upstream's charge for the task: idempotent by the generation id, so a repeated poll charges nothing more. */
  async function meter(gen: GenerationRow, candidate: Candidate, units: number, status: 'success' | 'error') {
    const call = { payer: await deps.payer(), requestId: gen.id, model: gen.modelName, platform: 'studio' as const };
    await gateway.settleTask(call, candidate, units, gen.createdAt.getTime(), status);
  }

  async function giveUp(gen: GenerationRow, candidate: Candidate | undefined, failure: { code: number; message: string }, metered = false): Promise<PollOutcome> {
    const closed = await generations.fail(gen.id, failure);
    if (closed && candidate && !metered) await meter(gen, candidate, 0, 'error');
    return closed ? 'failed' : 'closed';
  }

  async function setPhase(gen: GenerationRow, phase: VideoPhase) {
    if (phaseOf(gen) !== phase) await generations.running(gen.id, { result: { task_id: gen.id, status: 'processing', phase } });
  }

  /** The task succeeded: pay the upstream, keep the video, then settle the creator's credits with the creation. */
  async function finish(gen: GenerationRow, candidate: Candidate, snap: TaskSnapshot, again: Again): Promise<PollOutcome> {
    const { script, duration } = inputOf(gen);
    const url = snap.urls[0];
    if (!url) return giveUp(gen, candidate, { code: 40007, message: '视频任务已完成，但服务方没有返回视频文件' });
    // The upstream made the video whatever becomes of our copy: it is paid for it (and a supplier earns).
    await meter(gen, candidate, snap.usage?.videoDuration ?? duration, 'success');
    await setPhase(gen, 'saving');
    let stored: StoredFile;
    try {
      const key = fileKey(['videos', String(gen.userId), `${gen.id}.mp4`.toLowerCase()]);
      stored = await copyFromUrl(deps.files, url, key, { ...COPY, allowPrivate: config.allowPrivate });
    } catch (err) {
      if (!(err instanceof FileCopyError)) throw err;
      // The next poll reads the task again (a fresh link, should this one have gone) and downloads again.
      if (err.retryable) return again();
      return giveUp(gen, candidate, { code: 40007, message: '视频已生成，但无法从服务方下载（链接已失效）' }, true);
    }
    const file = { key: stored.key, contentType: stored.contentType, size: stored.size };
    const { closed } = await generations.succeed(gen.id, async (creditsUsed, tx) => {
      const creation = await creations.save(
        { userId: gen.userId, type: 'video', title: titleOf(script), content: script, files: [file], meta: { model: gen.modelName, duration }, generationId: gen.id },
        tx,
      );
      return { creationId: creation.id, result: { task_id: gen.id, status: 'completed', credits_used: creditsUsed, creation_id: creation.id } };
    });
    return closed ? 'completed' : 'closed';
  }

  /** One look at the task; each path ends by closing the generation or by scheduling the next look (`again`). */
  async function step(gen: GenerationRow, again: Again): Promise<PollOutcome> {
    if (deps.clock.now().getTime() >= deadlineOf(gen)) {
      const candidate = await gateway.taskUpstream(gen.modelName, gen.provider ?? undefined).catch(() => undefined);
      return giveUp(gen, candidate, { code: 40007, message: '视频生成超时，积分已退还' });
    }
    let candidate: Candidate;
    try {
      candidate = await gateway.taskUpstream(gen.modelName, gen.provider ?? undefined);
    } catch (err) {
      // Its circuit is open or its source is refreshing: the task is still there; the deadline bounds the wait.
      if (err instanceof RelayFailed) return again();
      throw err;
    }
    let snap: TaskSnapshot;
    try {
      snap = await deps.tasksFor(candidate).getTask(gen.providerTaskId as string);
    } catch (err) {
      if (!(err instanceof DashScopeTaskError)) throw err;
      if (err.retryable) return again(err.retryAfterSeconds);
      return giveUp(gen, candidate, { code: 40006, message: `AI服务调用失败：${err.message}` });
    }
    const phase = PHASES[snap.status];
    if (phase) {
      await setPhase(gen, phase);
      return again(snap.retryAfterSeconds, 'waiting');
    }
    if (snap.status === 'SUCCEEDED') return finish(gen, candidate, snap, again);
    return giveUp(gen, candidate, taskFailure(snap));
  }

  /** The creator's own task (another user's id is not found); links are to our copy, signed per answer. */
  async function status(userId: number, taskId: string): Promise<VideoStatusView> {
    const gen = await generations.get(userId, taskId);
    if (!gen || gen.kind !== 'video') throw notFound('Video task');
    if (gen.status === 'succeeded') {
      const creation = await creations.byGeneration(userId, gen.id);
      const file = creation?.files[0];
      return {
        task_id: gen.id, status: 'completed', credits_used: gen.creditsUsed,
        ...(creation && { creation_id: creation.id }), ...(file && { video_url: deps.fileUrl(file.key) }),
      };
    }
    if (gen.status === 'failed') {
      return { task_id: gen.id, status: 'failed', credits_used: gen.creditsUsed, error: { code: gen.errorCode ?? 40007, message: gen.errorMessage ?? '视频生成失败' } };
    }
    return { task_id: gen.id, status: 'processing', phase: phaseOf(gen), credits_used: gen.creditsUsed };
  }

  return {
    async submit(userId: number, body: unknown, idempotencyKey?: string): Promise<VideoTaskView> {
      const parsed = VideoGenerateBody.safeParse(body);
      if (!parsed.success) throw invalid(parsed.error.issues);
      const { script, duration, model_id: modelId } = parsed.data;
      const choice = await chooseModel(deps.registry, modelId, { defaultModel: config.defaultModel, creditsCost: config.creditsPerSecond * duration });
      const begun = await generations.begin({
        userId, kind: 'video', idempotencyKey, input: { script, duration }, credits: choice.credits,
        modelId: choice.modelId, modelName: choice.modelName, ttlMs, description: '视频生成',
      });
      if (begun.replayed) return { task_id: begun.gen.id, status: (await status(userId, begun.gen.id)).status };
      const gen = begun.gen;
      let candidate: Candidate | undefined;
      let taskId: string;
      try {
        candidate = await gateway.taskUpstream(choice.modelName);
        ({ taskId } = await deps.tasksFor(candidate).submitVideo({ model: candidate.upstreamModel, prompt: script, durationSeconds: duration }));
      } catch (err) {
        const message = submitFailure(err);
        if ((await generations.fail(gen.id, { code: 40006, message })) && candidate) await meter(gen, candidate, 0, 'error');
        throw new GenerationFailed('AI_SERVICE_FAILED', message);
      }
      await generations.running(gen.id, { provider: upstreamRef(candidate), providerTaskId: taskId, result: { task_id: gen.id, status: 'processing', phase: 'queued' } });
      await deps.enqueue(VIDEO_POLL_JOB, { generationId: gen.id }, { startAfterSeconds: config.pollSeconds });
      return { task_id: gen.id, status: 'processing' };
    },

    status,

    /** The poll job's body. An unexpected error still schedules the next look first: a task is never left unpolled. */
    async poll(generationId: string): Promise<PollOutcome> {
      // Open video tasks only: a closed (or unknown) generation has nothing left to poll.
      const found = await generations.byId(generationId);
      const gen = found && (found.status === 'reserved' || found.status === 'running') && found.providerTaskId !== null ? found : undefined;
      if (!gen) return 'closed';
      let scheduled = false;
      const again: Again = async (retryAfterSeconds, outcome = 'retrying') => {
        await deps.enqueue(VIDEO_POLL_JOB, { generationId }, { startAfterSeconds: delayOf(gen.polls, retryAfterSeconds) });
        scheduled = true;
        await generations.countPoll(generationId);
        return outcome;
      };
      try {
        return await step(gen, again);
      } catch (err) {
        if (!scheduled) await deps.enqueue(VIDEO_POLL_JOB, { generationId }, { startAfterSeconds: delayOf(gen.polls) });
        throw err;
      }
    },

    /** On boot: every open video task gets a poll now (whatever chain of polls it had may have died with the process). */
    async resume(): Promise<number> {
      const open = await generations.openTasks('video');
      for (const gen of open) await deps.enqueue(VIDEO_POLL_JOB, { generationId: gen.id }, { startAfterSeconds: 0 });
      return open.length;
    },
  };
}

export type VideoService = ReturnType<typeof createVideoService>;
