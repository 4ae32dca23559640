import type { TokenUsage } from '../types.ts';

/** OpenAI's `usage` object (chat, completions, embeddings; images report input/output tokens) as token counts. */
export function usageOf(raw: unknown): TokenUsage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const prompt = num(u.prompt_tokens) ?? num(u.input_tokens);
  const completion = num(u.completion_tokens) ?? num(u.output_tokens);
  if (prompt === undefined && completion === undefined) {
    const total = num(u.total_tokens);
    return total === undefined ? undefined : { promptTokens: total, completionTokens: 0 };
  }
  return { promptTokens: prompt ?? 0, completionTokens: completion ?? 0 };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
