import { api, download, type StudioPage } from './client.ts';

// The buyer's API: balance, usage, API keys, orders and coupons. Types mirror the server's zod schemas
// (src/modules/{metering,identity,commerce}/*.schema.ts); amounts arrive in CNY (numbers), credits as numbers.

// ---- balance ------------------------------------------------------------------------------------

export interface Balance {
  credit_balance: number;
  is_member: boolean;
  membership_type: string | null;
  membership_end_date: string | null;
  /** CNY owed, up to 6 decimals: a prepaid user's debt (the next credit pays it first), or a postpaid user's bill. */
  owed_amount: number;
  billing_mode: 'prepaid' | 'postpaid';
}

export const getBalance = () => api.get<Balance>('/api/v1/credit/balance');

/** 1 credit = ¥0.1 (DESIGN.md, Money). */
export const creditsToYuan = (credits: number) => credits / 10;

// ---- usage --------------------------------------------------------------------------------------

export const USAGE_STATUSES = ['success', 'error', 'aborted'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

export interface UsageFilter {
  /** `YYYY-MM-DD` in UTC+8, both ends inclusive. */
  start_date?: string;
  end_date?: string;
  model?: string;
  key_id?: number;
  status?: UsageStatus;
}

export interface UsageItem {
  id: number;
  request_id: string;
  model: string;
  operation: string | null;
  key_id: number | null;
  upstream: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number;
  usage_estimated: boolean;
  status: UsageStatus;
  http_status: number | null;
  error_message: string | null;
  latency_ms: number | null;
  first_byte_ms: number | null;
  attempts: number;
  created_at: string;
}

export interface UsageTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
}

export interface UsageDay extends UsageTotals {
  date: string;
  success: number;
  errors: number;
  aborted: number;
}

export interface UsageDaily {
  start_date: string;
  end_date: string;
  /** Only days with records. */
  days: UsageDay[];
  by_model: (UsageTotals & { model: string })[];
}

export const listUsage = (filter: UsageFilter, page: number, pageSize: number) =>
  api.get<StudioPage<UsageItem>>('/api/v1/usage', { ...filter, page, page_size: pageSize });

/** Per-day and per-model totals; the server defaults to the last 30 days ending today (UTC+8). */
export const getUsageDaily = (filter: UsageFilter = {}) => api.get<UsageDaily>('/api/v1/usage/daily', { ...filter });

export interface CsvExport {
  blob: Blob;
  filename: string;
  /** The server caps an export at 10 000 rows. */
  truncated: boolean;
}

/** The usage CSV as a Blob, through the client's download (session token, silent refresh). */
export async function exportUsageCsv(filter: UsageFilter): Promise<CsvExport> {
  const file = await download('/api/v1/usage/export', { ...filter });
  return { blob: file.blob, filename: file.filename ?? 'usage.csv', truncated: file.headers.get('x-export-truncated') === 'true' };
}

// ---- models a key may call ----------------------------------------------------------------------

/** A model as GET /v1/models lists it, with the price the buyer is shown (CNY per 1M tokens; per image for images). */
export interface CallableModel {
  id: string;
  owned_by: string;
  pricing: { currency: 'CNY'; input_per_1m_tokens: number; output_per_1m_tokens: number; per_image?: number };
}

/** What an API key without a model allow-list may call: the console has a session, not a key, to ask /v1/models. */
export const listCallableModels = () => api.get<CallableModel[]>('/api/v1/gateway/models');

// ---- API keys -----------------------------------------------------------------------------------

export interface ApiKey {
  id: number;
  name: string;
  key_mask: string;
  enabled: boolean;
  expires_at: string | null;
  allowed_models: string[] | null;
  allowed_ips: string[] | null;
  /** CNY; null = no limit. */
  spend_limit: number | null;
  spent: number;
  rate_limit_rpm: number | null;
  last_used_at: string | null;
  created_at: string;
}

export interface KeyLimits {
  /** ISO 8601; null = never expires. */
  expires_at?: string | null;
  allowed_models?: string[] | null;
  allowed_ips?: string[] | null;
  spend_limit?: number | null;
  rate_limit_rpm?: number | null;
}

export type CreateKeyBody = KeyLimits & { name: string };
export type UpdateKeyBody = KeyLimits & { name?: string; enabled?: boolean };

export const listKeys = (page: number, pageSize: number) => api.get<StudioPage<ApiKey>>('/api/v1/keys', { page, page_size: pageSize });
/** The answer carries the whole key once (`key`); it is never shown again. */
export const createKey = (body: CreateKeyBody) => api.post<ApiKey & { key: string }>('/api/v1/keys', body);
export const updateKey = (id: number, body: UpdateKeyBody) => api.patch<ApiKey>(`/api/v1/keys/${id}`, body);
export const revokeKey = (id: number) => api.del<null>(`/api/v1/keys/${id}`);

// ---- orders, recharge, membership ---------------------------------------------------------------

export const PAYMENT_METHODS = ['alipay', 'wechat', 'balance'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const MEMBERSHIP_TYPES = ['monthly', 'quarterly', 'yearly'] as const;
export type MembershipType = (typeof MEMBERSHIP_TYPES)[number];
export type OrderKind = 'recharge' | 'membership';

/** The recharge range of credit.schema.ts (CNY, 2 decimals). */
export const RECHARGE_MIN = 0.01;
export const RECHARGE_MAX = 50_000;

export interface RechargeBody {
  amount: number;
  payment_method: Exclude<PaymentMethod, 'balance'>;
  coupon_code?: string;
}

export interface RechargeCreated {
  order_id: string;
  amount: number;
  original_amount: number;
  discount: number;
  credits: number;
  bonus_credits: number;
  payment_url: string | null;
  expires_at: string;
}

export interface MembershipBody {
  membership_type: MembershipType;
  payment_method: PaymentMethod;
  coupon_code?: string;
}

export interface MembershipCreated {
  order_id: string;
  membership_type: MembershipType;
  amount: number;
  original_amount: number;
  discount: number;
  status: string;
  payment_url: string | null;
  membership_end_date: string | null;
}

export interface Order {
  order_id: string;
  status: 'pending' | 'paid' | 'failed' | 'expired' | 'refunded';
  payment_method: string;
  amount: number;
  original_amount: number;
  discount: number;
  credits: number;
  bonus_credits: number;
  membership_type: string | null;
  /** Only while the order is pending. */
  payment_url: string | null;
  created_at: string;
  expires_at: string;
  paid_at: string | null;
}

/** A purchase is a money mutation: the caller keeps one Idempotency-Key per user action (a retry reuses it). */
export const recharge = (body: RechargeBody, key: string) =>
  api.post<RechargeCreated>('/api/v1/credit/recharge', body, { headers: { 'idempotency-key': key } });
export const buyMembership = (body: MembershipBody, key: string) =>
  api.post<MembershipCreated>('/api/v1/credit/membership', body, { headers: { 'idempotency-key': key } });
export const listOrders = (kind: OrderKind, page: number, pageSize: number) =>
  api.get<StudioPage<Order>>(`/api/v1/credit/${kind}/orders`, { page, page_size: pageSize });

// ---- coupons ------------------------------------------------------------------------------------

export type CouponType = 'discount' | 'deduction' | 'credit_bonus';

interface CouponTerms {
  code: string;
  name: string;
  type: CouponType;
  /** discount: percent off; deduction: CNY off; credit_bonus: credits added. */
  value: number;
  min_amount: number;
  valid_from: string;
  valid_until: string;
}

export interface MyCoupon extends CouponTerms {
  claim_id: number;
  coupon_id: number;
  status: 'unused' | 'used' | 'expired';
  claimed_at: string;
  used_at: string | null;
}

/** A coupon the user may still claim (a non-operator's view of GET /api/v1/operation/coupons). */
export interface ClaimableCoupon extends CouponTerms {
  id: number;
  max_usage: number;
  claimed_count: number;
  used_count: number;
  status: string;
}

export const myCoupons = (status?: MyCoupon['status']) => api.get<{ total: number; items: MyCoupon[] }>('/api/v1/operation/my-coupons', { status });
export const claimableCoupons = (page: number, pageSize: number) =>
  api.get<StudioPage<ClaimableCoupon>>('/api/v1/operation/coupons', { page, page_size: pageSize });
export const claimCoupon = (couponId: number) =>
  api.post<{ claim_id: number; coupon_id: number; code: string; status: string }>(`/api/v1/operation/coupons/${couponId}/claim`);

/**
 * Claims by code: the API claims by id, so this looks the code up among the claimable coupons (100 a page).
 * Undefined when no claimable coupon has that code.
 */
export async function claimCouponByCode(code: string) {
  const wanted = code.trim().toLowerCase();
  for (let page = 1; page <= 50; page++) {
    const found = await claimableCoupons(page, 100);
    const hit = found.items.find((c) => c.code.toLowerCase() === wanted);
    if (hit) return claimCoupon(hit.id);
    if (page * found.page_size >= found.total) return undefined;
  }
  return undefined;
}
