import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/platform/db.ts';

// startTestApp calls ready() and gives each app its own Redis namespace; the platform suites need an app they
// can still add routes to, and two apps that share one namespace.

export interface PlatformApp {
  app: FastifyInstance;
  logs: string[];
}

export async function buildPlatformApp(
  database: Database,
  o: { env?: Record<string, string>; redis?: Redis; namespace?: string } = {},
): Promise<PlatformApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    ALLOW_PRIVATE_UPSTREAMS: 'true',
    RATE_LIMIT_AUTH_PER_MIN: '10000',
    RATE_LIMIT_QUERY_PER_MIN: '10000',
    RATE_LIMIT_OTHER_PER_MIN: '10000',
    ...o.env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp({
    config,
    database,
    redis: o.redis,
    logStream,
    namespace: o.namespace ?? `t${crypto.randomBytes(6).toString('hex')}`,
  });
  return { app, logs };
}

export const json = { 'content-type': 'application/json' };

export type Requester = (opts: InjectOptions) => Promise<LightMyRequestResponse>;

/** Registers and logs in a user from `ip`, so suites with tight auth limits can spread sign-ups over addresses. */
export async function signUp(request: Requester, name: string, ip: string) {
  const password = 'correct horse 1';
  const payload = { username: name, email: `${name}@example.com`, password };
  const reg = await request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload, remoteAddress: ip });
  if (reg.statusCode !== 200) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  const login = await request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password }, remoteAddress: ip });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  return { id: reg.json().data.id as number, auth: { authorization: `Bearer ${login.json().data.access_token as string}` } };
}

let seq = 0;
export const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${seq++}`;
