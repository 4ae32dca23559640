import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { formatStudioTime } from '../../platform/time.ts';

// After the first byte there is no failover: an upstream that fails mid-stream ends the client's stream with an error
// event in the client's own format, and the tokens generated up to then are charged. Every request — served or not —
// reaches the usage views, the legacy `/1/usages` included.

describe.each(DB_TIERS)('gateway streams and usage views on $name', (tier) => {
  let g: GatewayHarness;
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let buyer: Buyer;

  beforeAll(async () => {
    [openai, anthropic] = await Promise.all([startFakeOpenAi(), startFakeAnthropic()]);
    g = await startGateway(tier, { env: { GATEWAY_IDLE_TIMEOUT_MS: '300', PROVIDER_BASE_URL_ANTHROPIC: anthropic.url } });
    await g.addChannel({ endpoint: openai.url });
    await g.addChannel({ provider: 'anthropic', endpoint: '' });
    buyer = await g.buyer(100);
  });
  afterAll(async () => {
    await g?.close();
    await Promise.all([openai?.close(), anthropic?.close()]);
  });

  const stream = (url: string, payload: object, headers: Record<string, string> = {}) =>
    g.t.request({ method: 'POST', url, headers: { authorization: `Bearer ${buyer.key}`, ...headers }, payload: { stream: true, ...payload } });

  async function lastRow() {
    await new Promise((r) => setTimeout(r, 50));
    return (await g.usageRows()).at(-1);
  }

  it('ends an OpenAI stream with an error event when the upstream goes silent, without [DONE]', async () => {
    const res = await stream('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hang up on me [[stall]]' }] });
    expect(res.statusCode).toBe(200);
    const events = res.body.split('\n\n').filter(Boolean);
    expect(events[0]).toContain('chat.completion.chunk');
    expect(events.at(-1)).toContain('"error"');
    expect(JSON.parse((events.at(-1) as string).slice('data: '.length))).toMatchObject({ error: { type: 'server_error', code: 'upstream_error' } });
    expect(res.body).not.toContain('[DONE]');
    expect(await lastRow()).toMatchObject({ status: 'error', httpStatus: 200, usageEstimated: true });
  });

  it('ends an Anthropic stream with an error event when the upstream reports one mid-stream, and charges what was generated', async () => {
    const before = await g.walletMicros(buyer.id);
    const res = await stream('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'overload me [[stream-error]]' }] }, { 'anthropic-version': '2023-06-01' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('event: message_start');
    expect(res.body).toContain('event: error');
    expect(res.body).not.toContain('event: message_stop');
    const row = await lastRow();
    expect(row).toMatchObject({ model: 'claude-sonnet-4-5', operation: 'messages', status: 'error' });
    expect(before - (await g.walletMicros(buyer.id))).toBe(row?.costMicros);
  });

  it('relays a character whose bytes arrive in two pieces intact', async () => {
    const res = await stream('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'in pieces [[utf8-split]]' }] });
    const content = res.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => (JSON.parse(e.slice('data: '.length)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
      .join('');
    expect(content).not.toContain('\uFFFD');
    expect(content.split(' ')).toHaveLength(12);
    for (const word of content.split(' ')) expect(word).toMatch(/^[A-Za-z]+通行$/);
  });

  it('shows gateway requests in /api/v1/usage and in the legacy /1/usages', async () => {
    const res = await buyer.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'count me in' }] });
    const mine = await g.t.request({ method: 'GET', url: '/api/v1/usage?page_size=100', headers: buyer.auth });
    const item = mine.json().data.items.find((i: { request_id: string; status: string; model: string }) => i.status === 'success' && i.model === 'gpt-4o-mini');
    expect(item).toMatchObject({ prompt_tokens: res.usage?.prompt_tokens, completion_tokens: res.usage?.completion_tokens, upstream: expect.stringMatching(/^channel:\d+$/) });
    const today = formatStudioTime(new Date()).slice(0, 10);
    const legacy = await g.t.request({ method: 'GET', url: `/1/usages?from=${today}&to=${today}`, headers: { authorization: `Bearer ${g.rootToken}` } });
    const row = legacy.json().find((u: { userId: number }) => u.userId === buyer.id);
    const recorded = (await g.usageRows()).filter((r) => r.userId === buyer.id);
    expect(row.totalUnit).toBe(recorded.reduce((s, r) => s + r.tokensIn + r.tokensOut, 0));
    expect(Number(row.cost)).toBeCloseTo(Number(recorded.reduce((s, r) => s + r.costMicros, 0n)) / 1e6, 6);
  });
});
