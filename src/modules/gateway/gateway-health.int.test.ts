import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIAL_MARKERS, sendJson, startFakeServer, type FakeUpstream, type RecordedRequest } from '../../../test/fakes/upstream.ts';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// Health per (candidate, model): one buyer asking for a model the channel's key cannot use, or sending requests the
// upstream refuses, must not take the channel offline for everyone else. Only the upstream's own failures count: a 5xx
// against that model, a refused key against the whole channel.

/**
 * An OpenAI-compatible upstream whose key may not use `gpt-4o` (404, as OpenAI answers), which finds every `gpt-4.1`
 * request invalid (400), which is down for `o4-mini` (500), and which serves everything else. A key carrying the
 * `refused` marker is refused on every call (401).
 */
async function startPickyUpstream(): Promise<FakeUpstream> {
  return startFakeServer((req: RecordedRequest, res) => {
    const model = (req.body as { model?: string }).model;
    const openAiError = (status: number, message: string, code: string) => sendJson(res, status, { error: { message, type: 'invalid_request_error', param: null, code } });
    if (String(req.headers.authorization).includes(CREDENTIAL_MARKERS.refused)) return openAiError(401, 'Incorrect API key provided.', 'invalid_api_key');
    if (model === 'gpt-4o') return openAiError(404, 'The model `gpt-4o` does not exist or you do not have access to it.', 'model_not_found');
    if (model === 'gpt-4.1') return openAiError(400, "Invalid value for 'temperature'.", 'invalid_value');
    if (model === 'o4-mini') return sendJson(res, 500, { error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
    sendJson(res, 200, {
      id: 'chatcmpl-picky', object: 'chat.completion', created: 1, model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'served' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
}

describe.each(DB_TIERS)('health per (candidate, model) on $name', (tier) => {
  let g: GatewayHarness;
  let picky: FakeUpstream;
  let buyer: Buyer;
  const clock = fakeClock(new Date());
  const channels: number[] = [];

  beforeAll(async () => {
    picky = await startPickyUpstream();
    g = await startGateway(tier, { clock, env: { CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_COOLDOWN_MS: '60000' } });
    buyer = await g.buyer(1000);
  });
  afterAll(async () => {
    await g?.close();
    await picky?.close();
  });
  beforeEach(async () => {
    for (const id of channels.splice(0)) await g.removeChannel(id);
    // Past every cool-down an earlier test may have started.
    clock.advance(120_000);
  });

  const ask = (model: string) =>
    g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model, messages: [{ role: 'user', content: 'hi' }] } });
  const hitsFor = (model: string) => picky.requests.filter((r) => (r.body as { model?: string }).model === model).length;

  it('keeps serving the channel’s other models after 12 calls refused for one model (404), each still asked upstream', async () => {
    channels.push(await g.addChannel({ endpoint: picky.url }));
    for (let i = 0; i < 12; i += 1) {
      const res = await ask('gpt-4o');
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
    }
    expect(hitsFor('gpt-4o')).toBe(12);
    expect((await ask('gpt-4o-mini')).statusCode).toBe(200);
    // Not even that model's circuit opened: the 13th request is asked upstream too.
    await ask('gpt-4o');
    expect(hitsFor('gpt-4o')).toBe(13);
  });

  it('keeps serving the channel after 12 requests the upstream found invalid (400)', async () => {
    channels.push(await g.addChannel({ endpoint: picky.url }));
    for (let i = 0; i < 12; i += 1) expect((await ask('gpt-4.1')).statusCode).toBe(400);
    const before = hitsFor('gpt-4.1');
    expect((await ask('gpt-4o-mini')).statusCode).toBe(200);
    expect((await ask('gpt-4.1')).statusCode).toBe(400);
    expect(hitsFor('gpt-4.1')).toBe(before + 1);
  });

  it('fails a 404 over to another channel that has the model, without counting it against the first', async () => {
    const healthy = await startFakeServer((req, res) =>
      sendJson(res, 200, {
        id: 'chatcmpl-ok', object: 'chat.completion', created: 1, model: (req.body as { model: string }).model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }));
    try {
      channels.push(await g.addChannel({ endpoint: picky.url }), await g.addChannel({ endpoint: healthy.url }));
      const before = hitsFor('gpt-4o');
      for (let i = 0; i < 12; i += 1) expect((await ask('gpt-4o')).statusCode).toBe(200);
      // Equal prices, random order: the refusing channel went first about half the time, and was never skipped.
      expect(hitsFor('gpt-4o') - before).toBeGreaterThan(0);
    } finally {
      await healthy.close();
    }
  });

  it('opens the circuit of a model the upstream fails at (5xx) and of that model only', async () => {
    channels.push(await g.addChannel({ endpoint: picky.url }));
    for (let i = 0; i < 3; i += 1) expect((await ask('o4-mini')).statusCode).toBe(503);
    const hits = hitsFor('o4-mini');
    const skipped = await ask('o4-mini');
    expect(skipped.statusCode).toBe(503);
    expect(skipped.json().error.message).toMatch(/No upstream is available/);
    expect(hitsFor('o4-mini')).toBe(hits);
    expect((await ask('gpt-4o-mini')).statusCode).toBe(200);
  });

  it('opens the whole channel’s circuit when the upstream refuses its key (401): every model is skipped', async () => {
    channels.push(await g.addChannel({ endpoint: picky.url, key: `${CREDENTIAL_MARKERS.refused}refused-key-0001` }));
    for (let i = 0; i < 3; i += 1) expect((await ask('gpt-4o-mini')).statusCode).toBe(503);
    const hits = picky.requests.length;
    const other = await ask('gpt-4.1-mini');
    expect(other.statusCode).toBe(503);
    expect(other.json().error.message).toMatch(/No upstream is available/);
    expect(picky.requests.length).toBe(hits);
  });
});
