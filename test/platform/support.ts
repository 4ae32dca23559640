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

/** `METHOD path` for every route, read from Fastify's own route tree. */
export function registeredRoutes(tree: string): { method: string; path: string }[] {
  const stack: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    stack.push(m[2] as string);
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, path: stack.join('') });
  }
  return routes;
}
