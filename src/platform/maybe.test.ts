import { describe, expect, it } from 'vitest';
import { andThen } from './maybe.ts';

describe('andThen', () => {
  it('applies the function at once to a value at hand, with no promise', () => {
    expect(andThen(2, (n) => n * 3)).toBe(6);
  });

  it('applies it after a promise resolves', async () => {
    const out = andThen(Promise.resolve(2), (n) => n * 3);
    expect(out).toBeInstanceOf(Promise);
    expect(await out).toBe(6);
  });

  it('turns a throw on a value at hand into a rejection, as after a promise', async () => {
    const boom = () => {
      throw new Error('refused');
    };
    const now = andThen(1, boom);
    expect(now).toBeInstanceOf(Promise);
    await expect(now).rejects.toThrow('refused');
    await expect(andThen(Promise.resolve(1), boom)).rejects.toThrow('refused');
  });
});
