import { createParser, type EventSourceMessage } from 'eventsource-parser';

// Server-sent events from a fetch body. EventSource cannot POST or send an Authorization header, so the console reads
// the stream itself: bytes → text (a UTF-8 character may be split across chunks) → events. Comment lines (`: ping`,
// the server's heartbeat that keeps proxies from cutting an idle stream) are dropped by the parser.

export type SseEvent = EventSourceMessage;

/** The events of `body` in order; stops reading (and releases the connection) when the caller stops iterating. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
    }
    parser.feed(decoder.decode());
    yield* pending.splice(0);
  } finally {
    // After a `done` event the caller returns early: cancel rather than leave the body half read.
    await reader.cancel().catch(() => undefined);
  }
}
