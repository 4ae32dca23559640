import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import { startFakeGemini } from '../../../test/fakes/gemini-upstream.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { WITHHELD_MESSAGE } from '../../platform/redact.ts';

// Upstreams quote the key they were given — in `message`, `code`, `param`, `type` and fields of their own, in error
// answers, in 200 answers that are error reports and inside streams. None of it may reach a client, a log line or a
// usage record: not the key, not any 4 characters of it (DESIGN.md §3). Each fake below echoes its key everywhere.

// Every 4-character window of these mixes character classes (checked below), so none occurs by chance in the
// gateway's own words, ids or headers: a window found in a response came from the key.
const OPENAI_KEY = 'sk-Q7mZ2xLp9VkT4wNr8RyK3hJ6';
const ANTHROPIC_KEY = 'sk-W5nR8tYq2ZkM6vXp9LsB4gH7';
const GEMINI_KEY = 'AIzaSy-T3kW9qP2vN7rX5mL8jQ4';
const KEYS = [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY];

const windowsOf = (key: string) => Array.from({ length: key.length - 3 }, (_, i) => key.slice(i, i + 4));
const leakedPieces = (text: string) => KEYS.flatMap(windowsOf).filter((piece) => text.includes(piece));

type Fake = 'openai' | 'anthropic' | 'gemini';

interface Case {
  name: string;
  fake: Fake;
  url: '/v1/chat/completions' | '/v1/completions' | '/v1/messages';
  body: Record<string, unknown>;
  status: number;
  /** What the client is told instead (for a JSON error) — never the upstream's words about the key. */
  message?: RegExp;
}

const chat = (model: string, content: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content }] });
const completion = (content: string, stream = false) => ({ model: 'gpt-3.5-turbo-instruct', prompt: content, stream });
const messages = (model: string, content: string, stream = false) => ({ model, max_tokens: 64, stream, messages: [{ role: 'user', content }] });

const WITHHELD = new RegExp(WITHHELD_MESSAGE.replace(/[.()]/g, '\\$&'));
const FAILED_OVER = /^All upstreams failed; last error: The upstream refused the request \(details withheld/;
const REPORTED = /^The upstream reported an error: The upstream refused the request \(details withheld/;

const CASES: Case[] = [
  // OpenAI-compatible upstream
  { name: 'chat: a 400 returned to the client at once', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'chat: a 401 on the failover path', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key:401]]'), status: 503, message: FAILED_OVER },
  { name: 'chat: a 500 on the failover path', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key:500]]'), status: 503, message: FAILED_OVER },
  { name: 'chat: an error report answered with 200', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key:200]]'), status: 502, message: REPORTED },
  { name: 'chat stream: a 400 before the first byte', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key:400]]', true), status: 400, message: WITHHELD },
  { name: 'chat stream: an error chunk inside the stream', fake: 'openai', url: '/v1/chat/completions', body: chat('gpt-4o-mini', 'x [[leak-key-stream]]', true), status: 200 },
  { name: 'completions: a 400', fake: 'openai', url: '/v1/completions', body: completion('x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'completions stream: an error chunk inside the stream', fake: 'openai', url: '/v1/completions', body: completion('x [[leak-key-stream]]', true), status: 200 },
  { name: 'messages (translated to chat): a 400', fake: 'openai', url: '/v1/messages', body: messages('gpt-4o-mini', 'x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'messages (translated to chat) stream: an error chunk inside the stream', fake: 'openai', url: '/v1/messages', body: messages('gpt-4o-mini', 'x [[leak-key-stream]]', true), status: 200 },
  // Anthropic upstream
  { name: 'messages: a 400 returned at once', fake: 'anthropic', url: '/v1/messages', body: messages('claude-sonnet-4-5', 'x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'messages: a 401 on the failover path', fake: 'anthropic', url: '/v1/messages', body: messages('claude-sonnet-4-5', 'x [[leak-key:401]]'), status: 503, message: FAILED_OVER },
  { name: 'messages: a 529 on the failover path', fake: 'anthropic', url: '/v1/messages', body: messages('claude-sonnet-4-5', 'x [[leak-key:529]]'), status: 503, message: FAILED_OVER },
  { name: 'messages: an error report answered with 200', fake: 'anthropic', url: '/v1/messages', body: messages('claude-sonnet-4-5', 'x [[leak-key:200]]'), status: 502, message: REPORTED },
  { name: 'messages stream: an error event inside the stream', fake: 'anthropic', url: '/v1/messages', body: messages('claude-sonnet-4-5', 'x [[leak-key-stream]]', true), status: 200 },
  { name: 'chat (translated from Anthropic): a 400', fake: 'anthropic', url: '/v1/chat/completions', body: chat('claude-sonnet-4-5', 'x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'chat (translated from Anthropic) stream: an error event inside the stream', fake: 'anthropic', url: '/v1/chat/completions', body: chat('claude-sonnet-4-5', 'x [[leak-key-stream]]', true), status: 200 },
  // Gemini
  { name: 'chat (Gemini): a 400', fake: 'gemini', url: '/v1/chat/completions', body: chat('gemini-2.5-flash', 'x [[leak-key:400]]'), status: 400, message: WITHHELD },
  { name: 'chat (Gemini) stream: an error inside the stream, its code the key', fake: 'gemini', url: '/v1/chat/completions', body: chat('gemini-2.5-flash', 'x [[leak-key-stream]]', true), status: 200 },
];

describe.each(DB_TIERS)('no upstream key in any error on $name', (tier) => {
  let g: GatewayHarness;
  const fakes = {} as Record<Fake, FakeUpstream>;
  let buyer: Buyer;

  beforeAll(async () => {
    [fakes.openai, fakes.anthropic, fakes.gemini] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), startFakeGemini()]);
    g = await startGateway(tier, {
      // No circuit may open during the suite: every case must reach its upstream.
      env: { PROVIDER_BASE_URL_ANTHROPIC: fakes.anthropic.url, PROVIDER_BASE_URL_GEMINI: fakes.gemini.url, CIRCUIT_FAILURE_THRESHOLD: '1000' },
    });
    await g.addChannel({ endpoint: fakes.openai.url, key: OPENAI_KEY });
    await g.addChannel({ provider: 'anthropic', endpoint: '', key: ANTHROPIC_KEY });
    await g.addChannel({ provider: 'gemini', endpoint: '', key: GEMINI_KEY });
    buyer = await g.buyer(1000);
  });
  afterAll(async () => {
    await g?.close();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  it('uses keys whose every 4-character window mixes character classes (so a window found is a leak)', () => {
    for (const piece of KEYS.flatMap(windowsOf)) {
      expect([/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(piece)).length, piece).toBeGreaterThanOrEqual(2);
    }
  });

  it.each(CASES)('$name', async (c) => {
    const seen = fakes[c.fake].requests.length;
    const auth = c.url === '/v1/messages' ? { 'x-api-key': buyer.key } : { authorization: `Bearer ${buyer.key}` };
    const res = await g.t.request({ method: 'POST', url: c.url, headers: auth, payload: c.body });
    // The upstream was asked (not skipped by a circuit) and quoted its key.
    expect(fakes[c.fake].requests.length).toBeGreaterThan(seen);
    expect(res.statusCode, res.body).toBe(c.status);
    expect(leakedPieces(res.body)).toEqual([]);
    expect(leakedPieces(JSON.stringify(res.headers))).toEqual([]);
    if (c.status === 200) return expectStreamEndsWithError(c, res.body);
    const body = res.json();
    if (c.url === '/v1/messages') {
      expect(Object.keys(body)).toEqual(['type', 'error']);
      expect(Object.keys(body.error)).toEqual(['type', 'message']);
      expect(body.error.message).toMatch(c.message as RegExp);
    } else {
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error.message).toMatch(c.message as RegExp);
      expect(body.error.param).toBeNull();
    }
  });

  it('keeps the keys out of every log line and usage record too', async () => {
    // Failures are recorded off the response path: give them a moment.
    await new Promise((r) => setTimeout(r, 300));
    const rows = JSON.stringify(await g.usageRows(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(rows).toContain('details withheld');
    expect(leakedPieces(rows)).toEqual([]);
    expect(leakedPieces(g.t.logs.join('\n'))).toEqual([]);
  });
});

/** A stream the upstream broke: it ends with the gateway's own error event, in the client's format. */
function expectStreamEndsWithError(c: Case, body: string) {
  const events = body.split('\n\n').filter(Boolean);
  const last = events.at(-1) as string;
  expect(body).not.toContain('[DONE]');
  if (c.url === '/v1/messages') {
    expect(last.startsWith('event: error\n')).toBe(true);
    const data = JSON.parse(last.slice(last.indexOf('data: ') + 6));
    expect(data).toEqual({ type: 'error', error: { type: expect.any(String), message: expect.stringMatching(/^The upstream failed mid-stream/) } });
  } else {
    const data = JSON.parse(last.slice('data: '.length));
    expect(data).toEqual({ error: { message: expect.stringMatching(/^The upstream failed mid-stream/), type: 'server_error', code: 'upstream_error', param: null } });
  }
}
