import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';

// Request bodies as the gateway validates them: the fields it relies on are checked, everything else passes through
// to the upstream untouched (new OpenAI parameters must not need a Tollgate release).

const Model = z.string().trim().min(1).max(256);
const MaxTokens = z.number().int().positive().max(10_000_000);
/** OpenAI's own bounds; each answer is held for in full (gateway/billing-plan.ts), so a larger `n` costs its holder. */
const Choices = z.number().int().min(1).max(128);
const StreamOptions = z.looseObject({ include_usage: z.boolean().optional() });

const Message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});

export const ChatBody = z.looseObject({
  model: Model,
  messages: z.array(Message).min(1),
  stream: z.boolean().optional(),
  stream_options: StreamOptions.nullish(),
  max_tokens: MaxTokens.nullish(),
  max_completion_tokens: MaxTokens.nullish(),
  n: Choices.nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
});

export const CompletionBody = z.looseObject({
  model: Model,
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  stream: z.boolean().optional(),
  stream_options: StreamOptions.nullish(),
  max_tokens: MaxTokens.nullish(),
  n: Choices.nullish(),
  /** The upstream generates `best_of` completions and bills them all, returning the best `n`. */
  best_of: z.number().int().min(1).max(20).nullish(),
});

export const EmbeddingBody = z.looseObject({
  model: Model,
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

export const ImageBody = z.looseObject({
  model: Model.default('dall-e-3'),
  prompt: z.string().min(1).max(32_000),
  n: z.number().int().min(1).max(10).nullish(),
  stream: z.literal(false).optional(),
});

const AnthropicBlock = z.looseObject({ type: z.string() });
export const MessagesBody = z.looseObject({
  model: Model,
  max_tokens: MaxTokens,
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(AnthropicBlock)]) })).min(1),
  system: z.union([z.string(), z.array(AnthropicBlock)]).optional(),
  stream: z.boolean().optional(),
});

export const ModelParams = z.object({ model: z.string().min(1) });

/** A served model as GET /v1/models lists it, with the price the buyer is shown (CNY per 1M tokens, 4 decimals). */
const ListedModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  pricing: z.object({
    currency: z.literal('CNY'),
    input_per_1m_tokens: z.number(),
    output_per_1m_tokens: z.number(),
    per_image: z.number().optional(),
  }),
});

export const ConsoleModelList = studioEnvelope(z.array(ListedModel));
