import { hash, verify } from '@node-rs/argon2';
import { OWASP_MEMORY_KIB } from '../../config.ts';

// argon2id, one pass count and parallelism, the memory cost configurable: the default, 19 MiB with 2 passes, is OWASP's
// recommended minimum and the floor in production (config.ts). The test suites run with less, as Django's own
// documentation advises for tests: every hash a registration or login makes cost ~20 ms of CPU at the default.

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
