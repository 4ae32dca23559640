import { z } from 'zod';
import { fileKey, type FileStore } from '../../platform/files.ts';
import type { CreationService } from './creations.service.ts';
import { GenerationFailed, type Generations } from './generations.service.ts';
import type { StudioModels } from './model-calls.ts';
import { chooseModel } from './model-choice.ts';
import type { ModelRegistry } from './models.service.ts';
import { outlinePrompt, parseOutline, repairPrompt, type DeckOutline } from './ppt/outline.ts';
import { paginate } from './ppt/paginate.ts';
import { renderDeck } from './ppt/render.ts';
import { studioText } from './studio-text.ts';

// PPT generation: the model writes the deck's outline as JSON (validated; one repair round), pptxgenjs renders it
// (ppt/render.ts), and the file goes to the file store. A model that cannot produce a valid outline after the repair
// fails the generation (40007) and releases the credits; both model calls are metered all the same.

export const PptBody = z.object({
  topic: studioText(200),
  outline: z.array(studioText(200)).max(30).optional(),
  slide_count: z.number().int().min(3).max(30).optional(),
  model_id: z.number().int().positive().optional(),
});
export type PptBody = z.infer<typeof PptBody>;

export const PPT_TOOL = { defaultModel: 'qwen-plus', creditsCost: 30 };
const PPTX_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
const OUTLINE_MAX_TOKENS = 4000;

/** The deck as text, for the creation's content (searchable, and what an edit starts from). */
function outlineText(o: DeckOutline): string {
  const lines = [`# ${o.title}`, ...(o.subtitle ? [o.subtitle] : [])];
  for (const s of o.slides) lines.push('', `## ${s.title}`);
  return lines.join('\n');
}

export function createPptService(deps: {
  generations: Generations;
  models: StudioModels;
  registry: ModelRegistry;
  creations: CreationService;
  files: FileStore;
  fileUrl: (key: string) => string;
  ttlMs: number;
}) {
  async function outlineFor(genId: string, model: string, body: PptBody, signal: AbortSignal, temperature?: number): Promise<DeckOutline> {
    const ask = async (requestId: string, prompt: { system: string; user: string }) =>
      (await deps.models.chat({ requestId, model, maxTokens: OUTLINE_MAX_TOKENS, temperature, signal, messages: [{ role: 'system', content: prompt.system }, { role: 'user', content: prompt.user }] })).text;
    const first = await ask(genId, outlinePrompt({ topic: body.topic, outline: body.outline, slideCount: body.slide_count, language: 'zh-CN' }));
    const parsed = parseOutline(first);
    if (parsed.ok) return parsed.outline;
    const repaired = parseOutline(await ask(`${genId}-repair`, repairPrompt(first, parsed.error)));
    if (repaired.ok) return repaired.outline;
    throw new GenerationFailed('GENERATION_FAILED', `PPT大纲生成失败（${repaired.error.split('\n')[0]}），积分已退还`);
  }

  return {
    async generate(userId: number, body: PptBody, o: { idempotencyKey?: string; signal: AbortSignal }) {
      const choice = await chooseModel(deps.registry, body.model_id, PPT_TOOL);
      const result = await deps.generations.produce(
        {
          userId, kind: 'ppt', idempotencyKey: o.idempotencyKey, input: { topic: body.topic, outline: body.outline ?? null, slide_count: body.slide_count ?? null },
          credits: choice.credits, modelId: choice.modelId, modelName: choice.modelName, ttlMs: deps.ttlMs, description: 'PPT生成',
        },
        async (gen) => {
          const outline = await outlineFor(gen.id, choice.modelName, body, o.signal, choice.temperature);
          const deck = await renderDeck(outline);
          const stored = await deps.files.put(fileKey(['ppt', String(userId), `${gen.id}.pptx`]), deck, PPTX_TYPE);
          return { outline, stored, slides: paginate(outline).length, genId: gen.id };
        },
        async ({ outline, stored, slides, genId }, creditsUsed, tx) => {
          const creation = await deps.creations.save(
            {
              userId, type: 'ppt', title: outline.title, content: outlineText(outline), generationId: genId,
              files: [{ key: stored.key, contentType: stored.contentType, size: stored.size }], meta: { model: choice.modelName, prompt: body.topic, slides },
            },
            tx,
          );
          return { creationId: creation.id, result: { ppt_id: creation.id, file_key: stored.key, credits_used: creditsUsed, slides } };
        },
      );
      return { ppt_id: result.ppt_id as number, download_url: deps.fileUrl(result.file_key as string), credits_used: result.credits_used as number, slides: result.slides as number };
    },
  };
}

export type PptService = ReturnType<typeof createPptService>;
