import { randomId } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { unauthenticated } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import type { UserRow } from './identity.tables.ts';
import * as sessionsRepo from './sessions.repo.ts';
import { REFRESH_TTL_SECONDS, type TokenIssuer } from './tokens.ts';

// Console sessions: JWTs bound to a server-side row, so logout, a password change, deletion or an
// operator can end them at once (DESIGN.md §4).

export function createSessionService(deps: {
  database: Database;
  clock: Clock;
  tokens: TokenIssuer;
  /** REFRESH_TOKEN_ROTATION: each refresh returns a new refresh token; reusing an old one revokes the session. */
  rotation: boolean;
}) {
  const { database, clock, tokens } = deps;

  return {
    async open(user: UserRow, meta: { userAgent?: string; ip?: string }) {
      const sessionId = randomId('ses_');
      const jti = randomId('rt_');
      await sessionsRepo.insertSession(database.db, {
        id: sessionId,
        userId: user.id,
        refreshJti: jti,
        expiresAt: addMs(clock.now(), REFRESH_TTL_SECONDS * 1000),
        userAgent: meta.userAgent?.slice(0, 256),
        ip: meta.ip,
      });
      return {
        accessToken: await tokens.signAccess({ userId: user.id, role: user.role, sessionId }),
        refreshToken: await tokens.signRefresh({ userId: user.id, sessionId, jti }),
      };
    },

    async refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken?: string }> {
      const claims = await tokens.verifyRefresh(refreshToken);
      const now = clock.now();
      const found = await sessionsRepo.findUsableSession(database.db, claims.sessionId, now);
      if (!found || found.user.id !== claims.userId) throw unauthenticated('Session has ended; sign in again');
      const { session, user } = found;
      if (session.refreshJti !== claims.jti) {
        // An old refresh token came back after it was rotated: it was copied. End the session for everyone.
        await sessionsRepo.revokeSession(database.db, session.id, 'refresh_token_reuse', now);
        throw unauthenticated('Refresh token was already used; sign in again');
      }
      const accessToken = await tokens.signAccess({ userId: user.id, role: user.role, sessionId: session.id });
      if (!deps.rotation) return { accessToken };
      const nextJti = randomId('rt_');
      if (!(await sessionsRepo.rotateRefreshJti(database.db, session.id, claims.jti, nextJti, now))) {
        await sessionsRepo.revokeSession(database.db, session.id, 'refresh_token_reuse', now);
        throw unauthenticated('Refresh token was already used; sign in again');
      }
      return { accessToken, refreshToken: await tokens.signRefresh({ userId: user.id, sessionId: session.id, jti: nextJti }) };
    },

    /** Resolves an access token to its caller; a revoked session or a deleted user fails immediately. */
    async authenticate(accessToken: string): Promise<Principal> {
      const claims = await tokens.verifyAccess(accessToken);
      const found = await sessionsRepo.findUsableSession(database.db, claims.sessionId, clock.now());
      if (!found || found.user.id !== claims.userId) throw unauthenticated('Session has ended; sign in again');
      return { userId: found.user.id, role: found.user.role, via: 'session', sessionId: claims.sessionId };
    },

    close: (sessionId: string) => sessionsRepo.revokeSession(database.db, sessionId, 'logout', clock.now()),
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
