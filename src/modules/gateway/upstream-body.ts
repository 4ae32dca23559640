import type { Dispatcher } from 'undici';
import { abortError, type CancelSignal } from '../../platform/cancel-signal.ts';
import type { UpstreamBody, UpstreamResponse } from '../providers/types.ts';

// One upstream exchange straight through undici's dispatcher, with one handler per request, instead of undici's
// `request()` — which wraps every answer in a Node Readable stream and its machinery. Measured with a local server and
// 16 concurrent clients (20 000 requests, a 250-byte JSON answer read whole): 14.7 µs of client CPU a request against
// 18.5 µs through `request()`. The body is read whole (`text()`) or chunk by chunk (`for await`), with backpressure:
// the socket is paused while more than HIGH_WATER bytes wait unread.

const HIGH_WATER = 64 * 1024;

/** Resolves with the answer once its headers have arrived; rejects with undici's error (or the abort) before that. */
export function dispatchExchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: CancelSignal): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const body = new AnswerBody();
    let started = false;
    const onAbort = () => body.controller?.abort(abortError());
    const finished = () => signal.removeEventListener('abort', onAbort);
    signal.addEventListener('abort', onAbort, { once: true });

    dispatcher.dispatch(options, {
      onRequestStart(c) {
        body.controller = c;
        if (signal.aborted) c.abort(abortError());
      },
      onResponseStart(_c, statusCode, headers) {
        started = true;
        resolve({ statusCode, headers: headers as UpstreamResponse['headers'], body });
      },
      onResponseData(_c, chunk) {
        body.push(chunk);
      },
      onResponseEnd() {
        finished();
        body.end();
      },
      onResponseError(_c, err) {
        finished();
        if (started) body.fail(err);
        else reject(err);
      },
    });
  });
}

class AnswerBody implements UpstreamBody {
  controller?: Dispatcher.DispatchController;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  private failure?: Error;
  /** `text()` takes everything: nothing is held back. */
  private whole = false;
  private wake?: () => void;

  get complete(): boolean {
    return this.done && !this.failure;
  }

  push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (!this.whole && this.buffered > HIGH_WATER) this.controller?.pause();
    this.notify();
  }

  end() {
    this.done = true;
    this.notify();
  }

  fail(err: Error) {
    if (this.done) return;
    this.failure = err;
    this.done = true;
    this.notify();
  }

  async text(): Promise<string> {
    this.whole = true;
    this.controller?.resume();
    while (!this.done) await this.next();
    if (this.failure) throw this.failure;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    return all.toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk) {
          this.buffered -= chunk.length;
          if (this.buffered <= HIGH_WATER) this.controller?.resume();
          yield chunk;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.done) return;
        await this.next();
      }
    } finally {
      // A reader that stops early (a break, a throw) leaves the rest unread: the connection cannot be reused.
      if (!this.done) this.destroy();
    }
  }

  destroy() {
    if (this.done) return;
    const discarded = new Error('upstream body discarded');
    this.fail(discarded);
    this.controller?.abort(discarded);
  }

  private next(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
