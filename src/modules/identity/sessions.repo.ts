import { and, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { sessions, users, type SessionRow, type UserRow } from './identity.tables.ts';

export async function insertSession(
  db: Db,
  s: { id: string; userId: number; refreshJti: string; expiresAt: Date; userAgent?: string; ip?: string },
): Promise<void> {
  await db.insert(sessions).values(s);
}

/** A session that is neither revoked nor expired, with its user if that user is still active. */
export async function findUsableSession(
  db: Db,
  sessionId: string,
  now: Date,
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        eq(users.status, 'active'),
        isNull(users.deletedAt),
      ),
    );
  return row;
}

/** Swaps the refresh token id only if it is still the expected one, so two concurrent refreshes cannot both win. */
export async function rotateRefreshJti(db: Db, sessionId: string, fromJti: string, toJti: string, at: Date) {
  const rows = await db
    .update(sessions)
    .set({ refreshJti: toJti, lastRefreshedAt: at })
    .where(and(eq(sessions.id, sessionId), eq(sessions.refreshJti, fromJti), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

export async function revokeSession(db: Db, sessionId: string, reason: string, at: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: at, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export async function revokeUserSessions(
  db: Db,
  userId: number,
  reason: string,
  at: Date,
  exceptSessionId?: string,
): Promise<void> {
  const conditions = [eq(sessions.userId, userId), isNull(sessions.revokedAt)];
  if (exceptSessionId) conditions.push(ne(sessions.id, exceptSessionId));
  await db.update(sessions).set({ revokedAt: at, revokedReason: reason }).where(and(...conditions));
}
