import { describe, expect, it } from 'vitest';
import type { FastifyReply } from 'fastify';
import { ClientSignal } from '../../platform/cancel-signal.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { UpstreamBody } from '../providers/types.ts';
import type { Exchange } from './gateway.service.ts';
import { respondStream } from './respond-stream.ts';

// How a stream reaches the client's socket: events as they arrive, each read in its own write; an answer that had all
// arrived when it was read, in one write with its end — after its charge, as every end.

const event = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;

/** An upstream body of `reads`, each read only after the one before has been handled; `complete` from the start or not. */
function upstreamBody(reads: string[], complete: boolean): UpstreamBody {
  return {
    complete,
    async *[Symbol.asyncIterator]() {
      for (const r of reads) yield Buffer.from(r);
    },
    text: async () => reads.join(''),
    destroy: () => undefined,
  };
}

async function relay(reads: string[], complete: boolean) {
  const socket: { op: 'write' | 'end'; text: string; settled: boolean }[] = [];
  let settled = false;
  const raw = {
    destroyed: false,
    writeHead: () => raw,
    write: (text: string) => (socket.push({ op: 'write', text, settled }), true),
    end: (text: string) => void socket.push({ op: 'end', text, settled }),
  };
  const reply = { raw, hijack: () => undefined, request: { id: 'req-1', url: '/v1/chat/completions' } } as unknown as FastifyReply;
  const x = {
    requestId: 'req-1', model: 'gpt-4o-mini', op: 'chat', clientBody: { model: 'gpt-4o-mini', messages: [] }, clientWantsUsage: false, startedAt: 0,
    served: { op: 'chat', attempts: 1, firstByteMs: 1, attempt: { candidate: { adapter: ADAPTERS.openai, credential: () => 'sk-upstream' } }, response: { statusCode: 200, headers: {}, body: upstreamBody(reads, complete) } },
    open: async () => undefined,
    settle: async () => void (settled = true),
    reportFailure: () => undefined,
  } as unknown as Exchange;
  await respondStream(reply, x, new ClientSignal());
  return socket;
}

describe('respondStream', () => {
  it('writes each read as it comes, and the end after the charge', async () => {
    const socket = await relay([event('Hel'), event('lo') + USAGE], false);
    expect(socket.map((s) => s.op)).toEqual(['write', 'write', 'end']);
    expect(socket[0]?.text).toContain('"Hel"');
    expect(socket.at(-1)).toMatchObject({ settled: true, text: 'data: [DONE]\n\n' });
  });

  it('sends an answer that had all arrived in one write with its end, after the charge', async () => {
    const socket = await relay([event('Hel') + event('lo') + USAGE], true);
    expect(socket).toHaveLength(1);
    expect(socket[0]).toMatchObject({ op: 'end', settled: true });
    expect(socket[0]?.text).toContain('"Hel"');
    expect(socket[0]?.text).toContain('"lo"');
    expect(socket[0]?.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(socket[0]?.text).not.toContain('prompt_tokens'); // the usage chunk the client did not ask for
  });
});
