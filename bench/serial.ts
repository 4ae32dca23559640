import { Agent, request } from 'undici';

// One client, one keep-alive connection, one request at a time: the round trip each hop adds when nothing queues.
// Reads every body to its end (a stream to `[DONE]`), as a client does before it calls the answer complete.

export interface SerialResult {
  requests: number;
  /** Round trip, microseconds. */
  p50: number;
  p99: number;
}

const WARM_UP = 300;

export async function serial(url: string, key: string | undefined, stream: boolean, requests: number): Promise<SerialResult> {
  const agent = new Agent({ connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'Say something about toll gates please.' }] });
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const times: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + requests; i += 1) {
      const started = process.hrtime.bigint();
      const res = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body, dispatcher: agent });
      const text = await res.body.text();
      const took = Number(process.hrtime.bigint() - started) / 1_000;
      if (res.statusCode !== 200) throw new Error(`serial run against ${url}: ${res.statusCode} ${text.slice(0, 200)}`);
      if (i >= WARM_UP) times.push(took);
    }
  } finally {
    await agent.close();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { requests, p50: at(0.5), p99: at(0.99) };
}
