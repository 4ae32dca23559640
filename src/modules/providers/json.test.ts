import { describe, expect, it } from 'vitest';
import { valueScanner } from './json.ts';

const usage = valueScanner('usage');
const error = valueScanner('error');

describe('valueScanner', () => {
  it('finds a key with a value, whatever the spacing', () => {
    expect(usage('{"usage":{"prompt_tokens":1}}')).toBe(true);
    expect(usage('{ "usage" : \n {"prompt_tokens":1}}')).toBe(true);
    expect(error('{"error":"bad key sk-abc"}')).toBe(true);
    expect(usage('{"usage":0}')).toBe(true);
  });

  it('a null value, an absent key or the word inside a string is no value', () => {
    expect(usage('{"choices":[],"usage":null}')).toBe(false);
    expect(usage('{"usage" :  null}')).toBe(false);
    expect(usage('{"choices":[{"delta":{"content":"the \\"usage\\": {1} of it"}}]}')).toBe(false);
    expect(usage('{"content":"usage"}')).toBe(false);
    expect(usage('{"x":1}')).toBe(false);
    expect(usage('')).toBe(false);
  });

  it('looks past a null occurrence to a later one with a value', () => {
    expect(usage('{"a":{"usage":null},"usage":{"total_tokens":3}}')).toBe(true);
    expect(usage('{"usage":null,"b":"\\"usage\\""}')).toBe(false);
  });

  it('text cut right after the key is no value', () => {
    expect(usage('{"usage"')).toBe(false);
    expect(usage('{"usage":')).toBe(true);
  });

  it('tests several keys in one pass, and takes plain keys only', () => {
    const either = valueScanner('usage', 'error');
    expect(either('{"choices":[],"usage":null}')).toBe(false);
    expect(either('{"error":{"message":"x"}}')).toBe(true);
    expect(either('{"usage":{"total_tokens":3}}')).toBe(true);
    expect(() => valueScanner('a|b')).toThrow(/plain key/);
  });
});
