import { StringDecoder } from 'node:string_decoder';
import type { FastifyReply } from 'fastify';
import { createParser } from 'eventsource-parser';
import { chatStreamToMessages } from '../providers/anthropic/inbound.ts';
import { renderError } from '../../platform/envelopes.ts';
import type { SseEvent, StreamTranslator } from '../providers/types.ts';
import type { Verdict } from '../routing/router.ts';
import { settledUsage } from './billing-plan.ts';
import type { CancelSignal } from '../../platform/cancel-signal.ts';
import { upstreamFailedMidStream } from './gateway.errors.ts';
import type { Exchange } from './gateway.service.ts';
import { policyFor, scrubFailure, type ScrubbedFailure } from './upstream-failures.ts';

// A streamed answer. Its opening charge (the prompt) is journaled before the first byte; events go to the client as
// they arrive (no buffering; an answer already all here goes in one write with its end); usage is read on the way;
// the end of the stream (`[DONE]`, or Anthropic's `message_stop`) is written only after the charge is durable. A
// client that goes away is charged for what was generated up to then; an upstream that fails mid-stream gets an error
// event.

const sse = (e: SseEvent) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`;

export async function respondStream(reply: FastifyReply, x: Exchange, signal: CancelSignal): Promise<void> {
  const { candidate } = x.served.attempt;
  const raw = reply.raw;
  reply.hijack();
  // What the stream costs if it is cut from here on is durable before the client sees a byte.
  await x.open();
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

  /** Why the stream broke: the message for the usage record, what the client may see, and whom it blames. */
  let failure: { message: string; reported?: ScrubbedFailure; verdict: Verdict } | undefined;
  // A character split across two chunks is held back until it is whole; 3× cheaper than TextDecoder's stream mode
  // (0.65 against 1.9 µs for a 2.5 kB chunk).
  const decoder = new StringDecoder('utf8');
  const body = x.served.response.body;
  try {
    for await (const chunk of body) {
      parser.feed(decoder.write(chunk));
      // An answer that has all arrived (a short one, in one read) goes out in one write with its end, below: one
      // socket write fewer (≈ 10 µs of the event loop's time on this host); it waits only for its charge's journal
      // write, which the end waits for anyway.
      if (out && !body.complete) {
        const ok = raw.write(out);
        out = '';
        if (!ok && !signal.aborted) await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
      }
    }
    emit(translator.end());
  } catch (err) {
    // The socket's own errors (idle timeout, reset) carry no upstream words.
    if (!signal.aborted) failure = { message: (err as Error).message || 'upstream stream failed', verdict: 'model' };
  }
  const upstreamError = translator.error?.();
  if (upstreamError) {
    // Upstreams quote keys in their errors: only the scrubbed report reaches the client and the usage record.
    const reported = scrubFailure(upstreamError, candidate.credential());
    failure = { message: reported.message, reported, verdict: policyFor(upstreamError).verdict };
  }
  if (failure) x.reportFailure(failure.verdict);

  const aborted = signal.aborted;
  const reported = translator.usage();
  const settled = settledUsage(reported, x.clientBody, () => translator.text());
  const { usage, estimated } = settled instanceof Promise ? await settled : settled;
  await x.settle({
    status: aborted ? 'aborted' : failure ? 'error' : 'success',
    usage,
    estimated,
    images: 0,
    httpStatus: 200,
    errorMessage: aborted ? 'client closed the stream' : failure?.message,
  });
  if (aborted || raw.destroyed) return;
  if (toMessages) for (const m of toMessages.end()) queue(m);
  if (failure) {
    // In the client's own error shape (envelopes.ts decides by path: OpenAI's, or Anthropic's on /v1/messages).
    const { body } = renderError(reply.request.url, reply.request.id, upstreamFailedMidStream(failure.reported));
    out += sse({ event: x.op === 'messages' ? 'error' : undefined, data: JSON.stringify(body) });
  } else {
    for (const e of held) out += sse(e);
    if (x.op !== 'messages') out += 'data: [DONE]\n\n';
  }
  raw.end(out);
}
