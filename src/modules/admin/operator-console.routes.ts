import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { orderView } from '../commerce/credit.routes.ts';
import type { OrderRow } from '../commerce/commerce.tables.ts';
import type { OrderService } from '../commerce/orders.service.ts';
import type { ApiKeyService } from '../identity/api-keys.service.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { UserRow } from '../identity/identity.tables.ts';
import type { UserService } from '../identity/users.service.ts';
import type { CircuitView, Health } from '../routing/health.ts';
import type { AuditLog } from './audit.service.ts';
import {
  CircuitList, OrderListQuery, OrderPage, RoleBody, UserIdParams, UserListQuery, UserPage, UserResponse,
} from './operator-console.schema.ts';

// What the web console's operator pages need beyond the existing operator endpoints (studio envelope, admin role):
// find users and change their role, see every user's orders, and see the router's circuits (the platform channels
// are managed in channels-admin.routes.ts).

const userView = (u: UserRow) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  phone: u.phone,
  role: u.role,
  status: u.status,
  billing_mode: u.billingMode,
  created_at: formatStudioTime(u.createdAt),
  updated_at: formatStudioTime(u.updatedAt),
});

export const circuitView = (c: CircuitView) => ({ key: c.key, state: c.state, consecutive_failures: c.consecutiveFailures, error_rate: c.errorRate });

export interface OperatorConsoleDeps {
  users: UserService;
  orders: OrderService;
  /** The gateway's circuit breakers, read only. */
  health: Pick<Health, 'view' | 'snapshot'>;
  audit: AuditLog;
  auth: AuthHooks;
  apiKeys: ApiKeyService;
}

export async function operatorConsoleRoutes(root: FastifyInstance, deps: OperatorConsoleDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { users, orders, health, audit, auth } = deps;
  const admin = { onRequest: auth.sessionWithRole('admin') };
  const tags = ['operators'];

  app.get(
    '/api/v1/admin/users',
    { ...admin, schema: { tags, summary: 'Find users', description: 'Live users, newest first; `q` matches a part of the username or email.', querystring: UserListQuery, response: { 200: UserPage } } },
    async (req) => {
      const q = req.query;
      const { rows, total } = await users.search({ q: q.q, role: q.role }, pageWindow(q));
      return studioOk(pageOf(q, total, rows.map(userView)));
    },
  );

  app.put(
    '/api/v1/admin/users/:id/role',
    {
      ...admin,
      schema: {
        tags, summary: 'Change a user’s role',
        description: '`user`, `supplier` or `admin`; audited (`user.role`). Operators cannot remove their own operator role (409). The same role again changes nothing.',
        params: UserIdParams, body: RoleBody, response: { 200: UserResponse },
      },
    },
    async (req) => {
      const actor = principalOf(req);
      const user = await users.setRole(actor, req.params.id, req.body.role, (tx, before, after) =>
        audit.record(tx, {
          actorUserId: actor.userId, tenantUserId: before.id, action: 'user.role', objectType: 'user', objectId: String(before.id),
          before: { role: before.role }, after: { role: after.role }, requestId: req.id,
        }),
      );
      // API-key lookups are cached with their owner's role: the new role applies to the next `/1` or `/v1` request.
      deps.apiKeys.forgetAll();
      return studioOk(userView(user), '角色已更新');
    },
  );

  app.get(
    '/api/v1/admin/orders',
    { ...admin, schema: { tags, summary: 'Every user’s orders', description: 'Newest first; filter by status, kind or user.', querystring: OrderListQuery, response: { 200: OrderPage } } },
    async (req) => {
      const q = req.query;
      const { limit, offset } = pageWindow(q);
      const { rows, total } = await orders.pageAll({ status: q.status, kind: q.kind, userId: q.user_id }, limit, offset);
      const names = await users.usernames(rows.map((o) => o.userId));
      const view = (o: OrderRow) => ({
        ...orderView(o), kind: o.kind, user_id: o.userId, username: names.get(o.userId) ?? null, provider: o.provider,
        failure_reason: o.failureReason, refunded_at: o.refundedAt ? formatStudioTime(o.refundedAt) : null,
      });
      return studioOk(pageOf(q, total, rows.map(view)));
    },
  );

  app.get(
    '/api/v1/admin/circuits',
    {
      ...admin,
      schema: {
        tags, summary: 'Every circuit the router has seen',
        description: 'Channels (`channel:<id>`), registry models (`model:<id>`) and supply accounts (`supply-account:<id>`); a candidate never used is not listed (it is closed).',
        response: { 200: CircuitList },
      },
    },
    async () => studioOk(health.snapshot().map(circuitView)),
  );
}
