import { describe, expect, it } from 'vitest';
import { envelopeKindFor, renderError, supplyErrorCode } from './envelopes.ts';
import { AppError } from './errors.ts';
import { requestIdFor } from './http.ts';

describe('envelopeKindFor', () => {
  it.each([
    ['/v1/chat/completions', 'openai'],
    ['/v1', 'openai'],
    ['/v1?x=1', 'openai'],
    ['/v1/messages', 'anthropic'],
    ['/v1/messages?beta=true', 'anthropic'],
    ['/v1/messages/count_tokens', 'anthropic'],
    ['/v1/messagesx', 'openai'],
    ['/1?x=/api/v1/supply/', 'legacy'],
    ['/v10/x', 'studio'],
    ['/api/v1/supply/accounts/1', 'supply'],
    ['/api/v1/supplier/billing', 'supply'],
    ['/api/v1/supplyx', 'studio'],
    ['/1/users', 'legacy'],
    ['/1', 'legacy'],
    ['/10/users', 'studio'],
    ['/api/v1/auth/login', 'studio'],
    ['/healthz', 'studio'],
  ])('%s → %s', (url, kind) => {
    expect(envelopeKindFor(url)).toBe(kind);
  });
});

describe('renderError', () => {
  const notFound = new AppError('NOT_FOUND', 'Nothing here');
  const invalid = new AppError('VALIDATION_FAILED', 'Invalid request: body.email: bad', { field: 'body.email' });

  it('renders the OpenAI shape under /v1 with a typed error and the field as param', () => {
    expect(renderError('/v1/x', 'req_1', notFound)).toEqual({
      status: 404,
      body: { error: { message: 'Nothing here', type: 'invalid_request_error', code: 'not_found', param: null } },
    });
    expect(renderError('/v1/x', 'req_1', invalid).body).toMatchObject({ error: { param: 'body.email' } });
    expect(renderError('/v1/x', 'req_1', new AppError('RATE_LIMITED', 'slow down')).body).toMatchObject({
      error: { type: 'rate_limit_error' },
    });
    expect(renderError('/v1/x', 'req_1', new AppError('INTERNAL', 'boom')).body).toMatchObject({ error: { type: 'server_error' } });
  });

  it('renders Anthropic’s shape on /v1/messages, with the type Anthropic uses for each status', () => {
    expect(renderError('/v1/messages', 'req_1', invalid)).toEqual({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'Invalid request: body.email: bad' } },
    });
    const typeOf = (code: ConstructorParameters<typeof AppError>[0]) =>
      (renderError('/v1/messages', 'r', new AppError(code, 'm')).body as { error: { type: string } }).error.type;
    expect(typeOf('UNAUTHENTICATED')).toBe('authentication_error');
    expect(typeOf('PAYMENT_REQUIRED')).toBe('billing_error');
    expect(typeOf('FORBIDDEN')).toBe('permission_error');
    expect(typeOf('NOT_FOUND')).toBe('not_found_error');
    expect(typeOf('PAYLOAD_TOO_LARGE')).toBe('request_too_large');
    expect(typeOf('RATE_LIMITED')).toBe('rate_limit_error');
    expect(typeOf('INTERNAL')).toBe('api_error');
    expect(typeOf('BAD_GATEWAY')).toBe('api_error');
    expect(typeOf('SERVICE_UNAVAILABLE')).toBe('overloaded_error');
    expect(typeOf('GATEWAY_TIMEOUT')).toBe('timeout_error');
    expect(typeOf('UNPROCESSABLE')).toBe('invalid_request_error');
    // OpenAI's fields never leak into Anthropic's shape; an explicit Anthropic type wins over the status's.
    const upstream = new AppError('BAD_GATEWAY', 'm', { openaiCode: 'upstream_error', openaiType: 'server_error', anthropicType: 'overloaded_error' });
    expect(renderError('/v1/messages', 'r', upstream).body).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'm' } });
  });

  it('renders the supply shape with the request id and a SUP_<AREA>_<status>1 code', () => {
    expect(renderError('/api/v1/supply/accounts/7', 'req_2', notFound)).toEqual({
      status: 404,
      body: { request_id: 'req_2', error: { code: 'SUP_ACC_4041', message: 'Nothing here', details: {} } },
    });
    expect(supplyErrorCode('/api/v1/supply/packages', 400)).toBe('SUP_PKG_4001');
    expect(supplyErrorCode('/api/v1/supply/settlements/1', 409)).toBe('SUP_SET_4091');
    expect(supplyErrorCode('/api/v1/supply/earnings', 401)).toBe('SUP_EARN_4011');
    expect(supplyErrorCode('/api/v1/supplier/billing/x', 404)).toBe('SUP_BILL_4041');
    expect(supplyErrorCode('/api/v1/supply/admin/settlements/3/process', 409)).toBe('SUP_SET_4091');
    expect(supplyErrorCode('/api/v1/supply/admin/earnings', 400)).toBe('SUP_EARN_4001');
    expect(renderError('/api/v1/supply/packages', 'r', invalid).body).toMatchObject({
      error: { code: 'SUP_PKG_4001', details: { field: 'body.email' } },
    });
  });

  it('renders the legacy shape as a bare error string with the real status', () => {
    expect(renderError('/1/users', 'r', notFound)).toEqual({ status: 404, body: { error: 'Nothing here' } });
  });

  it('renders the studio shape with the HTTP status or the business code', () => {
    expect(renderError('/api/v1/x', 'r', notFound)).toEqual({ status: 404, body: { code: 404, message: 'Nothing here', data: null } });
    expect(renderError('/api/v1/x', 'r', new AppError('INSUFFICIENT_CREDITS', '积分不足'))).toEqual({
      status: 400,
      body: { code: 40001, message: '积分不足', data: null },
    });
  });
});

describe('requestIdFor', () => {
  const idFor = (value?: string | string[]) => requestIdFor({ headers: { 'x-request-id': value } });

  it('keeps a sane client id', () => {
    expect(idFor('abc-123_DEF.x:y')).toBe('abc-123_DEF.x:y');
    expect(idFor('a'.repeat(128))).toBe('a'.repeat(128));
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['too long', 'a'.repeat(129)],
    ['spaces', 'a b'],
    ['newline', 'a\nb'],
    ['quotes', 'a"b'],
    ['braces', '${jndi:x}'],
    ['non-ASCII', 'ид'],
    ['sent twice', ['a', 'b']],
  ])('mints a fresh id when the client one is %s', (_name, value) => {
    const id = idFor(value);
    expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(idFor(value)).not.toBe(id);
  });
});
