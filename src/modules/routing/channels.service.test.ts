import { describe, expect, it } from 'vitest';
import { keyHint, normaliseBaseUrl } from './channels.service.ts';

describe('normaliseBaseUrl', () => {
  it.each([
    ['https://api.openai.com/v1', 'https://api.openai.com'],
    ['https://api.openai.com/v1/', 'https://api.openai.com'],
    ['https://api.openai.com/v1///', 'https://api.openai.com'],
    ['https://api.openai.com', 'https://api.openai.com'],
    ['https://api.openai.com/', 'https://api.openai.com'],
    ['https://proxy.example.com/openai/v1', 'https://proxy.example.com/openai'],
    ['https://proxy.example.com//v1', 'https://proxy.example.com'],
  ])('turns %s into %s', (input, expected) => {
    expect(normaliseBaseUrl(input)).toBe(expected);
  });

  it('keeps paths that merely start with v1', () => {
    expect(normaliseBaseUrl('https://generativelanguage.googleapis.com/v1beta')).toBe('https://generativelanguage.googleapis.com/v1beta');
    expect(normaliseBaseUrl('https://example.com/v1/openai')).toBe('https://example.com/v1/openai');
  });
});

describe('keyHint', () => {
  it('is "fp_" and the first 12 characters of the fingerprint', () => {
    expect(keyHint('0123456789abcdef0123456789abcdef')).toBe('fp_0123456789ab');
  });
});
