import { z } from 'zod';
import { pageEnvelope, PageQuery, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { OrderItem } from '../commerce/credit.schema.ts';
import { ORDER_KINDS, ORDER_STATUSES } from '../commerce/commerce.tables.ts';
import { BILLING_MODES, USER_ROLES, USER_STATUSES } from '../identity/identity.tables.ts';

// The operators' console (`/api/v1/admin/...`, studio envelope): users and their roles, every user's orders, and the
// router's circuit state (the platform channels are in channels-admin.schema.ts).

export const UserIdParams = z.strictObject({ id: RowId });

export const UserListQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(100).optional().describe('A part of the username or the email, case-insensitive'),
  role: z.enum(USER_ROLES).optional(),
});

export const AdminUser = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  billing_mode: z.enum(BILLING_MODES),
  created_at: z.string(),
  updated_at: z.string(),
});
export const UserPage = studioEnvelope(pageEnvelope(AdminUser));

export const RoleBody = z.strictObject({ role: z.enum(USER_ROLES) });
export const UserResponse = studioEnvelope(AdminUser);

export const OrderListQuery = PageQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  kind: z.enum(ORDER_KINDS).optional(),
  user_id: RowId.optional().describe('Only this user’s orders'),
});

/** A buyer's order view plus who placed it and what happened to it. */
export const AdminOrder = OrderItem.extend({
  kind: z.enum(ORDER_KINDS),
  user_id: z.number().int(),
  username: z.string().nullable(),
  provider: z.string(),
  failure_reason: z.string().nullable(),
  refunded_at: z.string().nullable(),
});
export const OrderPage = studioEnvelope(pageEnvelope(AdminOrder));

export const Circuit = z.object({
  key: z.string().describe('`channel:<id>`, `model:<id>` (registry models) or `supply-account:<id>`'),
  state: z.enum(['closed', 'open', 'half_open']),
  consecutive_failures: z.number().int(),
  error_rate: z.number().describe('Share of failures among the last 20 outcomes, 0–1'),
});

export const CircuitList = studioEnvelope(z.array(Circuit));
