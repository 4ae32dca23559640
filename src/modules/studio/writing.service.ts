import type { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { CreationService } from './creations.service.ts';
import { GenerationFailed, type Generations } from './generations.service.ts';
import type { StudioModels } from './model-calls.ts';
import { chooseModel } from './model-choice.ts';
import type { ModelRegistry } from './models.service.ts';
import { publicTool, writingTool, WRITING_TOOLS, type Locale, type ToolInput, type WritingTool } from './writing/registry.ts';

// A writing tool run: validate the tool's own fields, hold the credits, ask the model (streamed or not), save the
// creation and settle — or release on any failure. A client that goes away mid-stream keeps what was written as a
// `truncated` creation (never a final one) and pays no credits; the platform still pays the upstream for the tokens.

export interface WritingResult {
  creation_id: number | null;
  content: string;
  credits_used: number;
  truncated: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface WritingRun {
  idempotencyKey?: string;
  signal: AbortSignal;
  onDelta?: (text: string) => void;
}

/** zod issues → the 400 every other route gives for a bad body. */
function invalid(error: z.ZodError): AppError {
  const issues = error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0];
  return new AppError('VALIDATION_FAILED', `Invalid request: ${first?.path}: ${first?.message}`, { field: first?.path, issues });
}

export function createWritingService(deps: { generations: Generations; models: StudioModels; registry: ModelRegistry; creations: CreationService; ttlMs: number }) {
  const { generations, creations } = deps;

  function toolOf(type: string): WritingTool {
    const tool = writingTool(type);
    if (!tool) throw notFound('Writing tool');
    return tool;
  }

  return {
    tools: (locale: Locale) => WRITING_TOOLS.map((t) => publicTool(t, locale)),

    /** Validates before anything is held: a bad body changes nothing. */
    parse(type: string, body: Record<string, unknown>): { tool: WritingTool; input: ToolInput; modelId?: number } {
      const tool = toolOf(type);
      const { model_id: modelId, ...fields } = body;
      const parsed = tool.input.safeParse(fields);
      if (!parsed.success) throw invalid(parsed.error);
      return { tool, input: parsed.data, modelId: modelId as number | undefined };
    },

    async generate(userId: number, type: string, body: Record<string, unknown>, run: WritingRun): Promise<WritingResult> {
      const { tool, input, modelId } = this.parse(type, body);
      const choice = await chooseModel(deps.registry, modelId, tool);
      const begun = await generations.begin({
        userId, kind: 'writing', toolType: tool.type, idempotencyKey: run.idempotencyKey, input: { ...input }, credits: choice.credits,
        modelId: choice.modelId, modelName: choice.modelName, ttlMs: deps.ttlMs, description: `${tool.name}生成`,
      });
      if (begun.replayed) return { ...(begun.gen.result as unknown as WritingResult), truncated: false };
      const gen = begun.gen;
      await generations.running(gen.id);
      const prompt = tool.prompt(input);
      let out;
      try {
        out = await deps.models.chat({
          requestId: gen.id, model: choice.modelName, temperature: choice.temperature, signal: run.signal, onDelta: run.onDelta,
          maxTokens: Math.min(tool.maxOutputTokens, choice.maxTokens ?? Infinity),
          messages: [{ role: 'system', content: prompt.system }, { role: 'user', content: prompt.user }],
        });
      } catch (err) {
        const failure = generations.failureOf(err, gen.id);
        await generations.fail(gen.id, { code: failure.code === 'AI_SERVICE_FAILED' ? 40006 : 40007, message: failure.message });
        throw failure;
      }
      const usage = { prompt_tokens: out.usage.promptTokens, completion_tokens: out.usage.completionTokens };
      const meta = { model: choice.modelName, tool_version: String(tool.version) };
      if (out.aborted) {
        await generations.fail(gen.id, { code: 40007, message: 'The client went away before the text was finished' });
        const saved = out.text
          ? await creations.save({ userId, type: 'writing', toolType: tool.type, title: tool.title(input), content: out.text, status: 'truncated', meta })
          : undefined;
        return { creation_id: saved?.id ?? null, content: out.text, credits_used: 0, truncated: true, usage };
      }
      if (out.finishReason === 'content_filter' || !out.text.trim()) {
        await generations.fail(gen.id, { code: 40007, message: 'The model returned no content' });
        throw new GenerationFailed('GENERATION_FAILED', out.text.trim() ? '内容未通过安全审核，积分已退还' : '模型没有返回内容，积分已退还');
      }
      const save = (tx?: Db) =>
        creations.save({ userId, type: 'writing', toolType: tool.type, title: tool.title(input), content: out.text, generationId: gen.id, meta }, tx);
      const { gen: done, closed } = await generations.succeed(gen.id, async (creditsUsed, tx) => {
        const creation = await save(tx);
        return { creationId: creation.id, result: { creation_id: creation.id, content: out.text, credits_used: creditsUsed } };
      });
      // Released meanwhile (past its TTL): the text is the user's all the same, and nothing was charged for it.
      if (!closed || !done) return { creation_id: (await save()).id, content: out.text, credits_used: 0, truncated: false, usage };
      return { ...(done.result as unknown as WritingResult), truncated: false, usage };
    },
  };
}

export type WritingService = ReturnType<typeof createWritingService>;
