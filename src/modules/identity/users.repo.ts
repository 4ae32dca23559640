import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { users, type BillingMode, type UserRole, type UserRow } from './identity.tables.ts';

const live = isNull(users.deletedAt);

export async function findLiveById(db: Db, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.id, id), live));
  return row;
}

/**
 * The login field accepts a username or an email, both case-insensitive. Both sides are folded by the
 * database's lower(), the same function the unique indexes use: JavaScript folds some letters differently
 * ('İ' becomes two code points), which would lock such users out.
 */
export async function lockLive(db: Db, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.id, id), live)).for('update');
  return row;
}

export async function findLiveByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  const needle = sql`lower(${login})`;
  const [row] = await db
    .select()
    .from(users)
    .where(and(live, or(sql`lower(${users.username}) = ${needle}`, sql`lower(${users.email}) = ${needle}`)))
    .limit(1);
  return row;
}

export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(live, sql`lower(${users.username}) = lower(${username})`))
    .limit(1);
  return row !== undefined;
}

export async function insertUser(
  db: Db,
  u: {
    username: string;
    email?: string | null;
    passwordHash?: string | null;
    role: UserRole;
    billingMode: BillingMode;
    referralCode: string;
  },
): Promise<UserRow> {
  const [row] = await db.insert(users).values(u).returning();
  return row as UserRow;
}

export async function listLive(db: Db): Promise<UserRow[]> {
  return db.select().from(users).where(live).orderBy(asc(users.id));
}

export async function anyLiveAdmin(db: Db): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(and(live, eq(users.role, 'admin'))).limit(1);
  return row !== undefined;
}

export async function markDeleted(db: Db, id: number, at: Date): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ status: 'deleted', deletedAt: at, updatedAt: at })
    .where(and(eq(users.id, id), live))
    .returning({ id: users.id });
  return rows.length > 0;
}

export async function setPasswordHash(db: Db, id: number, passwordHash: string, at: Date): Promise<void> {
  await db.update(users).set({ passwordHash, updatedAt: at }).where(eq(users.id, id));
}

export async function touch(db: Db, id: number, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ updatedAt: at }).where(eq(users.id, id)).returning();
  return row;
}

export async function setCreditLimit(db: Db, id: number, limit: bigint | null, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ creditLimitMicros: limit, updatedAt: at }).where(and(eq(users.id, id), live)).returning();
  return row;
}
