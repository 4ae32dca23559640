import type { Database, Db } from '../../platform/db.ts';
import { isUniqueViolation, lockKey, violatedConstraint } from '../../platform/db.ts';
import { AppError, badRequest, conflict, notFound, unauthenticated } from '../../platform/errors.ts';
import { randomString } from '../../platform/crypto.ts';
import type { Principal } from '../../platform/principal.ts';
import type { Clock } from '../../platform/time.ts';
import type { BillingMode, UserRole, UserRow } from './identity.tables.ts';
import { createPasswords, type Passwords } from './passwords.ts';
import * as usersRepo from './users.repo.ts';
import * as sessionsRepo from './sessions.repo.ts';

/** Names a self-registering user may not take: they would impersonate the operators. */
const SYSTEM_USERNAME = 'system';
const RESERVED_USERNAMES = new Set(['root', 'admin', 'administrator', 'system', 'tollgate', 'operator', 'support']);
const REFERRAL_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const INIT_LOCK = 7_345_101;

/** Balance and membership: owned by commerce; identity shows them on `/auth/me` and `/auth/login`. */
export interface AccountStanding {
  credit_balance: number;
  is_member: boolean;
  membership_type: string | null;
  membership_end_date: string | null;
}
export type StandingSource = (userId: number) => Promise<AccountStanding>;

export interface NewUser {
  username: string;
  email?: string | null;
  password?: string;
  /** A hash made before the transaction (argon2 takes tens of milliseconds); used instead of `password`. */
  passwordHash?: string;
  role: UserRole;
  billingMode: BillingMode;
}

/** The username an operator known by email gets: the address's local part, or `admin` when nothing usable is left. */
export const usernameFromEmail = (email: string) => email.split('@')[0]?.replace(/[^\p{L}\p{N}_.-]/gu, '').slice(0, 32) || 'admin';

export function createUserService(deps: { database: Database; clock: Clock; passwords?: Passwords }) {
  const { database, clock } = deps;
  const passwords = deps.passwords ?? createPasswords();

  async function insertWithReferralCode(db: Db, u: NewUser): Promise<UserRow> {
    const { password, ...fields } = u;
    const passwordHash = u.passwordHash ?? (password === undefined ? null : await passwords.hash(password));
    for (let attempt = 0; ; attempt++) {
      try {
        // A savepoint per attempt: on PostgreSQL a failed insert aborts the enclosing transaction, so a retry
        // after a referral-code collision needs its own.
        return await db.transaction((sp) =>
          usersRepo.insertUser(sp as Db, { ...fields, passwordHash, referralCode: randomString(8, REFERRAL_ALPHABET) }),
        );
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const detail = violatedConstraint(err) ?? '';
        if (detail.includes('referral') && attempt < 5) continue;
        if (detail.includes('email')) throw conflict('Email is already registered', { field: 'body.email' });
        throw conflict('Username is already taken', { field: 'body.username' });
      }
    }
  }

  // The operator's name comes from config (ADMIN_EMAIL's local part) or is fixed ('root'); a user who already
  // holds it must not stop the service from booting, so the operator gets the next free variant.
  async function freeUsername(db: Db, wanted: string): Promise<string> {
    for (let n = 1; n <= 100; n++) {
      const candidate = n === 1 ? wanted : `${wanted}${n}`;
      if (!(await usersRepo.usernameTaken(db, candidate))) return candidate;
    }
    return `${wanted}-${randomString(6, REFERRAL_ALPHABET).toLowerCase()}`;
  }

  // Operators are postpaid: their own gateway use is recorded and costed, no balance needed.
  async function insertOperator(db: Db, u: Omit<NewUser, 'role' | 'billingMode'>): Promise<UserRow> {
    const username = await freeUsername(db, u.username);
    return insertWithReferralCode(db, { ...u, username, role: 'admin', billingMode: 'postpaid' });
  }

  return {
    /** An argon2id hash at the service's cost, for a password set outside this service (an operator's setup link). */
    hashPassword: (password: string) => passwords.hash(password),

    /**
     * The platform's own buyer of capacity: the studio's model calls are charged to it (its receivable is what the
     * platform owes upstreams for them). It cannot sign in (no password), is postpaid without a limit, and its name is
     * reserved, so no one can register it. Created on first use; two nodes booting at once find the same row.
     */
    async systemUser(): Promise<UserRow> {
      const found = async () => {
        const row = await usersRepo.findLiveByLogin(database.db, SYSTEM_USERNAME);
        if (row && row.passwordHash !== null) throw new Error(`User "${SYSTEM_USERNAME}" exists with a password: rename it so the platform can use that name`);
        return row;
      };
      const existing = await found();
      if (existing) return existing;
      try {
        return await insertWithReferralCode(database.db, { username: SYSTEM_USERNAME, email: null, role: 'user', billingMode: 'postpaid' });
      } catch (err) {
        const row = await found();
        if (row) return row;
        throw err;
      }
    },

    /**
     * Self-registration: a prepaid `user`, and in the same transaction whatever `then` adds (operations: the
     * referral, registration gifts).
     */
    async register(input: { username: string; email: string; password: string }, then?: (tx: Db, user: UserRow) => Promise<void>): Promise<UserRow> {
      if (RESERVED_USERNAMES.has(input.username.toLowerCase())) {
        throw badRequest('This username is reserved', { field: 'body.username' });
      }
      // Hashed before the transaction: argon2 takes tens of milliseconds, too long to hold a connection.
      const passwordHash = await passwords.hash(input.password);
      return database.transaction(async (tx) => {
        const user = await insertWithReferralCode(tx, { username: input.username, email: input.email, passwordHash, role: 'user', billingMode: 'prepaid' });
        await then?.(tx, user);
        return user;
      });
    },

    /** The live user whose referral code this is (case-insensitive), read in `db`. */
    findByReferralCode: (code: string, db: Db = database.db) => usersRepo.findLiveByReferralCode(db, code),

    /**
     * Runs `then` in one transaction with the live user locked (404 when missing), then marks the user updated:
     * concurrent changes to one user (e.g. two token resets) queue instead of interleaving.
     */
    async withLockedUser<T>(userId: number, then: (tx: Db, user: UserRow) => Promise<T>): Promise<{ user: UserRow; result: T }> {
      return database.transaction(async (tx) => {
        const locked = await usersRepo.lockLive(tx, userId);
        if (!locked) throw notFound('User');
        const result = await then(tx, locked);
        return { user: (await usersRepo.touch(tx, userId, clock.now())) as UserRow, result };
      });
    },

    /** Creates a user and, in the same transaction, whatever `then` adds (e.g. the user's legacy token). */
    async create<T>(u: NewUser, then: (tx: Db, user: UserRow) => Promise<T>): Promise<{ user: UserRow; result: T }> {
      return database.transaction(async (tx) => {
        const user = await insertWithReferralCode(tx, u);
        return { user, result: await then(tx, user) };
      });
    },

    async getLive(userId: number): Promise<UserRow> {
      const user = await usersRepo.findLiveById(database.db, userId);
      if (!user) throw notFound('User');
      return user;
    },

    /** Prepaid or postpaid (commerce decides by it whether a credit pays the user's receivable first). */
    billingMode: async (userId: number, db: Db = database.db): Promise<BillingMode> => {
      const mode = await usersRepo.billingModeOf(db, userId);
      if (!mode) throw notFound('User');
      return mode;
    },

    listLive: () => usersRepo.listLive(database.db),

    /** Whether a live operator has this email (case-insensitive). */
    isOperatorEmail: async (email: string) => (await usersRepo.findLiveByEmail(database.db, email))?.role === 'admin',

    /** Operators' user list: live users, newest first, optionally by role and a part of the username or email. */
    search: (f: { q?: string; role?: UserRole }, window: { limit: number; offset: number }) => usersRepo.search(database.db, f, window),

    usernames: (ids: number[]) => usersRepo.usernames(database.db, [...new Set(ids)]),

    /**
     * An operator changes a user's role; `record` runs in the same transaction with the change (the audit event).
     * Operators cannot take the role from themselves, so the console always keeps at least one operator.
     * Setting the role a user already has changes nothing and records nothing.
     */
    async setRole(actor: Principal, userId: number, role: UserRole, record: (tx: Db, before: UserRow, after: UserRow) => Promise<void>): Promise<UserRow> {
      if (userId === actor.userId && role !== 'admin') throw conflict('Operators cannot remove their own operator role', { field: 'body.role' });
      return database.transaction(async (tx) => {
        const before = await usersRepo.lockLive(tx, userId);
        if (!before) throw notFound('User');
        if (before.role === role) return before;
        const after = (await usersRepo.setRole(tx, userId, role, clock.now())) as UserRow;
        await record(tx, before, after);
        return after;
      });
    },

    /** How much a postpaid user may owe for gateway use (µ¥); null lifts the cap. Prepaid users have no such line. */
    async setCreditLimit(userId: number, limit: bigint | null): Promise<UserRow> {
      const user = await this.getLive(userId);
      if (user.billingMode !== 'postpaid') throw badRequest('Only postpaid users have a credit limit', { field: 'body.credit_limit' });
      return (await usersRepo.setCreditLimit(database.db, userId, limit, clock.now())) as UserRow;
    },

    /** Checks a login (username or email) and password; the same answer for every kind of miss. */
    async verifyCredentials(login: string, password: string): Promise<UserRow> {
      const user = await usersRepo.findLiveByLogin(database.db, login);
      if (!user?.passwordHash) {
        await passwords.burnCheck(password);
        throw unauthenticated('Invalid username or password');
      }
      if (!(await passwords.verify(user.passwordHash, password))) throw unauthenticated('Invalid username or password');
      if (user.status !== 'active') throw new AppError('FORBIDDEN', 'This account is disabled');
      return user;
    },

    /** Whether `password` is the live user's password (a second factor for sensitive changes); false without one. */
    async passwordMatches(userId: number, password: string): Promise<boolean> {
      const user = await usersRepo.findLiveById(database.db, userId);
      return user?.passwordHash ? passwords.verify(user.passwordHash, password) : false;
    },

    /** Changes the password and signs out every other session of the user. */
    async changePassword(actor: Principal, oldPassword: string, newPassword: string): Promise<void> {
      const user = await usersRepo.findLiveById(database.db, actor.userId);
      if (!user?.passwordHash || !(await passwords.verify(user.passwordHash, oldPassword))) {
        throw badRequest('Current password is wrong', { field: 'body.old_password' });
      }
      const newHash = await passwords.hash(newPassword);
      const now = clock.now();
      await database.transaction(async (tx) => {
        await usersRepo.setPasswordHash(tx, user.id, newHash, now);
        await sessionsRepo.revokeUserSessions(tx, user.id, 'password_changed', now, actor.sessionId);
      });
    },

    /**
     * Creates the first operator unless one exists; the advisory lock makes concurrent callers
     * (two `/1/users/init`, or init racing the ADMIN_EMAIL seed) create at most one.
     * @param then runs in the same transaction with the new operator (e.g. to issue its token).
     * @param db the caller's transaction, when the operator is one step of a larger change (a setup link's redemption).
     */
    async createFirstAdmin<T>(u: Omit<NewUser, 'role' | 'billingMode'>, then: (tx: Db, admin: UserRow) => Promise<T>, db?: Db) {
      const create = async (tx: Db) => {
        await lockKey(tx, INIT_LOCK);
        if (await usersRepo.anyLiveAdmin(tx)) return undefined;
        const admin = await insertOperator(tx, u);
        return { admin, result: await then(tx, admin) };
      };
      return db ? create(db) : database.transaction(create);
    },

    /** Another operator (`npm run operator`); the name is the next free variant of the one asked for. */
    createOperator: (u: Omit<NewUser, 'role' | 'billingMode'>, db: Db = database.db) => insertOperator(db, u),

    /** Soft-deletes a user and revokes every session; API keys die with the user (auth checks the owner). */
    async remove(userId: number): Promise<void> {
      const now = clock.now();
      await database.transaction(async (tx) => {
        if (!(await usersRepo.markDeleted(tx, userId, now))) throw notFound('User');
        await sessionsRepo.revokeUserSessions(tx, userId, 'user_deleted', now);
      });
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
