import { describe, expect, it } from 'vitest';
import { isErrorBody, policyFor, scrubFailure } from './upstream-failures.ts';

const KEY = 'sk-Q7mZ2xLp9VkT4wNr8RyK';

describe('policyFor: whom an upstream failure blames', () => {
  it.each([401, 402, 403])('blames the whole candidate for %i (the key itself is refused) and fails over', (status) => {
    expect(policyFor({ status, type: 'x' })).toEqual({ failOver: true, verdict: 'candidate' });
  });

  it('blames the whole candidate for a wrong key reported as a 400 (Gemini’s API_KEY_INVALID)', () => {
    expect(policyFor({ status: 400, type: 'authentication_error' })).toEqual({ failOver: true, verdict: 'candidate' });
  });

  it.each([408, 429, 500, 502, 503, 529])('blames only the model for %i and fails over', (status) => {
    expect(policyFor({ status, type: 'server_error' })).toEqual({ failOver: true, verdict: 'model' });
  });

  it.each([404, 409])('fails over on %i without counting it against anyone', (status) => {
    expect(policyFor({ status, type: 'invalid_request_error' })).toEqual({ failOver: true, verdict: 'uncounted' });
  });

  it.each([400, 413, 422])('returns %i to the client at once, uncounted', (status) => {
    expect(policyFor({ status, type: 'invalid_request_error' })).toEqual({ failOver: false, verdict: 'uncounted' });
  });
});

describe('scrubFailure: what of an upstream failure may leave', () => {
  it('keeps an allow-listed code and drops any other, the key above all', () => {
    expect(scrubFailure({ status: 400, message: 'too long', type: 'invalid_request_error', code: 'context_length_exceeded' }, KEY)).toEqual({
      status: 400, message: 'too long', code: 'context_length_exceeded',
    });
    expect(scrubFailure({ status: 400, message: 'bad', type: KEY, code: KEY }, KEY)).toEqual({ status: 400, message: 'bad' });
    expect(scrubFailure({ status: 400, message: 'bad', type: 'x', code: 'INVALID_ARGUMENT' }, KEY)).toEqual({ status: 400, message: 'bad' });
  });

  it('scrubs the key out of the message', () => {
    const out = scrubFailure({ status: 401, message: `Incorrect API key provided: ${KEY}.`, type: 'x' }, KEY);
    expect(out.message).toBe('Incorrect API key provided: [redacted].');
  });

  it('replaces a status that is not an HTTP error status (read from inside a body) with 502', () => {
    expect(scrubFailure({ status: KEY as unknown as number, message: 'm', type: 'x' }, KEY).status).toBe(502);
    expect(scrubFailure({ status: 200, message: 'm', type: 'x' }, KEY).status).toBe(502);
    expect(scrubFailure({ status: 529, message: 'm', type: 'x' }, KEY).status).toBe(529);
  });
});

describe('isErrorBody: a 2xx answer that is an error report', () => {
  it.each([
    ['OpenAI’s error shape', { error: { message: 'm', code: 'c' } }],
    ['a bare error string', { error: 'quota exhausted' }],
    ['Anthropic’s error shape', { type: 'error', error: { type: 'api_error', message: 'm' } }],
  ])('recognises %s', (_what, body) => {
    expect(isErrorBody(body)).toBe(true);
  });

  it.each([
    ['a chat completion', { choices: [], usage: {} }],
    ['an embeddings list', { object: 'list', data: [] }],
    ['an Anthropic message', { type: 'message', content: [] }],
    ['a chat completion with a null error field', { choices: [], error: null }],
    ['a list', []],
  ])('lets %s through', (_what, body) => {
    expect(isErrorBody(body)).toBe(false);
  });
});
