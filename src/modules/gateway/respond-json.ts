import type { FastifyReply } from 'fastify';
import { chatToMessage } from '../providers/anthropic/inbound.ts';
import { responseText, settledUsage } from './billing-plan.ts';
import { badUpstreamBody, upstreamReportedError } from './gateway.errors.ts';
import type { Exchange } from './gateway.service.ts';
import { isErrorBody, scrubFailure } from './upstream-failures.ts';
import type { TokenUsage } from '../providers/types.ts';

/**
 * A non-streamed answer read and parsed by the serving adapter. An unreadable body or an error report in a 2xx is
 * charged as an error (nothing) and thrown as the client's error, with only scrubbed words and an allowed code.
 */
export async function readJsonAnswer(x: Exchange): Promise<{ body: unknown; usage?: TokenUsage }> {
  const { candidate } = x.served.attempt;
  const text = await x.served.response.body.text();
  let upstreamBody: unknown;
  try {
    upstreamBody = JSON.parse(text);
  } catch {
    await x.settle({ status: 'error', usage: { promptTokens: 0, completionTokens: 0 }, estimated: false, images: 0, httpStatus: 502, errorMessage: 'unreadable upstream body' });
    throw badUpstreamBody();
  }
  if (isErrorBody(upstreamBody)) {
    const failure = scrubFailure(candidate.adapter.parseError(502, text), candidate.credential());
    x.reportFailure('model');
    await x.settle({ status: 'error', usage: { promptTokens: 0, completionTokens: 0 }, estimated: false, images: 0, httpStatus: 502, errorMessage: failure.message });
    throw upstreamReportedError(failure);
  }
  const ctx = { clientModel: x.model, responseId: `chatcmpl-${x.requestId}`, created: Math.floor(x.startedAt / 1000), clientWantsUsage: x.clientWantsUsage };
  return candidate.adapter.parseResponse(x.served.op, upstreamBody, ctx);
}

/** A non-streamed answer: read, translate, charge (durably), then send. */
export async function respondJson(reply: FastifyReply, x: Exchange): Promise<void> {
  const parsed = await readJsonAnswer(x);
  const translated = x.op === 'messages' && x.served.op === 'chat';
  const body = translated ? chatToMessage(parsed.body, x.model, `msg_${x.requestId}`) : parsed.body;
  const settled = settledUsage(parsed.usage, x.clientBody, () => responseText(body));
  const { usage, estimated } = settled instanceof Promise ? await settled : settled;
  if (x.op === 'embeddings') shapeEmbeddings(body, x.clientBody, usage.promptTokens);
  const images = x.op === 'images' ? ((body as { data?: unknown[] }).data?.length ?? 0) : 0;
  await x.settle({ status: 'success', usage, estimated, images, httpStatus: 200 });
  // Not awaited: a reply is thenable until the response has finished, which nothing here needs to wait for.
  reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * Embeddings from a translating adapter come back as float arrays; a client that asked for `encoding_format: base64`
 * (the openai SDK's default) gets little-endian float32 in base64, as OpenAI sends. The usage we counted is filled in
 * where the upstream reported none.
 */
function shapeEmbeddings(body: unknown, clientBody: Record<string, unknown>, promptTokens: number) {
  const b = body as { data?: { embedding?: unknown }[]; usage?: { prompt_tokens?: number; total_tokens?: number } };
  if (clientBody.encoding_format === 'base64') {
    for (const item of b.data ?? []) {
      if (Array.isArray(item.embedding)) item.embedding = Buffer.from(new Float32Array(item.embedding as number[]).buffer).toString('base64');
    }
  }
  if (!b.usage?.prompt_tokens) b.usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
}
