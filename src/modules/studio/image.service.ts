import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { copyFromUrl, FileCopyError } from '../../platform/files.copy.ts';
import { fileKey, type FileStore, type StoredFile } from '../../platform/files.ts';
import type { Gateway } from '../gateway/gateway.service.ts';
import { RelayFailed } from '../gateway/relay.ts';
import { upstreamRef } from '../gateway/gateway.service.ts';
import type { Payer } from '../metering/payers.ts';
import { DashScopeTaskError, type DashScopeTasks } from '../providers/qwen/tasks.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { CreationService } from './creations.service.ts';
import { GenerationFailed, type Generations } from './generations.service.ts';
import type { StudioModels } from './model-calls.ts';
import { chooseModel } from './model-choice.ts';
import type { ModelRegistry } from './models.service.ts';
import { studioText } from './studio-text.ts';

// Image generation. OpenAI-format models answer in the request (gateway op `images`); DashScope's Wanx models are an
// async task, polled here within the request. Either way the image is copied into Tollgate's file store before the
// creator hears back: provider links expire, ours are signed per response.

export const IMAGE_SIZES = ['1024x1024', '720x1280', '1280x720'] as const;
export const ImageBody = z.object({
  prompt: studioText(1000),
  size: z.enum(IMAGE_SIZES).default('1024x1024'),
  model_id: z.number().int().positive().optional(),
});
export type ImageBody = z.infer<typeof ImageBody>;

export const IMAGE_TOOL = { defaultModel: 'wanx2.1-t2i-turbo', creditsCost: 20 };
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export interface ImageDeps {
  generations: Generations;
  models: StudioModels;
  gateway: Pick<Gateway, 'taskUpstream' | 'settleTask'>;
  payer: () => Promise<Payer>;
  tasksFor: (c: Candidate) => DashScopeTasks;
  registry: ModelRegistry;
  creations: CreationService;
  files: FileStore;
  fileUrl: (key: string) => string;
  now: () => number;
  config: { ttlMs: number; allowPrivate: boolean; taskPollMs: number; taskTimeoutMs: number };
}

const isDashScopeTask = (model: string) => /^wan/.test(model);

export function createImageService(deps: ImageDeps) {
  const copy = (url: string, key: string) =>
    copyFromUrl(deps.files, url, key, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: 60_000, allowPrivate: deps.config.allowPrivate, allowedTypes: /^image\// }).catch((err) => {
      if (err instanceof FileCopyError) throw new GenerationFailed('AI_SERVICE_FAILED', `图片保存失败：${err.message}`);
      throw err;
    });

  /** OpenAI images format through the gateway: a link to copy, or the bytes themselves. */
  async function viaGateway(genId: string, model: string, body: ImageBody, key: string, signal: AbortSignal): Promise<StoredFile> {
    const out = await deps.models.images({ requestId: genId, model, prompt: body.prompt, size: body.size, signal });
    if (out.urls[0]) return copy(out.urls[0], key);
    if (out.b64[0]) return deps.files.put(key, Buffer.from(out.b64[0], 'base64'), 'image/png');
    throw new GenerationFailed('AI_SERVICE_FAILED', 'AI服务没有返回图片');
  }

  /** A Wanx task: submitted once, its id stored, polled until it ends (bounded), metered per image. */
  async function viaTask(genId: string, model: string, body: ImageBody, key: string, signal: AbortSignal): Promise<StoredFile> {
    const startedAt = deps.now();
    const candidate = await deps.gateway.taskUpstream(model).catch((err) => {
      throw err instanceof RelayFailed ? new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${err.error.message}`) : err;
    });
    const tasks = deps.tasksFor(candidate);
    const call = { payer: await deps.payer(), requestId: genId, model, platform: 'studio' as const };
    try {
      const { taskId } = await tasks.submitImage({ model, prompt: body.prompt, size: body.size, n: 1 });
      await deps.generations.running(genId, { provider: upstreamRef(candidate), providerTaskId: taskId });
      const deadline = startedAt + deps.config.taskTimeoutMs;
      for (;;) {
        await sleep(deps.config.taskPollMs, undefined, { signal });
        const task = await tasks.getTask(taskId).catch((err) => {
          if (err instanceof DashScopeTaskError && err.retryable) return undefined;
          throw err;
        });
        if (task?.status === 'SUCCEEDED' && task.urls[0]) {
          const stored = await copy(task.urls[0], key);
          await deps.gateway.settleTask(call, candidate, 1, startedAt, 'success');
          return stored;
        }
        if (task && ['FAILED', 'CANCELED', 'UNKNOWN'].includes(task.status)) {
          throw new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${task.error?.message ?? task.status}`);
        }
        if (deps.now() > deadline) throw new GenerationFailed('AI_SERVICE_FAILED', 'AI服务调用超时');
      }
    } catch (err) {
      if (err instanceof DashScopeTaskError) throw new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${err.message}`);
      throw err;
    }
  }

  return {
    async generate(userId: number, body: ImageBody, o: { idempotencyKey?: string; signal: AbortSignal }) {
      const choice = await chooseModel(deps.registry, body.model_id, IMAGE_TOOL);
      const result = await deps.generations.produce(
        {
          userId, kind: 'image', idempotencyKey: o.idempotencyKey, input: { prompt: body.prompt, size: body.size }, credits: choice.credits,
          modelId: choice.modelId, modelName: choice.modelName, ttlMs: deps.config.ttlMs, description: '图片生成',
        },
        (gen) => {
          const key = fileKey(['images', String(userId), `${gen.id}.png`]);
          const make = isDashScopeTask(choice.modelName) ? viaTask : viaGateway;
          return make(gen.id, choice.modelName, body, key, o.signal).then((stored) => ({ stored, genId: gen.id }));
        },
        async ({ stored, genId }, creditsUsed, tx) => {
          const creation = await deps.creations.save(
            {
              userId, type: 'image', title: body.prompt.split('\n')[0] ?? body.prompt, content: body.prompt, generationId: genId,
              files: [{ key: stored.key, contentType: stored.contentType, size: stored.size }], meta: { model: choice.modelName, prompt: body.prompt, size: body.size },
            },
            tx,
          );
          return { creationId: creation.id, result: { creation_id: creation.id, file_key: stored.key, credits_used: creditsUsed } };
        },
      );
      return { image_url: deps.fileUrl(result.file_key as string), credits_used: result.credits_used as number, creation_id: result.creation_id as number };
    },
  };
}

export type ImageService = ReturnType<typeof createImageService>;
