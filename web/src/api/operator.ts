import type { ClaimableCoupon, CouponType, Order } from './buyer.ts';
import { api, ApiError, download, idempotencyKey, type StudioPage, type SupplyPage } from './client.ts';

// The operators' API. Types mirror the server's zod schemas: src/modules/admin/operator-console.schema.ts (users,
// orders, circuits), admin/channels-admin.schema.ts (channels), admin/operator.routes.ts (credits, refunds),
// studio/models.schema.ts (registry), routing/model-prices.schema.ts, supply/{accounts,settlements}.schema.ts,
// commerce/coupons.schema.ts.
// Amounts arrive in CNY (numbers); studio times as `YYYY-MM-DDTHH:mm:ss` in UTC+8, supply times as ISO 8601.

// ---- users --------------------------------------------------------------------------------------

export const ROLES = ['user', 'supplier', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AdminUser {
  id: number;
  username: string;
  email: string | null;
  phone: string | null;
  role: Role;
  status: 'active' | 'disabled' | 'deleted';
  billing_mode: 'prepaid' | 'postpaid';
  created_at: string;
  updated_at: string;
}

export const listUsers = (q: { q?: string; role?: Role; page: number; page_size: number }) => api.get<StudioPage<AdminUser>>('/api/v1/admin/users', q);
export const setUserRole = (id: number, role: Role) => api.put<AdminUser>(`/api/v1/admin/users/${id}/role`, { role });

/** Whole credits (negative takes them away); the key makes a retried click adjust once. */
export const adjustCredits = (id: number, body: { credits: number; reason: string }, key: string) =>
  api.post<{ user_id: number; credit_balance: number; replayed: boolean }>(`/api/v1/admin/users/${id}/credits`, body, { headers: { 'idempotency-key': key } });

// ---- orders -------------------------------------------------------------------------------------

export const ORDER_STATUSES = ['pending', 'paid', 'failed', 'expired', 'refunded'] as const;
export const ORDER_KINDS = ['recharge', 'membership'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type OrderKind = (typeof ORDER_KINDS)[number];

/** An order as operators see it: the buyer's view plus whose it is and how it ended. */
export interface AdminOrder extends Omit<Order, 'status'> {
  status: OrderStatus;
  kind: OrderKind;
  provider: string;
  user_id: number;
  username: string | null;
  failure_reason: string | null;
  refunded_at: string | null;
}

export const listOrders = (q: { status?: OrderStatus; kind?: OrderKind; user_id?: number; page: number; page_size: number }) =>
  api.get<StudioPage<AdminOrder>>('/api/v1/admin/orders', q);
export const refundOrder = (orderId: string, reason: string, key: string) =>
  api.post<AdminOrder>(`/api/v1/admin/orders/${orderId}/refund`, { reason }, { headers: { 'idempotency-key': key } });

// ---- channels, circuits, model registry, prices -------------------------------------------------

export type CircuitState = 'closed' | 'open' | 'half_open';
export interface Circuit {
  key: string;
  state: CircuitState;
  consecutive_failures: number;
  error_rate: number;
}

export const PROVIDERS = ['openai', 'azure_openai', 'anthropic', 'gemini', 'qwen', 'baidu', 'xfyun', 'tencent'] as const;
export type Provider = (typeof PROVIDERS)[number];
/** The providers' public base URLs (src/modules/providers/catalog.ts); Azure has none: every resource has its own. */
export const PROVIDER_DEFAULT_URLS: Record<Provider, string | null> = {
  openai: 'https://api.openai.com',
  azure_openai: null,
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  qwen: 'https://dashscope.aliyuncs.com/compatible-mode',
  baidu: 'https://qianfan.baidubce.com',
  xfyun: 'https://spark-api-open.xf-yun.com',
  tencent: 'https://api.hunyuan.cloud.tencent.com',
};
export const providerNeedsEndpoint = (p: Provider) => PROVIDER_DEFAULT_URLS[p] === null;

/** A platform channel (src/modules/admin/channels-admin.schema.ts): never its key, only our fingerprint id. */
export interface AdminChannel {
  id: number;
  name: string;
  provider: Provider;
  /** null: the provider's default. */
  base_url: string | null;
  /** null: every priced model of the provider. */
  models: string[] | null;
  weight: number;
  priority: number;
  rpm_limit: number | null;
  max_concurrent: number | null;
  enabled: boolean;
  key_hint: string;
  created_at: string;
  updated_at: string;
  circuit: Circuit;
}

export type ChannelInput = Pick<AdminChannel, 'name' | 'provider' | 'models' | 'weight' | 'priority' | 'rpm_limit' | 'max_concurrent' | 'enabled'> & {
  /** Write-only; absent on a change keeps the stored key. */
  key?: string;
  /** '' is the provider's default. */
  endpoint: string;
};

export interface ChannelTestResult {
  ok: boolean;
  /** The upstream's HTTP status; null when it never answered. */
  status: number | null;
  latency_ms: number;
  model: string;
  message: string;
}

export const listChannels = () => api.get<AdminChannel[]>('/api/v1/admin/channels');
export const createChannel = (body: ChannelInput) => api.post<AdminChannel>('/api/v1/admin/channels', body);
export const updateChannel = (id: number, body: Partial<ChannelInput>) => api.patch<AdminChannel>(`/api/v1/admin/channels/${id}`, body);
export const deleteChannel = (id: number) => api.del<null>(`/api/v1/admin/channels/${id}`);
/** One small chat completion through the channel; `model` absent: the first chat model it serves. */
export const testChannel = (id: number, model?: string) => api.post<ChannelTestResult>(`/api/v1/admin/channels/${id}/test`, model ? { model } : {});
export const listCircuits = () => api.get<Circuit[]>('/api/v1/admin/circuits');

export interface RegistryModel {
  id: number;
  name: string;
  provider: Provider;
  model_name: string;
  is_active: boolean;
  credits_cost: number;
  api_base: string | null;
  config: Record<string, unknown>;
  has_api_key: boolean;
  key_hint: string | null;
  created_at: string;
  updated_at: string;
}

export interface ModelInput {
  name: string;
  provider: Provider;
  model_name: string;
  /** Write-only; null removes a stored key, absent keeps it. */
  api_key?: string | null;
  api_base?: string | null;
  config?: Record<string, unknown>;
  credits_cost: number;
  is_active: boolean;
}

/** Operators get the inactive models only when they ask for them: both lists, by id. */
export async function listModels(): Promise<RegistryModel[]> {
  const [active, inactive] = await Promise.all([
    api.get<RegistryModel[]>('/api/v1/models', { is_active: 'true' }),
    api.get<RegistryModel[]>('/api/v1/models', { is_active: 'false' }),
  ]);
  return [...active, ...inactive].sort((a, b) => a.id - b.id);
}
export const createModel = (body: ModelInput) => api.post<RegistryModel>('/api/v1/models', body);
export const updateModel = (id: number, body: Partial<ModelInput>) => api.put<RegistryModel>(`/api/v1/models/${id}`, body);
export const deleteModel = (id: number) => api.del<null>(`/api/v1/models/${id}`);

export interface ModelPrice {
  model: string;
  provider: string;
  /** CNY per 1M tokens (per image for `per_image_price`), 4 decimals. */
  input_price: number;
  output_price: number;
  per_image_price: number | null;
  operations: string[];
  price_source: 'default' | 'operator';
}

export const listPrices = () => api.get<ModelPrice[]>('/api/v1/admin/model-prices');
export const putPrice = (model: string, body: { provider: Provider; input_price: number; output_price: number; per_image_price?: number | null }) =>
  api.put<ModelPrice>(`/api/v1/admin/model-prices/${encodeURIComponent(model)}`, body);
export const deletePrice = (model: string) => api.del<null>(`/api/v1/admin/model-prices/${encodeURIComponent(model)}`);

// ---- supply review ------------------------------------------------------------------------------

export const ACCOUNT_STATUSES = ['pending', 'active', 'suspended', 'disabled'] as const;
export const REVIEW_STATUSES = ['not_required', 'required', 'approved', 'rejected'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export interface CheckItem {
  item: string;
  result: 'pass' | 'fail' | 'warn';
  message: string;
}

export interface SupplyAccount {
  account_id: number;
  supplier_user_id: number;
  provider: string;
  account_type: 'api_key' | 'oauth';
  account_alias?: string;
  status: AccountStatus;
  available_quota?: number;
  risk_score: number;
  verify_status: 'pass' | 'review_required' | 'reject';
  review_status: ReviewStatus;
  check_items: CheckItem[];
  models: string[] | null;
  created_at: string;
  updated_at: string;
}

export type AccountDecision = 'approve' | 'reject' | 'disable' | 'enable';

export const listSupplyAccounts = (q: { status?: AccountStatus; review_status?: ReviewStatus; supplier_user_id?: number; page: number; page_size: number }) =>
  api.supplyPage<SupplyAccount>('/api/v1/supply/admin/accounts', q);
export const decideAccount = (id: number, decision: AccountDecision, reason: string) =>
  api.post<{ account_id: number; status: AccountStatus; updated_at: string }>(`/api/v1/supply/admin/accounts/${id}/${decision}`, { reason });

// ---- withdrawals --------------------------------------------------------------------------------

export const SETTLEMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];
export const PAYOUT_PROVIDERS = ['manual', 'sandbox'] as const;
export type PayoutProvider = (typeof PAYOUT_PROVIDERS)[number];

export interface AdminSettlement {
  settlement_id: number;
  settlement_no: string;
  supplier_user_id: number;
  status: SettlementStatus;
  total_amount: number;
  fee_amount: number;
  net_amount: number;
  payment_method: 'bank' | 'alipay' | 'wechat';
  payment_account: string;
  payout_provider: PayoutProvider | null;
  payout_reference: string | null;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export const listSettlements = (q: { status?: SettlementStatus; page: number; page_size: number }): Promise<SupplyPage<AdminSettlement>> =>
  api.supplyPage<AdminSettlement>('/api/v1/supply/admin/settlements', q);
const settlementAction = (id: number, action: 'process' | 'complete' | 'fail', body: object) =>
  api.post<AdminSettlement>(`/api/v1/supply/admin/settlements/${id}/${action}`, body);
export const processSettlement = (id: number, provider: PayoutProvider) => settlementAction(id, 'process', { provider });
export const completeSettlement = (id: number, reference: string) => settlementAction(id, 'complete', { reference });
export const failSettlement = (id: number, reason: string) => settlementAction(id, 'fail', { reason });

// ---- coupons ------------------------------------------------------------------------------------

export type { CouponType };
export const COUPON_TYPES = ['discount', 'deduction', 'credit_bonus'] as const satisfies readonly CouponType[];
export const COUPON_FILTERS = ['active', 'used_up', 'upcoming', 'expired', 'disabled'] as const;
export type CouponFilter = (typeof COUPON_FILTERS)[number];

/** The coupons list is one endpoint for everyone; operators see every coupon in the same shape. */
export type Coupon = ClaimableCoupon;

/** A new coupon; `valid_from` / `valid_until` are ISO 8601 date-times. */
export type CouponInput = Omit<Coupon, 'id' | 'claimed_count' | 'used_count' | 'status'>;

export const listCoupons = (q: { status?: CouponFilter; page: number; page_size: number }) => api.get<StudioPage<Coupon>>('/api/v1/operation/coupons', q);
export const createCoupon = (body: CouponInput) => api.post<{ id: number; code: string; status: string }>('/api/v1/operation/coupons', body);

// ---- health -------------------------------------------------------------------------------------

export interface Readiness {
  status: 'ready' | 'unavailable';
  database?: string;
}

export const getLiveness = () => api.get<{ status: string }>('/healthz');

/** `/readyz` answers 503 with a body when the database is unreachable: that is an answer, not a failure. */
export async function getReadiness(): Promise<Readiness> {
  try {
    return await api.get<Readiness>('/readyz');
  } catch (err) {
    if (err instanceof ApiError && err.status === 503) return { status: 'unavailable' };
    throw err;
  }
}

/** The Prometheus text of `/metrics` (not JSON: fetched as a file). */
export async function getMetricsText(): Promise<string> {
  return (await download('/metrics')).blob.text();
}

export { idempotencyKey };

