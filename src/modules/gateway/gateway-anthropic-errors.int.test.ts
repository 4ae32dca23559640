import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// `/v1/messages` answers every error in Anthropic's shape — `{"type":"error","error":{"type","message"}}` with
// Anthropic's error type for the status — whether Tollgate refuses the request (auth, quota, model, validation, rate
// limit, route) or the upstream fails. The official SDK must raise its own error classes for them.

const model = 'claude-sonnet-4-0';
const hello = { model, max_tokens: 32, messages: [{ role: 'user' as const, content: 'hello' }] };

describe.each(DB_TIERS)('Anthropic errors on /v1/messages on $name', (tier) => {
  let g: GatewayHarness;
  let upstream: FakeUpstream;
  let buyer: Buyer;
  let client: Anthropic;

  beforeAll(async () => {
    upstream = await startFakeAnthropic();
    g = await startGateway(tier, { env: { PROVIDER_BASE_URL_ANTHROPIC: upstream.url, CIRCUIT_FAILURE_THRESHOLD: '1000' } });
    await g.addChannel({ provider: 'anthropic', endpoint: '' });
    buyer = await g.buyer(1000);
    client = new Anthropic({ apiKey: buyer.key, baseURL: g.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await g?.close();
    await upstream?.close();
  });

  const anthropicAs = (opts: ConstructorParameters<typeof Anthropic>[0]) => new Anthropic({ baseURL: g.url, maxRetries: 0, ...opts });
  const raw = (payload: unknown, headers: Record<string, string> = { 'x-api-key': buyer.key }, url = '/v1/messages') =>
    g.t.request({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });

  /** The SDK's rejection, for its class and fields. */
  async function sdkError(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
    const err = await call.then(() => undefined, (e: unknown) => e);
    if (!(err instanceof Anthropic.APIError)) throw new Error(`expected an APIError, got ${String(err)}`);
    // Exactly Anthropic's body: nothing of OpenAI's shape (`code`, `param`) around it.
    expect(err.error).toEqual({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    return err;
  }

  describe('Tollgate’s own refusals', () => {
    it('answers a request without any key with a 401 authentication_error, in exactly Anthropic’s shape', async () => {
      const res = await raw(hello, {});
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('x-api-key') } });
    });

    it('raises AuthenticationError for a wrong x-api-key and for a wrong Bearer token', async () => {
      for (const c of [anthropicAs({ apiKey: 'sk-not-a-tollgate-key' }), anthropicAs({ authToken: 'sk-not-a-tollgate-key' })]) {
        const err = await sdkError(c.messages.create(hello));
        expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
        expect(err.status).toBe(401);
        expect(err.type).toBe('authentication_error');
        expect(err.apiMessage).toBe('Invalid API key');
      }
    });

    it('raises PaymentRequiredError (billing_error) when the buyer cannot pay', async () => {
      const broke = await g.buyer(0);
      const err = await sdkError(anthropicAs({ apiKey: broke.key }).messages.create(hello));
      expect(err).toBeInstanceOf(Anthropic.PaymentRequiredError);
      expect(err.type).toBe('billing_error');
      expect(err.apiMessage).toEqual(expect.any(String));
    });

    it('raises NotFoundError (not_found_error) for a model no one serves', async () => {
      const err = await sdkError(client.messages.create({ ...hello, model: 'claude-nonexistent-9' }));
      expect(err).toBeInstanceOf(Anthropic.NotFoundError);
      expect(err.type).toBe('not_found_error');
      expect(err.apiMessage).toBe('The model `claude-nonexistent-9` does not exist or you do not have access to it.');
    });

    it('raises PermissionDeniedError (permission_error) for a model the key may not use', async () => {
      const res = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'gpt only', allowed_models: ['gpt-4o'] } });
      const err = await sdkError(anthropicAs({ apiKey: res.json().data.key }).messages.create(hello));
      expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(err.type).toBe('permission_error');
    });

    it('raises BadRequestError (invalid_request_error) for a body that fails validation, and the raw body is exact', async () => {
      const err = await sdkError(client.messages.create({ model, messages: hello.messages } as unknown as Anthropic.MessageCreateParamsNonStreaming));
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect(err.type).toBe('invalid_request_error');
      expect(err.apiMessage).toMatch(/max_tokens/);
      const res = await raw({ model, messages: [] });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^Invalid request: body\.(max_tokens|messages)/) } });
    });

    it('answers malformed JSON with invalid_request_error', async () => {
      const res = await g.t.request({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': buyer.key, 'content-type': 'application/json' }, payload: '{"model":' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'Request body is not valid JSON' } });
    });

    it('raises RateLimitError (rate_limit_error) when the key is over its requests per minute', async () => {
      const res = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'slow', rate_limit_rpm: 1 } });
      const slow = anthropicAs({ apiKey: res.json().data.key });
      await slow.messages.create(hello);
      const err = await sdkError(slow.messages.create(hello));
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      expect(err.type).toBe('rate_limit_error');
      expect(err.headers?.get('retry-after')).toMatch(/^\d+$/);
    });

    it('answers an unknown route under /v1/messages with not_found_error', async () => {
      const res = await raw(hello, { 'x-api-key': buyer.key }, '/v1/messages/batches');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'No route for POST /v1/messages/batches' } });
    });

    it('keeps OpenAI’s shape on the OpenAI routes', async () => {
      const res = await g.t.request({ method: 'POST', url: '/v1/chat/completions', payload: { model, messages: hello.messages } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', code: 'invalid_api_key', param: null } });
    });
  });

  describe('upstream failures', () => {
    const ask = (content: string) => client.messages.create({ ...hello, messages: [{ role: 'user', content }] });

    it('relays an upstream 400 as BadRequestError with the upstream’s message', async () => {
      const err = await sdkError(ask('bad [[status:400]]'));
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect(err.type).toBe('invalid_request_error');
      expect(err.apiMessage).toBe('fake upstream answered 400');
    });

    it('relays an upstream 413 as request_too_large', async () => {
      const err = await sdkError(ask('big [[status:413]]'));
      expect(err).toBeInstanceOf(Anthropic.ContentTooLargeError);
      expect(err.error).toEqual({ type: 'error', error: { type: 'request_too_large', message: 'fake upstream answered 413' } });
    });

    it('raises RateLimitError when every upstream is rate limiting', async () => {
      const err = await sdkError(ask('busy [[status:429]]'));
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      expect(err.type).toBe('rate_limit_error');
    });

    it('raises an overloaded_error (503) when every upstream is overloaded', async () => {
      const err = await sdkError(ask('busy [[status:529]]'));
      expect(err).toBeInstanceOf(Anthropic.ServiceUnavailableError);
      expect(err.type).toBe('overloaded_error');
      expect(err.apiMessage).toMatch(/^All upstreams failed; last error: fake upstream answered 529/);
    });

    it('ends a stream the upstream breaks with an error event the SDK raises as an overloaded_error', async () => {
      const stream = client.messages.stream({ ...hello, messages: [{ role: 'user', content: 'overload me [[stream-error]]' }] });
      const err = await stream.finalMessage().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: { type: 'overloaded_error', message: 'The upstream failed mid-stream: Overloaded' },
      });
    });
  });
});
