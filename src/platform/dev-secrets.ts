import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

// Outside production, MASTER_KEY and JWT_SECRET may be left unset: they are generated once into DATA_DIR
// (mode 0600) so that a restart keeps sessions and stored secrets readable.

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  try {
    return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = make();
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true };
}

export function withDevelopmentSecrets(config: Config, log: Pick<Logger, 'warn'>): Config {
  if (config.masterKey && config.jwtSecret) return config;
  const next = { ...config };
  if (!next.masterKey) {
    const file = path.join(config.dataDir, 'master.key');
    const { value, created } = readOrCreate(file, () => crypto.randomBytes(32).toString('hex'));
    if (!/^[0-9a-f]{64}$/.test(value)) throw new Error(`${file} does not hold a 64-hex-character key`);
    next.masterKey = value;
    log.warn({ file, created }, 'MASTER_KEY is not set; using the development key file (set MASTER_KEY in production)');
  }
  if (!next.jwtSecret) {
    const file = path.join(config.dataDir, 'jwt.secret');
    const { value, created } = readOrCreate(file, () => crypto.randomBytes(48).toString('base64url'));
    next.jwtSecret = value;
    log.warn({ file, created }, 'JWT_SECRET is not set; using the development secret file (set JWT_SECRET in production)');
  }
  return next;
}
