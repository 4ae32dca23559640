import { describe, expect, it } from 'vitest';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('hashes with argon2id and a fresh salt each time', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse 1'), hashPassword('correct horse 1')]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse 1');
  });

  it('verifies the right password and refuses any other', async () => {
    const hash = await hashPassword('correct horse 1');
    expect(await verifyPassword(hash, 'correct horse 1')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse 2')).toBe(false);
    expect(await verifyPassword(hash, 'Correct horse 1')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });

  it('answers false, not an exception, for a corrupt stored hash', async () => {
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
    expect(await verifyPassword('', 'anything')).toBe(false);
  });

  it('handles non-ASCII passwords byte for byte', async () => {
    const hash = await hashPassword('密码很安全🔒');
    expect(await verifyPassword(hash, '密码很安全🔒')).toBe(true);
    expect(await verifyPassword(hash, '密码很安全')).toBe(false);
  });

  it('runs the decoy check for unknown users without throwing', async () => {
    await expect(burnPasswordCheck('whatever')).resolves.toBeUndefined();
  });
});
