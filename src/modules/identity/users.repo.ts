import { and, asc, count, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { users, type BillingMode, type UserRole, type UserRow } from './identity.tables.ts';

const live = isNull(users.deletedAt);

export async function findLiveById(db: Db, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.id, id), live));
  return row;
}

/** A user's billing mode, deleted users included (their money is still theirs); undefined for no such user. */
export async function billingModeOf(db: Db, id: number): Promise<BillingMode | undefined> {
  const [row] = await db.select({ mode: users.billingMode }).from(users).where(eq(users.id, id));
  return row?.mode;
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

/** The live user with this email (case-insensitive, as the unique index compares); `lock` for an update. */
export async function findLiveByEmail(db: Db, email: string, o: { lock?: boolean } = {}): Promise<UserRow | undefined> {
  const query = db.select().from(users).where(and(live, sql`lower(${users.email}) = lower(${email})`));
  const [row] = await (o.lock ? query.for('update') : query);
  return row;
}

/** The live user holding a referral code; codes are stored in upper case. */
export async function findLiveByReferralCode(db: Db, code: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(live, eq(users.referralCode, code.toUpperCase())));
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

/** Sets how an operator signs in to the console: an email (unique among live users) and a password hash. */
export async function setEmailAndPassword(db: Db, id: number, c: { email: string; passwordHash: string }, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ ...c, updatedAt: at }).where(and(eq(users.id, id), live)).returning();
  return row;
}

export async function touch(db: Db, id: number, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ updatedAt: at }).where(eq(users.id, id)).returning();
  return row;
}

export async function setCreditLimit(db: Db, id: number, limit: bigint | null, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ creditLimitMicros: limit, updatedAt: at }).where(and(eq(users.id, id), live)).returning();
  return row;
}

/** `%`, `_` and `\` match themselves in a search (LIKE's default escape is the backslash). */
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Live users, newest first; `q` finds a part of the username or the email, case-insensitively. */
export async function search(db: Db, f: { q?: string; role?: UserRole }, window: { limit: number; offset: number }) {
  // Folded by the database's lower() on both sides, as findLiveByLogin does.
  const needle = f.q ? sql`lower(${`%${likeEscaped(f.q)}%`})` : undefined;
  const where = and(
    live,
    f.role ? eq(users.role, f.role) : undefined,
    needle ? or(sql`lower(${users.username}) LIKE ${needle}`, sql`lower(${users.email}) LIKE ${needle}`) : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db.select().from(users).where(where).orderBy(desc(users.id)).limit(window.limit).offset(window.offset),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function setRole(db: Db, id: number, role: UserRole, at: Date): Promise<UserRow | undefined> {
  const [row] = await db.update(users).set({ role, updatedAt: at }).where(and(eq(users.id, id), live)).returning();
  return row;
}

/** Usernames by id (deleted users included: old orders still name them). */
export async function usernames(db: Db, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ids));
  return new Map(rows.map((r) => [r.id, r.username]));
}
