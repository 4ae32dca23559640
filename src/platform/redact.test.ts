import { describe, expect, it } from 'vitest';
import { redactCredential, WITHHELD_MESSAGE as WITHHELD } from './redact.ts';

const CREDENTIAL = 'sk-proj-Q7mZ2xLp9VbT4wNc';

describe('redactCredential: the credential itself', () => {
  it('cuts out the exact credential', () => {
    const out = redactCredential(`Incorrect API key provided: ${CREDENTIAL}. You can find your API key in your account.`, CREDENTIAL);
    expect(out).toBe('Incorrect API key provided: [redacted]. You can find your API key in your account.');
  });

  it('cuts out every occurrence of it', () => {
    const out = redactCredential(`${CREDENTIAL} / ${CREDENTIAL}`, CREDENTIAL);
    expect(out).not.toContain('Q7mZ');
    expect(out.match(/\[redacted\]/g)).toHaveLength(2);
  });

  it('cuts out a credential that is not key-shaped (an Azure-style hex key)', () => {
    const hex = '3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6';
    const out = redactCredential(`Access denied due to invalid subscription key ${hex}.`, hex);
    expect(out).not.toContain(hex.slice(0, 6));
    expect(out).toContain('Access denied');
  });

  it('leaves a message that quotes nothing alone', () => {
    const message = 'Rate limit reached for gpt-4o in organization org-abc on tokens per min. Please try again in 20s.';
    expect(redactCredential(message, CREDENTIAL)).toBe(message);
  });

  it('works without a credential', () => {
    expect(redactCredential('The server had an error while processing your request.', '')).toBe('The server had an error while processing your request.');
  });
});

describe('redactCredential: key-shaped tokens', () => {
  it.each([
    ['an OpenAI project key', 'sk-proj-abcdefGHIJKL0123456789'],
    ['an Anthropic key', 'sk-ant-api03-AbCdEf0123456789'],
    ['a masked key', 'sk-abc***xyz'],
    ['a masked key with the prefix kept', 'sk-pro************4wNc'],
    ['a key masked right after its prefix', 'sk*********4wNc'],
    ['a Qianfan key', 'bce-v3/ALTAK-abc123/def456'],
    ['a Google key', 'AIzaSyA1b2C3d4E5f6G7h8I9j0'],
    ['an unprefixed random key', 'a1B2c3D4e5F6g7H8i9J0k1L2'],
  ])('removes %s, even when it is not ours', (_what, token) => {
    expect(redactCredential(`Incorrect API key provided: ${token} (check your key)`, CREDENTIAL)).toBe('Incorrect API key provided: [redacted] (check your key)');
  });
});

describe('redactCredential: pieces of the credential', () => {
  it('withholds a message quoting a distinctive piece of the credential', () => {
    expect(redactCredential('Your key ends in Lp9VbT, which is not valid.', CREDENTIAL)).toBe(WITHHELD);
  });

  it('withholds a message quoting a piece from the middle of the credential', () => {
    expect(redactCredential('key "Q7mZ2x" rejected', CREDENTIAL)).toBe(WITHHELD);
  });

  it('keeps ordinary words that happen to match a plain lowercase run of the credential', () => {
    const credential = 'AbC9upstream7Z';
    const message = 'The upstream service is unavailable, stream closed.';
    expect(redactCredential(message, credential)).toBe(message);
  });

  it('keeps ordinary words that merely start like a key prefix', () => {
    const message = 'Request skipped: keystrokes were too sketchy for the akimbo parser.';
    expect(redactCredential(message, CREDENTIAL)).toBe(message);
  });

  it('withholds a message quoting the last 4 characters of the credential', () => {
    expect(redactCredential('The key ending in 4wNc was revoked.', CREDENTIAL)).toBe(WITHHELD);
  });

  it('withholds a message quoting a 4-character piece from the middle of the credential', () => {
    expect(redactCredential('error code Q7mZ', CREDENTIAL)).toBe(WITHHELD);
  });

  it('keeps a piece shorter than 4 characters', () => {
    expect(redactCredential('error code Q7m', CREDENTIAL)).toBe('error code Q7m');
  });

  it('keeps words that match only the public prefix every key of the provider has (`sk-proj-`)', () => {
    const message = 'The model o1-pro is not available on the projects plan.';
    expect(redactCredential(message, CREDENTIAL)).toBe(message);
  });

  it('still withholds a window that reaches past the public prefix into the key material', () => {
    expect(redactCredential('key "oj-Q7" refused', CREDENTIAL)).toBe(WITHHELD);
  });
});

describe('redactCredential: length', () => {
  it('cuts a long message (an HTML error page) after scrubbing it', () => {
    const out = redactCredential(`<html>${'x'.repeat(2_000)} ${CREDENTIAL}</html>`, CREDENTIAL);
    expect(out.length).toBeLessThanOrEqual(501);
    expect(out).not.toContain('4wNc');
  });
});
