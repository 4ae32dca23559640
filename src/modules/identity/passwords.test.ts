import { describe, expect, it } from 'vitest';
import { OWASP_MEMORY_KIB } from '../../config.ts';
import { createPasswords } from './passwords.ts';

describe('passwords', () => {
  const passwords = createPasswords();

  it('hashes with argon2id at OWASP’s minimum by default, and a fresh salt each time', async () => {
    const [a, b] = await Promise.all([passwords.hash('correct horse 1'), passwords.hash('correct horse 1')]);
    expect(a).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${OWASP_MEMORY_KIB},t=2,p=1\\$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse 1');
  });

  it('hashes with the memory it is given, and verifies a hash made at another cost', async () => {
    const light = createPasswords({ memoryKib: 1024 });
    const hash = await light.hash('correct horse 1');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=2,p=1\$/);
    expect(await passwords.verify(hash, 'correct horse 1')).toBe(true);
    expect(await light.verify(await passwords.hash('correct horse 1'), 'correct horse 1')).toBe(true);
  });

  it('verifies the right password and refuses any other', async () => {
    const hash = await passwords.hash('correct horse 1');
    expect(await passwords.verify(hash, 'correct horse 1')).toBe(true);
    expect(await passwords.verify(hash, 'correct horse 2')).toBe(false);
    expect(await passwords.verify(hash, 'Correct horse 1')).toBe(false);
    expect(await passwords.verify(hash, '')).toBe(false);
  });

  it('answers false, not an exception, for a corrupt stored hash', async () => {
    expect(await passwords.verify('not a hash', 'anything')).toBe(false);
    expect(await passwords.verify('', 'anything')).toBe(false);
  });

  it('handles non-ASCII passwords byte for byte', async () => {
    const hash = await passwords.hash('密码很安全🔒');
    expect(await passwords.verify(hash, '密码很安全🔒')).toBe(true);
    expect(await passwords.verify(hash, '密码很安全')).toBe(false);
  });

  it('runs the decoy check for unknown users without throwing', async () => {
    await expect(passwords.burnCheck('whatever')).resolves.toBeUndefined();
  });
});
