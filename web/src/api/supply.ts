import { api, type Query } from './client.ts';

// The supply console (contracts/supply-console.openapi.yaml plus our additions): accounts, packages, earnings,
// withdrawals, the supplier profile and the supplier bill. Shapes mirror the zod schemas in src/modules/supply/*.schema.ts.
// Amounts are CNY numbers (2 decimals; unit prices 4 decimals, per 1M tokens); quotas are tokens.

export const SUPPLY_PROVIDERS = ['openai', 'anthropic', 'gemini', 'baidu', 'xfyun', 'tencent'] as const;
export type SupplyProvider = (typeof SUPPLY_PROVIDERS)[number];
export const ACCOUNT_TYPES = ['api_key', 'oauth'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];
export type AccountStatus = 'pending' | 'active' | 'suspended' | 'disabled';
export type VerifyStatus = 'pass' | 'review_required' | 'reject';
export type ReviewStatus = 'not_required' | 'required' | 'approved' | 'rejected';
export type PackageStatus = 'draft' | 'active' | 'paused' | 'sold_out' | 'expired';
export type EarningType = 'usage' | 'bonus' | 'refund';
export type EarningStatus = 'pending' | 'available' | 'frozen' | 'withdrawn';
export const PAYMENT_METHODS = ['bank', 'alipay', 'wechat'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type SettlementStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface PageQuery {
  page?: number;
  page_size?: number;
}

export interface DateRange {
  /** YYYY-MM-DD, UTC+8, inclusive. */
  start_date?: string;
  end_date?: string;
}

// Accounts

export interface VerifyAccountBody {
  provider: SupplyProvider;
  account_type: AccountType;
  credential_input: string;
  min_quota_threshold?: number;
}

export interface CreateAccountBody extends VerifyAccountBody {
  account_alias?: string;
  risk_ack: true;
}

export interface CheckItem {
  item: string;
  result: 'pass' | 'warn' | 'fail';
  message: string;
}

export interface VerifyResult {
  verify_status: VerifyStatus;
  available_quota?: number;
  risk_score: number;
  check_items: CheckItem[];
}

export interface SupplyAccount {
  account_id: number;
  provider: SupplyProvider;
  account_type: AccountType;
  account_alias?: string;
  status: AccountStatus;
  available_quota?: number;
  risk_score: number;
  created_at: string;
  verify_status: VerifyStatus;
  review_status: ReviewStatus;
  check_items: CheckItem[];
  models: string[] | null;
  updated_at: string;
}

export interface AccountStatusChange {
  account_id: number;
  status: AccountStatus;
  updated_at: string;
}

export interface AuditEvent {
  event_id: string;
  operator_id: number;
  tenant_id: number;
  object_type: string;
  object_id: string;
  action: string;
  before_state: Record<string, unknown>;
  after_state: Record<string, unknown>;
  request_id: string;
  created_at: string;
  reason?: string;
}

// Packages

export interface PackageDraftBody {
  supply_account_id: number;
  model: string;
  total_quota: number;
  price_per_1m_input: number;
  price_per_1m_output: number;
  valid_days: number;
  max_concurrent?: number;
  rate_limit_rpm?: number;
}

export interface SupplyPackage {
  package_id: number;
  supply_account_id: number;
  model: string;
  total_quota: number;
  available_quota: number;
  price_per_1m_input: number;
  price_per_1m_output: number;
  valid_days: number;
  status: PackageStatus;
  created_at: string;
  max_concurrent: number;
  rate_limit_rpm: number;
  published_at: string | null;
  expires_at: string | null;
  cloned_from: number | null;
  updated_at: string;
}

export interface PackageStatusChange {
  package_id: number;
  status: PackageStatus;
  updated_at: string;
}

export type PackageAction = 'publish' | 'pause' | 'unlist';

export interface BatchPriceItem {
  package_id: number;
  price_per_1m_input: number;
  price_per_1m_output: number;
}

export interface BatchPriceResult {
  total: number;
  success_count: number;
  failed_count: number;
  failures: { package_id: number; error_code: string; message: string }[];
}

// Earnings, withdrawals, profile, bill

export interface EarningRecord {
  record_id: number;
  user_id: number;
  settlement_id?: number;
  earnings_type: EarningType;
  amount: number;
  status: EarningStatus;
  description?: string;
  earned_at: string;
}

export interface EarningsSummary {
  pending: number;
  available: number;
  frozen: number;
  withdrawn: number;
}

export interface WithdrawBody {
  withdraw_amount: number;
  payment_method: PaymentMethod;
  payment_account: string;
  sms_code: string;
}

export interface SupplySettlement {
  settlement_id: number;
  settlement_no: string;
  status: SettlementStatus;
  total_amount: number;
  fee_amount: number;
  net_amount: number;
  payment_method: PaymentMethod;
  created_at: string;
}

export interface SettlementView extends SupplySettlement {
  /** Masked in the middle. */
  payment_account: string;
  /** `cancelled` when the supplier cancelled it. */
  failure_reason: string | null;
  updated_at: string;
  completed_at: string | null;
}

export interface SettlementStatusChange {
  settlement_id: number;
  status: SettlementStatus;
  updated_at: string;
}

export interface Statement {
  settlement_id: number;
  file_name: string;
  download_url: string;
  expires_at: string;
}

export interface SupplierProfile {
  user_id: number;
  display_name: string | null;
  /** Masked. */
  phone: string | null;
  phone_verified: boolean;
  phone_verified_at: string | null;
  /** Set after 5 wrong withdrawal codes (or phone-change codes, passwords) in a row. */
  withdraw_locked_until: string | null;
  /** Withdrawals wait 24 h after the phone is replaced. */
  withdraw_paused_until: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * A new phone: its code, and a second factor — the code sent to the phone it replaces, or the account password when
 * none is bound yet.
 */
export interface PhoneChange {
  phone: string;
  sms_code: string;
  current_phone_code?: string;
  password?: string;
}

export interface CodeSent {
  phone: string;
  expires_at: string;
  /** The earliest time another code can be requested. */
  resend_at: string;
}

export interface PlatformBilling {
  platform: 'api' | 'studio';
  revenue: number;
  orders: number;
  tokens: number;
  success_rate: number;
}

export interface SupplierBilling {
  period: { start: string; end: string };
  summary: {
    total_revenue: number;
    total_orders: number;
    total_usage: number;
    total_requests: number;
    avg_success_rate: number;
    platform_fee: number;
    net_earnings: number;
  };
  by_platform: PlatformBilling[];
}

const idempotent = (key: string) => ({ headers: { 'Idempotency-Key': key } });
const q = (o: object) => o as Query;

export const supplyApi = {
  verifyAccount: (body: VerifyAccountBody) => api.post<VerifyResult>('/api/v1/supply/accounts/verify', body),
  createAccount: (body: CreateAccountBody, key: string) => api.post<SupplyAccount>('/api/v1/supply/accounts', body, idempotent(key)),
  accounts: (query: PageQuery & { status?: AccountStatus } = {}) => api.supplyPage<SupplyAccount>('/api/v1/supply/accounts', q(query)),
  accountAction: (id: number, action: 'activate' | 'suspend') => api.post<AccountStatusChange>(`/api/v1/supply/accounts/${id}/${action}`),
  deleteAccount: (id: number) => api.del<void>(`/api/v1/supply/accounts/${id}`),
  auditLogs: (id: number, query: PageQuery) => api.supplyPage<AuditEvent>(`/api/v1/supply/accounts/${id}/audit-logs`, q(query)),

  saveDraft: (body: PackageDraftBody) => api.post<SupplyPackage>('/api/v1/supply/packages/draft', body),
  packages: (query: PageQuery & { status?: PackageStatus; supply_account_id?: number } = {}) =>
    api.supplyPage<SupplyPackage>('/api/v1/supply/packages', q(query)),
  packageAction: (id: number, action: PackageAction) => api.post<PackageStatusChange>(`/api/v1/supply/packages/${id}/${action}`),
  clonePackage: (id: number) => api.post<SupplyPackage>(`/api/v1/supply/packages/${id}/clone`),
  batchPrice: (items: BatchPriceItem[], key: string) => api.post<BatchPriceResult>('/api/v1/supply/packages/batch-price', { items }, idempotent(key)),

  earningsSummary: () => api.get<EarningsSummary>('/api/v1/supply/earnings/summary'),
  earningRecords: (query: PageQuery & DateRange) => api.supplyPage<EarningRecord>('/api/v1/supply/earnings/records', q(query)),
  billing: (range: DateRange) => api.get<SupplierBilling>('/api/v1/supplier/billing', q(range)),

  profile: () => api.get<SupplierProfile>('/api/v1/supply/profile'),
  sendPhoneCode: (phone: string) => api.post<CodeSent>('/api/v1/supply/profile/sms-code', { phone }),
  sendCurrentPhoneCode: () => api.post<CodeSent>('/api/v1/supply/profile/current-phone/sms-code'),
  savePhone: (change: PhoneChange) => api.put<SupplierProfile>('/api/v1/supply/profile', change),

  sendWithdrawCode: () => api.post<CodeSent>('/api/v1/supply/settlements/sms-code'),
  withdraw: (body: WithdrawBody, key: string) => api.post<SupplySettlement>('/api/v1/supply/settlements/withdraw', body, idempotent(key)),
  settlements: (query: PageQuery & { status?: SettlementStatus } = {}) => api.supplyPage<SettlementView>('/api/v1/supply/settlements', q(query)),
  cancelSettlement: (id: number) => api.post<SettlementStatusChange>(`/api/v1/supply/settlements/${id}/cancel`),
  statement: (id: number) => api.get<Statement>(`/api/v1/supply/settlements/${id}/statement`),
};
