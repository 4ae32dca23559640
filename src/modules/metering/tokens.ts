// The tokenizer fallback (DESIGN.md §5): when an upstream reports no usage, tokens are counted with OpenAI's o200k
// encoding. Loaded on first use — its tables are large and most requests never need them.

type Counter = (text: string) => number;
let counter: Promise<Counter> | undefined;

export async function countTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens as Counter);
  return (await counter)(text);
}

/** The text of a chat/completions/embeddings request, for counting its prompt when the upstream did not. */
export function promptText(body: Record<string, unknown>): string {
  const parts: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Image parts are not text: their URLs are skipped (their tokens are the provider's to report).
      // An assistant turn's tool calls are prompt too: `tool_calls[].function.arguments` (`function_call` before them).
      for (const key of ['content', 'text', 'input', 'prompt', 'system', 'messages', 'tool_calls', 'function', 'function_call', 'arguments']) {
        if (key in o) visit(o[key]);
      }
    }
  };
  for (const key of ['messages', 'prompt', 'input', 'system']) visit(body[key]);
  return parts.join('\n');
}

/**
 * A quick upper estimate of the text tokens of a request for the hold, without tokenizing: one token per two bytes of
 * the body (English runs about four bytes a token, CJK three bytes a token or less). `imageChars`, the part of the body
 * that is images (URLs, base64 data), is left out: images are counted by their provider's rules (image-tokens.ts).
 */
export const estimatePromptTokens = (bodyBytes: number, imageChars = 0) => Math.ceil(Math.max(0, bodyBytes - imageChars) / 2);
