import crypto from 'node:crypto';
import { sha256Hex } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database, type Db } from '../../platform/db.ts';
import { AppError, badRequest, conflict } from '../../platform/errors.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import type { UserRow } from './identity.tables.ts';
import * as linksRepo from './operator-setup.repo.ts';
import * as sessionsRepo from './sessions.repo.ts';
import * as usersRepo from './users.repo.ts';
import { usernameFromEmail, type UserService } from './users.service.ts';

// One-time links (`/setup?token=…`) that give an operator a console password: the way in for a root made by
// `/1/users/init` (a legacy token, no password, no email), for the first operator of a fresh install, and for one
// appointed by `npm run operator`. Only the token's SHA-256 is stored; the link itself is shown once, to whoever
// issued it (a response, the server's log, the terminal).

const SETUP_LINK_TTL_MS = 24 * 3600 * 1000;
const TOKEN_BYTES = 32;

export interface SetupLink {
  url: string;
  expiresAt: Date;
}

export type SetupLinkView =
  | { valid: false }
  /** `createsOperator`: the link makes the first operator (nobody to name yet). */
  | { valid: true; createsOperator: boolean; username: string | null; email: string | null };

export interface Appointment {
  user: UserRow;
  change: 'created' | 'promoted' | 'unchanged';
  /** The role the user had before (the same as now unless promoted). */
  previousRole: UserRow['role'];
  /** Present when no password was given: the link that lets them choose one. */
  link?: SetupLink;
}

// Unknown, used, expired and no-longer-applicable links answer alike: whoever holds a guessed or stale token learns
// nothing about which it is.
const invalidLink = () =>
  new AppError('NOT_FOUND', 'This setup link is invalid, already used or expired; ask an operator for a new one');

const isUsable = (link: linksRepo.SetupLinkRow | undefined, now: Date): link is linksRepo.SetupLinkRow =>
  link !== undefined && link.usedAt === null && link.expiresAt > now;

// A link bound to a user sets up an operator: one who was deleted, disabled or demoted since is not set up by it.
const isOperator = (user: UserRow | undefined): user is UserRow => user?.role === 'admin' && user.status === 'active';

export function createOperatorSetupService(deps: { database: Database; clock: Clock; users: UserService; publicBaseUrl: string }) {
  const { database, clock, users } = deps;

  async function issue(userId: number | null, db: Db = database.db): Promise<SetupLink> {
    const token = crypto.randomBytes(TOKEN_BYTES).toString('base64url');
    const createdAt = clock.now();
    const expiresAt = addMs(createdAt, SETUP_LINK_TTL_MS);
    await linksRepo.insertLink(db, { tokenHash: sha256Hex(token), userId, createdAt, expiresAt });
    return { url: `${deps.publicBaseUrl}/setup?token=${token}`, expiresAt };
  }

  async function inspect(token: string): Promise<SetupLinkView> {
    const db = database.db;
    const link = await linksRepo.findLink(db, sha256Hex(token));
    if (!isUsable(link, clock.now())) return { valid: false };
    if (link.userId === null) {
      return (await usersRepo.anyLiveAdmin(db)) ? { valid: false } : { valid: true, createsOperator: true, username: null, email: null };
    }
    const user = await usersRepo.findLiveById(db, link.userId);
    return isOperator(user) ? { valid: true, createsOperator: false, username: user.username, email: user.email } : { valid: false };
  }

  async function createFirstOperator(tx: Db, input: { email: string; username?: string }, passwordHash: string): Promise<UserRow> {
    const username = input.username ?? usernameFromEmail(input.email);
    const created = await users.createFirstAdmin({ username, email: input.email, passwordHash }, async () => undefined, tx);
    // Someone became an operator after this link was printed: it was only ever meant for a service without one.
    if (!created) throw invalidLink();
    return created.admin;
  }

  async function setCredentials(tx: Db, userId: number, email: string, passwordHash: string, now: Date): Promise<UserRow> {
    if (!isOperator(await usersRepo.lockLive(tx, userId))) throw invalidLink();
    let updated: UserRow | undefined;
    try {
      updated = await usersRepo.setEmailAndPassword(tx, userId, { email, passwordHash }, now);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Email is already registered', { field: 'body.email' });
      throw err;
    }
    // A new password ends the sessions opened with the old one (as a password change does).
    await sessionsRepo.revokeUserSessions(tx, userId, 'password_changed', now);
    return updated as UserRow;
  }

  return {
    /** A link for the operator `userId`, or (null) for whoever creates the first operator; valid 24 h, usable once. */
    issue,

    /** What the setup page shows for a link; no secret, and the same `{ valid: false }` for every kind of dead link. */
    inspect,

    /** At boot with no operator: a link that creates the first one (undefined when an operator exists). */
    async firstOperatorLink(): Promise<SetupLink | undefined> {
      return (await usersRepo.anyLiveAdmin(database.db)) ? undefined : issue(null);
    },

    /**
     * Uses a link: sets the operator's email and password (or creates the first operator with them), marks the link
     * used and retires the user's other unused links, all in one transaction with the link locked.
     * `username` may be chosen only by a link that creates the operator.
     */
    async redeem(token: string, input: { email: string; password: string; username?: string }): Promise<UserRow> {
      const tokenHash = sha256Hex(token);
      // Checked before hashing, so a dead token costs no argon2 work; checked again under the lock below.
      const view = await inspect(token);
      if (!view.valid) throw invalidLink();
      if (input.username !== undefined && !view.createsOperator) {
        throw badRequest('A username can be chosen only when the link creates the first operator', { field: 'body.username' });
      }
      const passwordHash = await users.hashPassword(input.password);
      const now = clock.now();
      return database.transaction(async (tx) => {
        const link = await linksRepo.lockLink(tx, tokenHash);
        if (!isUsable(link, now)) throw invalidLink();
        const user =
          link.userId === null
            ? await createFirstOperator(tx, input, passwordHash)
            : await setCredentials(tx, link.userId, input.email, passwordHash, now);
        await linksRepo.markUsed(tx, tokenHash, now);
        await linksRepo.retireOutstanding(tx, user.id, now);
        return user;
      });
    },

    /**
     * `npm run operator`: the live user with this email becomes an operator (one is created when nobody has it).
     * With a password it is set at once (their sessions end, their unused links retire); without one, a setup link
     * is issued. `onPromoted` runs in the same transaction when a role changes (the audit event).
     */
    async appoint(
      input: { email: string; password?: string },
      onPromoted: (tx: Db, before: UserRow, after: UserRow) => Promise<void>,
    ): Promise<Appointment> {
      const passwordHash = input.password === undefined ? undefined : await users.hashPassword(input.password);
      const now = clock.now();
      return database.transaction(async (tx) => {
        const found = await usersRepo.findLiveByEmail(tx, input.email, { lock: true });
        let appointment: Appointment;
        if (!found) {
          const user = await users.createOperator({ username: usernameFromEmail(input.email), email: input.email, passwordHash }, tx);
          appointment = { user, change: 'created', previousRole: user.role };
        } else if (found.role !== 'admin') {
          const user = (await usersRepo.setRole(tx, found.id, 'admin', now)) as UserRow;
          await onPromoted(tx, found, user);
          appointment = { user, change: 'promoted', previousRole: found.role };
        } else {
          appointment = { user: found, change: 'unchanged', previousRole: found.role };
        }
        const { user } = appointment;
        if (passwordHash === undefined) return { ...appointment, link: await issue(user.id, tx) };
        if (found) {
          await usersRepo.setPasswordHash(tx, user.id, passwordHash, now);
          await sessionsRepo.revokeUserSessions(tx, user.id, 'password_changed', now);
        }
        await linksRepo.retireOutstanding(tx, user.id, now);
        return appointment;
      });
    },
  };
}

export type OperatorSetupService = ReturnType<typeof createOperatorSetupService>;
