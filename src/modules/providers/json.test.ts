import { describe, expect, it } from 'vitest';
import { namesValue } from './json.ts';

describe('namesValue', () => {
  it('finds a key with a value, whatever the spacing', () => {
    expect(namesValue('{"usage":{"prompt_tokens":1}}', 'usage')).toBe(true);
    expect(namesValue('{ "usage" : \n {"prompt_tokens":1}}', 'usage')).toBe(true);
    expect(namesValue('{"error":"bad key sk-abc"}', 'error')).toBe(true);
    expect(namesValue('{"usage":0}', 'usage')).toBe(true);
  });

  it('a null value, an absent key or the word inside a string is no value', () => {
    expect(namesValue('{"choices":[],"usage":null}', 'usage')).toBe(false);
    expect(namesValue('{"usage" :  null}', 'usage')).toBe(false);
    expect(namesValue('{"choices":[{"delta":{"content":"the \\"usage\\": {1} of it"}}]}', 'usage')).toBe(false);
    expect(namesValue('{"content":"usage"}', 'usage')).toBe(false);
    expect(namesValue('{"x":1}', 'usage')).toBe(false);
    expect(namesValue('', 'usage')).toBe(false);
  });

  it('looks past a null occurrence to a later one with a value', () => {
    expect(namesValue('{"a":{"usage":null},"usage":{"total_tokens":3}}', 'usage')).toBe(true);
    expect(namesValue('{"usage":null,"b":"\\"usage\\""}', 'usage')).toBe(false);
  });

  it('text cut right after the key is no value', () => {
    expect(namesValue('{"usage"', 'usage')).toBe(false);
    expect(namesValue('{"usage":', 'usage')).toBe(true);
  });
});
