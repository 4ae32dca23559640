import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { unauthenticated } from '../../platform/errors.ts';
import { bearerToken, principalOf, type AuthHooks } from './auth.hooks.ts';
import {
  ChangePasswordBody, LoginBody, LoginResponse, MeResponse, RefreshResponse, RegisterBody, RegisterResponse,
} from './auth.schema.ts';
import type { Db } from '../../platform/db.ts';
import type { UserRow } from './identity.tables.ts';
import type { SessionService } from './sessions.service.ts';
import type { StandingSource, UserService } from './users.service.ts';

export interface AuthRouteDeps {
  users: UserService;
  sessions: SessionService;
  standing: StandingSource;
  auth: AuthHooks;
  /** Runs in the registration's transaction with the new user (operations: the referral, registration gifts). */
  onRegistered?: (tx: Db, user: UserRow, context: { ref?: string }) => Promise<void>;
}

/** A new console session for `user`, in the login response's shape (operator setup answers with it too). */
export async function openConsoleSession(req: FastifyRequest, user: UserRow, deps: Pick<AuthRouteDeps, 'sessions' | 'standing'>) {
  const tokens = await deps.sessions.open(user, { userAgent: req.headers['user-agent'], ip: req.ip });
  const s = await deps.standing(user.id);
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'bearer' as const,
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      credit_balance: s.credit_balance,
      is_member: s.is_member,
      membership_type: s.membership_type,
    },
  };
}

export async function authRoutes(root: FastifyInstance, deps: AuthRouteDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { users, sessions, standing, auth } = deps;
  const tags = ['auth'];

  app.post('/api/v1/auth/register', { schema: { tags, summary: 'Create an account (buyer), with an optional referral code', body: RegisterBody, response: { 200: RegisterResponse } } }, async (req) => {
    const { ref, ...account } = req.body;
    const { onRegistered } = deps;
    const user = await users.register(account, onRegistered && ((tx, created) => onRegistered(tx, created, { ref })));
    const s = await standing(user.id);
    return studioOk(
      {
        id: user.id,
        username: user.username,
        email: user.email ?? req.body.email,
        credit_balance: s.credit_balance,
        is_member: s.is_member,
        referral_code: user.referralCode,
      },
      '注册成功',
    );
  });

  app.post('/api/v1/auth/login', { schema: { tags, summary: 'Sign in with username or email and password', body: LoginBody, response: { 200: LoginResponse } } }, async (req) => {
    const user = await users.verifyCredentials(req.body.username, req.body.password);
    return studioOk(await openConsoleSession(req, user, deps), '登录成功');
  });

  app.post('/api/v1/auth/refresh', { schema: { tags, summary: 'A new access token from the refresh token', response: { 200: RefreshResponse } } }, async (req) => {
    const token = bearerToken(req);
    if (!token) throw unauthenticated('Missing refresh token');
    const next = await sessions.refresh(token);
    return studioOk(
      { access_token: next.accessToken, token_type: 'bearer' as const, ...(next.refreshToken ? { refresh_token: next.refreshToken } : {}) },
      'Token刷新成功',
    );
  });

  app.get('/api/v1/auth/me', { onRequest: auth.session, schema: { tags, summary: 'The signed-in user, with role and membership', response: { 200: MeResponse } } }, async (req) => {
    const user = await users.getLive(principalOf(req).userId);
    return studioOk({
      id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      ...(await standing(user.id)),
      referral_code: user.referralCode,
    });
  });

  app.post('/api/v1/auth/logout', { onRequest: auth.session, schema: { tags, summary: 'Sign out: revoke this session', response: { 200: StudioEmpty } } }, async (req) => {
    await sessions.close(principalOf(req).sessionId as string);
    return studioOk(null, '已退出登录');
  });

  app.put(
    '/api/v1/auth/password',
    { onRequest: auth.session, schema: { tags, summary: 'Change the password (other sessions are signed out)', body: ChangePasswordBody, response: { 200: StudioEmpty } } },
    async (req) => {
      await users.changePassword(principalOf(req), req.body.old_password, req.body.new_password);
      return studioOk(null, '密码已修改');
    },
  );
}
