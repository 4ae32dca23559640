import { hash, verify } from '@node-rs/argon2';
import { OWASP_MEMORY_KIB } from '../../config.ts';

// argon2id with 2 passes and 1 lane; the memory is configurable (PASSWORD_HASH_MEMORY_KIB). The default, 19 MiB, is
// OWASP's recommended minimum and the floor in production (config.ts). The test apps use 1 MiB: at the default every
// hash a registration or login makes costs ~20 ms of CPU.

export interface Passwords {
  hash(password: string): Promise<string>;
  /** False (never an exception) for a wrong password or a corrupt stored hash. Reads the cost from the hash itself. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** A verification against a decoy hash: login takes as long for an unknown name as for a known one. */
  burnCheck(password: string): Promise<void>;
}

export function createPasswords({ memoryKib = OWASP_MEMORY_KIB }: { memoryKib?: number } = {}): Passwords {
  const options = { memoryCost: memoryKib, timeCost: 2, parallelism: 1 };
  let decoyHash: Promise<string> | undefined;
  const passwords: Passwords = {
    hash: (password) => hash(password, options),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    async burnCheck(password) {
      decoyHash ??= passwords.hash('tollgate-decoy-password');
      await passwords.verify(await decoyHash, password);
    },
  };
  return passwords;
}
