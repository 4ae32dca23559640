import http from 'node:http';

// The benchmark's upstream: an OpenAI chat endpoint that answers at once, so what is measured is the proxies.
// Non-stream: one JSON body. Stream: 10 content chunks, a finish chunk, the usage chunk when asked, `[DONE]` — and, as
// OpenAI does when usage is asked for, `"usage":null` in every other chunk.

const words = ['Tollgate', ' relays', ' every', ' token', ' exactly', ' once', ' and', ' bills', ' it', ' precisely'];
const usage = { prompt_tokens: 9, completion_tokens: 10, total_tokens: 19 };
const completion = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }], usage,
});
const chunk = (delta: object, finish: string | null, withUsage: boolean) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) })}\n\n`;
const streamBody = (withUsage: boolean) =>
  [chunk({ role: 'assistant', content: '' }, null, withUsage), ...words.map((w) => chunk({ content: w }, null, withUsage)), chunk({}, 'stop', withUsage)].join('');
const streamBodies = { plain: streamBody(false), withUsage: streamBody(true) };
const usageChunk = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [], usage })}\n\n`;

export function startMockUpstream(port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString() || '{}') as { stream?: boolean; stream_options?: { include_usage?: boolean } };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(completion);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const withUsage = body.stream_options?.include_usage === true;
      res.end(`${withUsage ? streamBodies.withUsage : streamBodies.plain}${withUsage ? usageChunk : ''}data: [DONE]\n\n`);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startMockUpstream(Number(process.env.PORT));
  process.send?.('ready');
}
