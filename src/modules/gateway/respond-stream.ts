import type { FastifyReply } from 'fastify';
import { createParser } from 'eventsource-parser';
import { chatStreamToMessages } from '../providers/anthropic/inbound.ts';
import type { SseEvent, StreamTranslator } from '../providers/types.ts';
import { settledUsage } from './billing-plan.ts';
import { redactCredential } from './redact.ts';
import type { Exchange } from './gateway.service.ts';

// A streamed answer. Events go to the client as they arrive (no buffering); usage is read on the way; the end of the
// stream (`[DONE]`, or Anthropic's `message_stop`) is written only after the charge is durable. A client that goes
// away is charged for what was generated up to then; an upstream that fails mid-stream gets an error event.

const sse = (e: SseEvent) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`;

export async function respondStream(reply: FastifyReply, x: Exchange, signal: AbortSignal): Promise<void> {
  const { candidate } = x.served.attempt;
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': reply.request.id,
    'x-accel-buffering': 'no',
  });
  const translated = x.op === 'messages' && x.served.op === 'chat';
  // A translated Messages stream needs the usage chunk itself: Anthropic's message_delta reports output tokens.
  const ctx = { clientModel: x.model, responseId: `chatcmpl-${x.requestId}`, created: Math.floor(x.startedAt / 1000), clientWantsUsage: x.clientWantsUsage || translated };
  const translator: StreamTranslator = candidate.adapter.streamTranslator(x.served.op, ctx);
  const toMessages = translated ? chatStreamToMessages({ clientModel: x.model, responseId: `msg_${x.requestId}` }) : undefined;
  const held: SseEvent[] = [];
  let out = '';

  const emit = (events: SseEvent[]) => {
    for (const e of events) {
      if (toMessages) {
        for (const m of toMessages.push(JSON.parse(e.data))) queue(m);
      } else queue(e);
    }
  };
  const queue = (e: SseEvent) => {
    if (e.event === 'message_stop') held.push(e);
    else out += sse(e);
  };
  const parser = createParser({ onEvent: (ev) => emit(translator.push({ event: ev.event, data: ev.data })) });

  let failure: string | undefined;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of x.served.response.body) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (out) {
        const ok = raw.write(out);
        out = '';
        if (!ok && !signal.aborted) await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
      }
    }
    emit(translator.end());
  } catch (err) {
    if (!signal.aborted) failure = (err as Error).message || 'upstream stream failed';
  }
  const upstreamError = translator.error?.();
  // Recorded in the usage log: upstreams quote keys in their errors, so it is scrubbed like any upstream message.
  if (upstreamError) failure = redactCredential(upstreamError.message, candidate.credential());
  if (failure) x.reportStreamFailure();

  const aborted = signal.aborted;
  const reported = translator.usage();
  const { usage, estimated } = await settledUsage(reported, x.clientBody, () => translator.text());
  await x.settle({
    status: aborted ? 'aborted' : failure ? 'error' : 'success',
    usage,
    estimated,
    images: 0,
    httpStatus: 200,
    errorMessage: aborted ? 'client closed the stream' : failure,
  });
  if (aborted || raw.destroyed) return;
  if (toMessages) for (const m of toMessages.end()) queue(m);
  if (failure) {
    out += x.op === 'messages'
      ? sse({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'The upstream failed mid-stream.' } }) })
      : sse({ data: JSON.stringify({ error: { message: 'The upstream failed mid-stream.', type: 'server_error', code: 'upstream_error', param: null } }) });
  } else {
    for (const e of held) out += sse(e);
    if (x.op !== 'messages') out += 'data: [DONE]\n\n';
  }
  raw.end(out);
}
