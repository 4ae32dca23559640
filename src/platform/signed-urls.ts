import crypto from 'node:crypto';
import { timingSafeEqualHex } from './crypto.ts';

// Links to files that need no session: the HMAC over path and expiry is the credential, so a link works for whoever
// holds it until it expires, and changing any character of the path or the expiry breaks it.

export interface UrlSigner {
  /** `path?expires=<unix seconds>&signature=<hex>` for a path that starts with `/`. */
  sign(path: string, expiresAt: Date): string;
  /** Whether `signature` is this signer's for `path` and `expires`, and `now` is not past `expires`. */
  verify(path: string, expires: string | undefined, signature: string | undefined, now: Date): boolean;
}

/** @param secretHex a purpose-bound key, e.g. `deriveSecret(config.masterKey, 'signed-urls')`. */
export function createUrlSigner(secretHex: string): UrlSigner {
  const key = Buffer.from(secretHex, 'hex');
  if (key.length < 32) throw new Error('createUrlSigner needs a 32-byte key');
  const mac = (path: string, expires: string) => crypto.createHmac('sha256', key).update(`${path}\n${expires}`).digest('hex');

  return {
    sign(path, expiresAt) {
      const expires = String(Math.floor(expiresAt.getTime() / 1000));
      return `${path}?expires=${expires}&signature=${mac(path, expires)}`;
    },
    verify(path, expires, signature, now) {
      if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return false;
      if (!timingSafeEqualHex(signature, mac(path, expires))) return false;
      return now.getTime() <= Number(expires) * 1000;
    },
  };
}
