import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { unauthenticated } from '../../platform/errors.ts';
import type { Role } from '../../platform/principal.ts';
import type { Clock } from '../../platform/time.ts';

// Access 2 h, refresh 7 d (studio spec "最佳实践"). The `typ` claim keeps one kind from passing as the other.

export const ACCESS_TTL_SECONDS = 2 * 3600;
export const REFRESH_TTL_SECONDS = 7 * 24 * 3600;

export interface AccessClaims {
  typ: 'access';
  userId: number;
  role: Role;
  sessionId: string;
}

export interface RefreshClaims {
  typ: 'refresh';
  userId: number;
  sessionId: string;
  jti: string;
}

export function createTokenIssuer(deps: { secret: string; clock: Clock }) {
  const key = new TextEncoder().encode(deps.secret);
  const nowSeconds = () => Math.floor(deps.clock.now().getTime() / 1000);

  const sign = (claims: Record<string, unknown>, subject: number, ttl: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(subject))
      .setIssuedAt(nowSeconds())
      .setExpirationTime(nowSeconds() + ttl)
      .sign(key);

  async function verifyAs<T extends 'access' | 'refresh'>(token: string, typ: T) {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: deps.clock.now() });
      if (payload.typ !== typ || typeof payload.sid !== 'string' || !/^\d+$/.test(payload.sub ?? '')) {
        throw unauthenticated(`Not a valid ${typ} token`);
      }
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated('Token has expired');
      if (err instanceof joseErrors.JOSEError) throw unauthenticated(`Not a valid ${typ} token`);
      throw err;
    }
  }

  return {
    signAccess: (c: Omit<AccessClaims, 'typ'>) =>
      sign({ typ: 'access', sid: c.sessionId, role: c.role }, c.userId, ACCESS_TTL_SECONDS),
    signRefresh: (c: Omit<RefreshClaims, 'typ'>) =>
      sign({ typ: 'refresh', sid: c.sessionId, jti: c.jti }, c.userId, REFRESH_TTL_SECONDS),
    async verifyAccess(token: string): Promise<AccessClaims> {
      const p = await verifyAs(token, 'access');
      return { typ: 'access', userId: Number(p.sub), role: p.role as Role, sessionId: p.sid as string };
    },
    async verifyRefresh(token: string): Promise<RefreshClaims> {
      const p = await verifyAs(token, 'refresh');
      if (typeof p.jti !== 'string') throw unauthenticated('Not a valid refresh token');
      return { typ: 'refresh', userId: Number(p.sub), sessionId: p.sid as string, jti: p.jti };
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
