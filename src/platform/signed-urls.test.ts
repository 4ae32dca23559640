import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSecret } from './crypto.ts';
import { createUrlSigner } from './signed-urls.ts';

const signer = createUrlSigner(deriveSecret(crypto.randomBytes(32).toString('hex'), 'signed-urls'));
const path = '/files/settlement-statements/42.csv';
const expiresAt = new Date('2026-03-01T04:15:00Z');
const before = new Date('2026-03-01T04:10:00Z');

function parts(url: string) {
  const query = new URLSearchParams(url.split('?')[1]);
  return { expires: query.get('expires') ?? undefined, signature: query.get('signature') ?? undefined };
}

describe('signed URLs', () => {
  it('accepts its own signature until the expiry', () => {
    const { expires, signature } = parts(signer.sign(path, expiresAt));
    expect(expires).toBe(String(expiresAt.getTime() / 1000));
    expect(signer.verify(path, expires, signature, before)).toBe(true);
    expect(signer.verify(path, expires, signature, expiresAt)).toBe(true);
  });

  it('refuses it a second after the expiry', () => {
    const { expires, signature } = parts(signer.sign(path, expiresAt));
    expect(signer.verify(path, expires, signature, new Date(expiresAt.getTime() + 1000))).toBe(false);
  });

  it('refuses another path, a moved expiry, a changed or missing signature', () => {
    const { expires, signature } = parts(signer.sign(path, expiresAt));
    expect(signer.verify('/files/settlement-statements/43.csv', expires, signature, before)).toBe(false);
    expect(signer.verify(path, String(Number(expires) + 3600), signature, before)).toBe(false);
    const flipped = `${signature?.slice(0, -1)}${signature?.endsWith('0') ? '1' : '0'}`;
    expect(signer.verify(path, expires, flipped, before)).toBe(false);
    expect(signer.verify(path, expires, signature?.toUpperCase(), before)).toBe(false);
    expect(signer.verify(path, expires, undefined, before)).toBe(false);
    expect(signer.verify(path, '1e12', signature, before)).toBe(false);
  });

  it('refuses a signature made with another key', () => {
    const other = createUrlSigner(crypto.randomBytes(32).toString('hex'));
    const { expires, signature } = parts(other.sign(path, expiresAt));
    expect(signer.verify(path, expires, signature, before)).toBe(false);
  });
});
