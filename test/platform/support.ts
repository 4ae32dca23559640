import type { InjectOptions, LightMyRequestResponse } from 'fastify';

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
