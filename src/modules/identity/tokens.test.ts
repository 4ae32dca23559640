import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.ts';
import { ACCESS_TTL_SECONDS, REFRESH_TTL_SECONDS, createTokenIssuer } from './tokens.ts';

const SECRET = 's'.repeat(48);
const START = Date.parse('2026-03-01T04:00:00Z');

function setup(secret = SECRET) {
  let now = START;
  const clock = { now: () => new Date(now) };
  return { tokens: createTokenIssuer({ secret, clock }), advance: (seconds: number) => void (now += seconds * 1000) };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const access = { userId: 7, role: 'supplier' as const, sessionId: 'ses_abc' };
const refresh = { userId: 7, sessionId: 'ses_abc', jti: 'rt_xyz' };

describe('token issuer', () => {
  it('lives 2 hours for access tokens and 7 days for refresh tokens', () => {
    expect(ACCESS_TTL_SECONDS).toBe(7200);
    expect(REFRESH_TTL_SECONDS).toBe(604_800);
  });

  it('signs an access token with HS256, the typ claim, subject and 2 h expiry', async () => {
    const { tokens } = setup();
    const jwt = await tokens.signAccess(access);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwt(jwt)).toEqual({ typ: 'access', sid: 'ses_abc', role: 'supplier', sub: '7', iat: START / 1000, exp: START / 1000 + 7200 });
    expect(await tokens.verifyAccess(jwt)).toEqual({ typ: 'access', ...access });
  });

  it('signs a refresh token with its jti and a 7 d expiry', async () => {
    const { tokens } = setup();
    const jwt = await tokens.signRefresh(refresh);
    expect(decodeJwt(jwt)).toEqual({ typ: 'refresh', sid: 'ses_abc', jti: 'rt_xyz', sub: '7', iat: START / 1000, exp: START / 1000 + 604_800 });
    expect(await tokens.verifyRefresh(jwt)).toEqual({ typ: 'refresh', ...refresh });
  });

  it('refuses a refresh token as an access token and the other way round', async () => {
    const { tokens } = setup();
    const a = await rejection(tokens.verifyAccess(await tokens.signRefresh(refresh)));
    expect([a.status, a.message]).toEqual([401, 'Not a valid access token']);
    const r = await rejection(tokens.verifyRefresh(await tokens.signAccess(access)));
    expect([r.status, r.message]).toEqual([401, 'Not a valid refresh token']);
  });

  it('accepts an access token until its expiry second, then answers "Token has expired"', async () => {
    const { tokens, advance } = setup();
    const jwt = await tokens.signAccess(access);
    advance(ACCESS_TTL_SECONDS - 1);
    await expect(tokens.verifyAccess(jwt)).resolves.toMatchObject({ userId: 7 });
    advance(1);
    const err = await rejection(tokens.verifyAccess(jwt));
    expect([err.status, err.message]).toEqual([401, 'Token has expired']);
  });

  it('expires a refresh token after 7 days', async () => {
    const { tokens, advance } = setup();
    const jwt = await tokens.signRefresh(refresh);
    advance(REFRESH_TTL_SECONDS - 1);
    await expect(tokens.verifyRefresh(jwt)).resolves.toMatchObject({ jti: 'rt_xyz' });
    advance(1);
    expect((await rejection(tokens.verifyRefresh(jwt))).message).toBe('Token has expired');
  });

  it('refuses a token signed with another secret', async () => {
    const other = setup('o'.repeat(48)).tokens;
    const err = await rejection(setup().tokens.verifyAccess(await other.signAccess(access)));
    expect([err.status, err.message]).toEqual([401, 'Not a valid access token']);
  });

  it('refuses a token whose payload was edited', async () => {
    const { tokens } = setup();
    const [header, , signature] = (await tokens.signAccess(access)).split('.');
    const payload = Buffer.from(JSON.stringify({ typ: 'access', sid: 'ses_abc', role: 'admin', sub: '1', iat: START / 1000, exp: START / 1000 + 60 }))
      .toString('base64url');
    expect((await rejection(tokens.verifyAccess(`${header}.${payload}.${signature}`))).status).toBe(401);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const { tokens } = setup();
    const [, payload] = (await tokens.signAccess(access)).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect((await rejection(tokens.verifyAccess(`${header}.${payload}.`))).status).toBe(401);
  });

  it.each([
    ['a missing session id', { typ: 'access', role: 'user' }, '7'],
    ['a non-numeric subject', { typ: 'access', sid: 'ses_abc', role: 'user' }, 'alice'],
    ['no typ claim', { sid: 'ses_abc', role: 'user' }, '7'],
  ])('refuses a correctly signed token with %s', async (_what, claims, sub) => {
    const { tokens } = setup();
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt(START / 1000)
      .setExpirationTime(START / 1000 + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect((await rejection(tokens.verifyAccess(jwt))).message).toBe('Not a valid access token');
  });

  it('refuses a refresh token without a jti', async () => {
    const { tokens } = setup();
    const jwt = await new SignJWT({ typ: 'refresh', sid: 'ses_abc' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('7')
      .setIssuedAt(START / 1000)
      .setExpirationTime(START / 1000 + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect((await rejection(tokens.verifyRefresh(jwt))).message).toBe('Not a valid refresh token');
  });

  it.each(['', 'garbage', 'a.b.c', 'sk-abc'])('refuses the non-token %j with 401', async (text) => {
    expect((await rejection(setup().tokens.verifyAccess(text))).status).toBe(401);
  });
});
