import type { TestApp } from './app.ts';

// Small steps most suites need: an operator via /1/users/init, a registered user with a session.

const json = { 'content-type': 'application/json' };

export async function initRoot(t: TestApp): Promise<{ id: number; token: string }> {
  const res = await t.request({ method: 'POST', url: '/1/users/init' });
  if (res.statusCode !== 200) throw new Error(`init failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

let seq = 0;
export async function registerUser(t: TestApp, name = `user${Date.now().toString(36)}${seq++}`, password = 'correct horse 1') {
  const reg = await t.request({
    method: 'POST',
    url: '/api/v1/auth/register',
    headers: json,
    payload: { username: name, email: `${name}@example.com`, password },
  });
  if (reg.statusCode !== 200) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const data = login.json().data;
  return {
    id: reg.json().data.id as number,
    username: name,
    password,
    accessToken: data.access_token as string,
    refreshToken: data.refresh_token as string,
    auth: { authorization: `Bearer ${data.access_token}` },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
