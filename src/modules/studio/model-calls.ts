import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { AppError } from '../../platform/errors.ts';
import { responseText, settledUsage } from '../gateway/billing-plan.ts';
import type { Exchange, Gateway } from '../gateway/gateway.service.ts';
import { RelayFailed } from '../gateway/relay.ts';
import { readJsonAnswer } from '../gateway/respond-json.ts';
import { scrubFailure } from '../gateway/upstream-failures.ts';
import type { Payer } from '../metering/payers.ts';
import type { TokenUsage } from '../providers/types.ts';
import { GenerationFailed } from './generations.service.ts';

// The studio's model calls go through the gateway's router and meter like any /v1 request, on platform `studio`,
// paid by the platform's own buyer (users.systemUser): supplier packages serve them and earn from them. What the
// creator pays is credits (generations.service.ts); these charges are what the platform owes upstreams.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatCall {
  /** The generation id (one gateway charge per call: suffix it when a generation makes several). */
  requestId: string;
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  /** Asks for JSON output where the upstream supports it. */
  json?: boolean;
  signal: AbortSignal;
  /** Streams the answer: called with each piece of text as it arrives. */
  onDelta?: (text: string) => void;
}

export interface ChatResult {
  text: string;
  usage: TokenUsage;
  /** The caller's signal fired mid-stream: `text` is what was generated until then (and what was charged). */
  aborted: boolean;
  finishReason?: string;
}

export interface ImageCall {
  requestId: string;
  model: string;
  prompt: string;
  size: string;
  signal: AbortSignal;
}

export function createStudioModels(deps: { gateway: Gateway; payer: () => Promise<Payer> }) {
  async function run<T>(requestId: string, model: string, op: 'chat' | 'images', body: Record<string, unknown>, signal: AbortSignal, respond: (x: Exchange) => Promise<T>): Promise<T> {
    const payer = await deps.payer();
    try {
      return await deps.gateway.run({ requestId, payer, model, op, body, platform: 'studio', signal }, respond);
    } catch (err) {
      if (err instanceof GenerationFailed) throw err;
      // Gateway errors (no upstream, every upstream failed, rate limits) carry only scrubbed words.
      if (err instanceof RelayFailed) throw new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${err.error.message}`);
      if (err instanceof AppError) throw new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${err.message}`);
      throw err;
    }
  }

  /** A non-streamed answer, read as the gateway reads one (respond-json.ts), kept for the studio instead of sent. */
  async function readJson(x: Exchange): Promise<unknown> {
    let parsed;
    try {
      parsed = await readJsonAnswer(x);
    } catch (err) {
      throw err instanceof AppError ? new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${err.message}`) : err;
    }
    const { usage, estimated } = await settledUsage(parsed.usage, x.clientBody, () => responseText(parsed.body));
    const images = x.op === 'images' ? ((parsed.body as { data?: unknown[] }).data?.length ?? 0) : 0;
    await x.settle({ status: 'success', usage, estimated, images, httpStatus: 200 });
    return parsed.body;
  }

  /** A streamed answer: deltas to the caller as they arrive; charged for what was generated, however it ends. */
  async function readStream(x: Exchange, signal: AbortSignal, onDelta: (text: string) => void): Promise<ChatResult> {
    const { candidate } = x.served.attempt;
    await x.open();
    const ctx = { clientModel: x.model, responseId: `chatcmpl-${x.requestId}`, created: Math.floor(x.startedAt / 1000), clientWantsUsage: true };
    const translator = candidate.adapter.streamTranslator(x.served.op, ctx);
    let text = '';
    let finishReason: string | undefined;
    const take = (data: string) => {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown }; finish_reason?: string | null }[] };
      const choice = chunk.choices?.[0];
      if (typeof choice?.delta?.content === 'string' && choice.delta.content) {
        text += choice.delta.content;
        onDelta(choice.delta.content);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    };
    const parser = createParser({ onEvent: (ev) => translator.push({ event: ev.event, data: ev.data }).forEach((e) => take(e.data)) });
    let broken: string | undefined;
    const decoder = new StringDecoder('utf8');
    try {
      for await (const chunk of x.served.response.body) parser.feed(decoder.write(chunk));
      translator.end().forEach((e) => take(e.data));
    } catch (err) {
      if (!signal.aborted) broken = (err as Error).message || 'upstream stream failed';
    }
    const upstreamError = translator.error?.();
    if (upstreamError) broken = scrubFailure(upstreamError, candidate.credential()).message;
    if (broken) x.reportFailure('model');
    const aborted = signal.aborted;
    const { usage, estimated } = await settledUsage(translator.usage(), x.clientBody, () => translator.text());
    await x.settle({
      status: aborted ? 'aborted' : broken ? 'error' : 'success', usage, estimated, images: 0, httpStatus: 200,
      errorMessage: aborted ? 'client closed the stream' : broken,
    });
    if (broken && !aborted) throw new GenerationFailed('AI_SERVICE_FAILED', `AI服务调用失败：${broken}`);
    return { text, usage, aborted, finishReason };
  }

  return {
    async chat(c: ChatCall): Promise<ChatResult> {
      const body: Record<string, unknown> = { model: c.model, messages: c.messages, max_tokens: c.maxTokens, stream: c.onDelta !== undefined };
      if (c.temperature !== undefined) body.temperature = c.temperature;
      if (c.json) body.response_format = { type: 'json_object' };
      if (c.onDelta) return run(c.requestId, c.model, 'chat', body, c.signal, (x) => readStream(x, c.signal, c.onDelta as (t: string) => void));
      return run(c.requestId, c.model, 'chat', body, c.signal, async (x) => {
        const answer = (await readJson(x)) as { choices?: { message?: { content?: unknown }; finish_reason?: string }[]; usage?: { prompt_tokens?: number; completion_tokens?: number } };
        const choice = answer.choices?.[0];
        const text = typeof choice?.message?.content === 'string' ? choice.message.content : '';
        const usage = { promptTokens: answer.usage?.prompt_tokens ?? 0, completionTokens: answer.usage?.completion_tokens ?? 0 };
        return { text, usage, aborted: false, finishReason: choice?.finish_reason };
      });
    },

    /** OpenAI images format: the links (or base64 data) the upstream returned; the caller copies them to the file store. */
    async images(c: ImageCall): Promise<{ urls: string[]; b64: string[] }> {
      const body = { model: c.model, prompt: c.prompt, size: c.size, n: 1 };
      return run(c.requestId, c.model, 'images', body, c.signal, async (x) => {
        const answer = (await readJson(x)) as { data?: { url?: unknown; b64_json?: unknown }[] };
        const data = answer.data ?? [];
        return {
          urls: data.flatMap((d) => (typeof d.url === 'string' ? [d.url] : [])),
          b64: data.flatMap((d) => (typeof d.b64_json === 'string' ? [d.b64_json] : [])),
        };
      });
    },
  };
}

export type StudioModels = ReturnType<typeof createStudioModels>;
