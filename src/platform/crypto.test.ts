import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, masterKeyId, randomId, randomString, sha256Hex, timingSafeEqualHex } from './crypto.ts';

const newKey = () => crypto.randomBytes(32).toString('hex');
const SECRET = 'sk-upstream-0123456789abcdefghijklmnopqrstuvwxyz';

/** Every way of changing one character of a sealed secret. */
function oneCharVariants(sealed: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sealed.length; i++) {
    const c = sealed[i];
    const replacement = c === 'A' ? 'B' : c === '.' ? '_' : 'A';
    out.push(sealed.slice(0, i) + replacement + sealed.slice(i + 1));
  }
  return out;
}

describe('createSecretBox', () => {
  it('decrypts what it encrypted, including empty and non-ASCII secrets', () => {
    const box = createSecretBox([newKey()]);
    for (const plaintext of [SECRET, '', '密钥 🔑 with spaces', 'x'.repeat(10_000)]) {
      expect(box.decrypt(box.encrypt(plaintext))).toBe(plaintext);
    }
  });

  it('produces ciphertext that contains no character run of the plaintext', () => {
    const box = createSecretBox([newKey()]);
    const sealed = box.encrypt(SECRET);
    // Eight characters: a random 8-hex key id or base64 text meets a given 4-character run of the plaintext about once
    // in a thousand encryptions, but never an 8-character one (1 in 2^40 and more).
    for (let i = 0; i + 8 <= SECRET.length; i++) expect(sealed).not.toContain(SECRET.slice(i, i + 8));
    expect(Buffer.from(sealed.split('.')[3] ?? '', 'base64url').toString('latin1')).not.toContain('upstream');
  });

  it('stores the master key id so a rotated key can be found', () => {
    const key = newKey();
    const sealed = createSecretBox([key]).encrypt(SECRET);
    expect(sealed.split('.').slice(0, 2)).toEqual(['v1', masterKeyId(key)]);
  });

  it('gives a different ciphertext every time for the same secret', () => {
    const box = createSecretBox([newKey()]);
    const a = box.encrypt(SECRET);
    const b = box.encrypt(SECRET);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a.split('.')[3]).not.toBe(b.split('.')[3]);
  });

  it('refuses a ciphertext with any single character changed', () => {
    const box = createSecretBox([newKey()]);
    const sealed = box.encrypt(SECRET);
    const variants = oneCharVariants(sealed);
    expect(variants.length).toBeGreaterThan(100);
    for (const tampered of variants) expect(() => box.decrypt(tampered), tampered).toThrow();
  });

  it('refuses truncated, extended, swapped and foreign ciphertexts', () => {
    const box = createSecretBox([newKey()]);
    const sealed = box.encrypt(SECRET);
    const [format, kid, wrapped, body] = sealed.split('.') as [string, string, string, string];
    const other = box.encrypt('another secret').split('.') as [string, string, string, string];
    const attempts = [
      '',
      'garbage',
      `${format}.${kid}.${wrapped}`,
      `${format}.${kid}.${wrapped}.${body}.extra`,
      `${format}.${kid}.${wrapped}.${body.slice(0, -4)}`,
      `${format}.${kid}.${wrapped}.${body}AAAA`,
      `${format}.${kid}.${wrapped}.${body.slice(0, 22)}`,
      `${format}.${kid}.${wrapped.slice(0, 22)}.${body}`,
      `${format}.${kid}.${wrapped}.${other[3]}`,
      `${format}.${kid}.${other[2]}.${body}`,
      `${format}.${kid}.${body}.${wrapped}`,
      `v2.${kid}.${wrapped}.${body}`,
      `${format}.deadbeef.${wrapped}.${body}`,
      `${format}.${kid}.${wrapped}.${body.slice(0, 10)}!${body.slice(10)}`,
      createSecretBox([newKey()]).encrypt(SECRET),
    ];
    for (const attempt of attempts) expect(() => box.decrypt(attempt), attempt).toThrow();
  });

  it('refuses a ciphertext whose authentication tag was shortened', () => {
    const key = newKey();
    const box = createSecretBox([key]);
    const [format, kid, wrapped, body] = box.encrypt('').split('.') as [string, string, string, string];
    const raw = Buffer.from(body, 'base64url');
    // IV plus the first 4 bytes of the tag: a short-tag forgery would need only 2^32 guesses.
    const shortTag = raw.subarray(0, 16).toString('base64url');
    expect(() => box.decrypt(`${format}.${kid}.${wrapped}.${shortTag}`)).toThrow();
  });

  it('opens old ciphertexts after rotation when the old key is still listed second', () => {
    const oldKey = newKey();
    const rotatedKey = newKey();
    const sealedOld = createSecretBox([oldKey]).encrypt(SECRET);
    const rotated = createSecretBox([rotatedKey, oldKey]);
    expect(rotated.decrypt(sealedOld)).toBe(SECRET);
    const sealedNew = rotated.encrypt(SECRET);
    expect(sealedNew.split('.')[1]).toBe(masterKeyId(rotatedKey));
    expect(rotated.decrypt(sealedNew)).toBe(SECRET);
    expect(() => createSecretBox([oldKey]).decrypt(sealedNew)).toThrow(/key id/);
  });

  it('needs at least one master key', () => {
    expect(() => createSecretBox([])).toThrow();
  });

  it('fingerprints a secret stably under one master key', () => {
    const key = newKey();
    const a = createSecretBox([key]).fingerprint(SECRET);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(createSecretBox([key]).fingerprint(SECRET)).toBe(a);
    expect(createSecretBox([key]).fingerprint(`${SECRET}x`)).not.toBe(a);
  });

  it('keys the fingerprint: another master key gives another fingerprint, and it is not a plain hash', () => {
    const a = createSecretBox([newKey()]).fingerprint(SECRET);
    const b = createSecretBox([newKey()]).fingerprint(SECRET);
    expect(a).not.toBe(b);
    expect(a).not.toBe(sha256Hex(SECRET));
    expect(a).not.toContain(SECRET.slice(-4));
  });
});

describe('randomString', () => {
  it('has the requested length over the alphanumeric alphabet by default', () => {
    for (const length of [0, 1, 8, 48, 500]) {
      const s = randomString(length);
      expect(s).toHaveLength(length);
      expect(s).toMatch(/^[A-Za-z0-9]*$/);
    }
  });

  it('uses only the given alphabet and, over many draws, all of it', () => {
    const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
    const s = randomString(5_000, alphabet);
    expect(new Set(s)).toEqual(new Set(alphabet));
  });

  it('is not biased towards the first characters of an alphabet that does not divide 256', () => {
    const alphabet = 'abc';
    const s = randomString(30_000, alphabet);
    for (const c of alphabet) {
      const share = s.split(c).length - 1;
      expect(share).toBeGreaterThan(9_400);
      expect(share).toBeLessThan(10_600);
    }
  });

  it('does not repeat itself', () => {
    const seen = new Set(Array.from({ length: 1_000 }, () => randomString(16)));
    expect(seen.size).toBe(1_000);
  });
});

describe('helpers', () => {
  it('randomId keeps its prefix and is url-safe', () => {
    expect(randomId('ses_')).toMatch(/^ses_[A-Za-z0-9_-]{22}$/);
  });

  it('sha256Hex matches the known digest', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('timingSafeEqualHex compares hex of any length without throwing', () => {
    expect(timingSafeEqualHex('abcd', 'abcd')).toBe(true);
    expect(timingSafeEqualHex('abcd', 'abce')).toBe(false);
    expect(timingSafeEqualHex('abcd', 'abcdef')).toBe(false);
  });
});
