import path from 'node:path';
import { z } from 'zod';
import { fileConfig, fileConfigProblems, fileEnvShape, type FileConfig } from './platform/files.config.ts';
import { PAYMENT_PROVIDER_VARS, paymentConfig, paymentEnvShape, type PaymentConfig } from './modules/commerce/payments/payments.config.ts';
import { publishingConfig, publishingEnvShape, type PublishingConfig } from './modules/publishing/publishing.config.ts';

// The only reader of process.env. Everything else receives a typed Config.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// z.coerce.number() reads ' ' as 0 and accepts '0x1F90' or '1e2': a blank PLATFORM_FEE_RATE would silently
// mean no fee. Numbers must be written as plain decimals.
const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);
const decimalNumber = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal number').transform(Number);
const positiveInt = wholeNumber.pipe(z.number().int().positive());

/** OWASP's minimum memory for argon2id with 2 passes (KiB): PASSWORD_HASH_MEMORY_KIB's default and production floor. */
export const OWASP_MEMORY_KIB = 19_456;

const hexKey = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber.pipe(z.number().int().max(65535)).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  MASTER_KEY: hexKey.optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  PUBLIC_BASE_URL: z.url().optional(),
  PLATFORM_FEE_RATE: decimalNumber.pipe(z.number().max(1)).default(0.1),
  EARNINGS_HOLD_HOURS: wholeNumber.default(24),
  ALLOW_PRIVATE_UPSTREAMS: bool.default(false),
  /** Unset: `sandbox` outside production, none in production. */
  PAYMENT_PROVIDERS: z.string().optional(),
  SMS_PROVIDER: z.enum(['sandbox']).default('sandbox'),
  REFRESH_TOKEN_ROTATION: bool.default(false),
  /** argon2id memory per password hash; OWASP's minimum is the default and the floor in production. At most 4 GiB:
   * more would make every registration and login fail to allocate instead of refusing the setting at start. */
  PASSWORD_HASH_MEMORY_KIB: wholeNumber.pipe(z.number().int().min(64).max(4 * 1024 * 1024)).default(OWASP_MEMORY_KIB),
  RATE_LIMIT_AUTH_PER_MIN: positiveInt.default(10),
  RATE_LIMIT_QUERY_PER_MIN: positiveInt.default(100),
  RATE_LIMIT_OTHER_PER_MIN: positiveInt.default(60),
  RATE_LIMIT_AI_NONMEMBER_PER_HOUR: positiveInt.default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: pretty lines on a terminal outside production, JSON everywhere else (platform/logging.ts). */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** `false`, `true`, a hop count, or a comma-separated list of proxy addresses/CIDRs (Fastify's trustProxy). */
  TRUST_PROXY: z.string().default('false'),
  JOBS_ENABLED: bool.default(true),
  ...paymentEnvShape(),
  /** The operator's Kuaishou open-platform app, for users to bind Kuaishou by its OAuth authorisation. */
  KUAISHOU_APP_ID: z.string().trim().min(1).optional(),
  KUAISHOU_APP_SECRET: z.string().trim().min(1).optional(),
  GATEWAY_MAX_TRIES: positiveInt.pipe(z.number().max(10)).default(3),
  GATEWAY_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  GATEWAY_FIRST_BYTE_TIMEOUT_MS: positiveInt.default(60_000),
  GATEWAY_IDLE_TIMEOUT_MS: positiveInt.default(60_000),
  /** Output tokens the hold assumes when a request names no max_tokens. */
  GATEWAY_DEFAULT_MAX_TOKENS: positiveInt.default(4096),
  CIRCUIT_FAILURE_THRESHOLD: positiveInt.default(5),
  CIRCUIT_COOLDOWN_MS: positiveInt.default(30_000),
  /** Unset: on outside production, off in production (where `true` is refused). */
  DEMO_UPSTREAM: bool.optional(),
  /** Where a settled charge is durable first: the journal in DATA_DIR (the database written behind), or the database. */
  BILLING_DURABILITY: z.enum(['journal', 'database']).default('journal'),
  /** `disk`: an fdatasync after every journal write (power loss); `os`: the page cache (kill -9). */
  BILLING_SYNC: z.enum(['os', 'disk']).default('os'),
  /** Longest a journaled charge waits for its database write. */
  BILLING_WRITE_BEHIND_MS: positiveInt.pipe(z.number().max(10_000)).default(100),
  ...fileEnvShape({ flag: bool, count: positiveInt }),
  ...publishingEnvShape({ count: positiveInt }),
  /** Studio: the longest a writing, image or PPT generation may hold its credits before the sweeper releases them. */
  STUDIO_HOLD_TTL_SECONDS: positiveInt.default(900),
  STUDIO_HEARTBEAT_MS: positiveInt.pipe(z.number().max(15_000)).default(15_000),
  STUDIO_VIDEO_POLL_SECONDS: positiveInt.pipe(z.number().max(300)).default(15),
  STUDIO_VIDEO_TIMEOUT_SECONDS: positiveInt.default(3600),
});

type Env = z.infer<typeof EnvSchema>;

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  passwordHashMemoryKib: number;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** 32-byte key encryption key; absent only until main resolves the development fallback. */
  masterKey?: string;
  jwtSecret?: string;
  admin?: { email: string; password: string };
  publicBaseUrl: string;
  platformFeeRate: number;
  earningsHoldHours: number;
  allowPrivateUpstreams: boolean;
  paymentProviders: string[];
  smsProvider: 'sandbox';
  refreshTokenRotation: boolean;
  rateLimits: { authPerMin: number; queryPerMin: number; otherPerMin: number; aiNonMemberPerHour: number };
  /** `PROVIDER_BASE_URL_<NAME>` overrides, keyed by the lower-cased provider name. */
  providerBaseUrls: Record<string, string>;
  logLevel: Env['LOG_LEVEL'];
  logFormat: Env['LOG_FORMAT'];
  trustProxy: boolean | number | string;
  jobsEnabled: boolean;
  payments: PaymentConfig;
  gateway: GatewayConfig;
  billing: BillingConfig;
  files: FileConfig;
  studio: StudioConfig;
  publishing: PublishingConfig;
  /** Set: users bind Kuaishou by authorising this app (`…/kuaishou/authorize`); unset: only the manual bind. */
  kuaishouApp?: { appId: string; appSecret: string };
}

export interface StudioConfig {
  holdTtlSeconds: number;
  /** A streamed generation sends a comment at least this often, so proxies keep the connection open. */
  heartbeatMs: number;
  videoPollSeconds: number;
  /** A video task unfinished after this is given up and its credits released. */
  videoTimeoutSeconds: number;
}

export interface BillingConfig {
  durability: 'journal' | 'database';
  sync: 'os' | 'disk';
  /** The charge journal's directory (in DATA_DIR). */
  journalDir: string;
  writeBehindMs: number;
}

export interface GatewayConfig {
  /** Upstream attempts per request, failover included. */
  maxTries: number;
  connectTimeoutMs: number;
  /** Until the upstream's response headers arrive. */
  firstByteTimeoutMs: number;
  /** Longest silence inside a streamed body. */
  idleTimeoutMs: number;
  defaultMaxTokens: number;
  circuit: { failureThreshold: number; cooldownMs: number };
  /** The built-in demo upstream (model `tollgate-demo`, free) is listed, routed and answered. */
  demoUpstream: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** What `npm start` warns about once the configuration is loaded: settings that must never reach production. */
export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.paymentProviders.includes('sandbox')) {
    warnings.push(
      'Sandbox payments are enabled (PAYMENT_PROVIDERS includes sandbox): orders can be marked paid without money, by a signed ' +
        'callback or by their owner on the sandbox checkout page. For development and tests only.',
    );
  }
  return warnings;
}

/** Parses the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.ADMIN_EMAIL === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (e.NODE_ENV === 'production') {
    const missing = (['MASTER_KEY', 'JWT_SECRET'] as const).filter((k) => e[k] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${missing.map((k) => `  ${k}: required in production`).join('\n')}`);
    }
  }
  const paymentProviders = (e.PAYMENT_PROVIDERS ?? (e.NODE_ENV === 'production' ? '' : 'sandbox')).split(',').map((s) => s.trim()).filter(Boolean);
  const problems: string[] = [];
  if (e.NODE_ENV === 'production' && paymentProviders.includes('sandbox')) {
    // The sandbox marks orders paid without money (a signed callback or its checkout page): never where money is real.
    problems.push('  PAYMENT_PROVIDERS: sandbox is not allowed when NODE_ENV=production (it credits orders without payment); use alipay and/or wechat');
  }
  for (const name of paymentProviders) {
    if (!(name in PAYMENT_PROVIDER_VARS)) problems.push(`  PAYMENT_PROVIDERS: unknown provider "${name}" (sandbox, alipay, wechat)`);
    for (const v of PAYMENT_PROVIDER_VARS[name as keyof typeof PAYMENT_PROVIDER_VARS] ?? []) {
      if (e[v] === undefined) problems.push(`  ${v}: required when PAYMENT_PROVIDERS includes ${name}`);
    }
  }
  if (e.NODE_ENV === 'production' && e.DEMO_UPSTREAM === true) {
    // The demo answers canned text for free: a production catalog must list only models that really answer.
    problems.push('  DEMO_UPSTREAM: the built-in demo upstream is not allowed when NODE_ENV=production (model tollgate-demo answers canned text); unset it or set false');
  }
  const realProviders = paymentProviders.filter((p) => p !== 'sandbox');
  if (realProviders.length > 0 && e.NODE_ENV === 'production' && !e.PUBLIC_BASE_URL?.startsWith('https://')) {
    // The providers post their notices to PUBLIC_BASE_URL; WeChat accepts only a public https address.
    problems.push(`  PUBLIC_BASE_URL: must be the public https:// address when PAYMENT_PROVIDERS includes ${realProviders.join(', ')}`);
  }
  problems.push(...kuaishouAppProblems(e));
  if (e.NODE_ENV === 'production' && e.PASSWORD_HASH_MEMORY_KIB < OWASP_MEMORY_KIB) {
    problems.push(`  PASSWORD_HASH_MEMORY_KIB: at least ${OWASP_MEMORY_KIB} (OWASP's minimum for argon2id) when NODE_ENV=production`);
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (trustProxy === undefined) problems.push('  TRUST_PROXY: must be true, false, a hop count or a list of addresses');
  problems.push(...fileConfigProblems(e));
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    masterKey: e.MASTER_KEY?.toLowerCase(),
    jwtSecret: e.JWT_SECRET,
    admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    platformFeeRate: e.PLATFORM_FEE_RATE,
    earningsHoldHours: e.EARNINGS_HOLD_HOURS,
    allowPrivateUpstreams: e.ALLOW_PRIVATE_UPSTREAMS,
    paymentProviders,
    smsProvider: e.SMS_PROVIDER,
    refreshTokenRotation: e.REFRESH_TOKEN_ROTATION,
    passwordHashMemoryKib: e.PASSWORD_HASH_MEMORY_KIB,
    rateLimits: {
      authPerMin: e.RATE_LIMIT_AUTH_PER_MIN,
      queryPerMin: e.RATE_LIMIT_QUERY_PER_MIN,
      otherPerMin: e.RATE_LIMIT_OTHER_PER_MIN,
      aiNonMemberPerHour: e.RATE_LIMIT_AI_NONMEMBER_PER_HOUR,
    },
    providerBaseUrls: readProviderBaseUrls(env),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    trustProxy: trustProxy as boolean | number | string,
    jobsEnabled: e.JOBS_ENABLED,
    payments: paymentConfig(e, paymentProviders),
    files: fileConfig(e),
    publishing: publishingConfig(e),
    kuaishouApp: e.KUAISHOU_APP_ID && e.KUAISHOU_APP_SECRET ? { appId: e.KUAISHOU_APP_ID, appSecret: e.KUAISHOU_APP_SECRET } : undefined,
    studio: { holdTtlSeconds: e.STUDIO_HOLD_TTL_SECONDS, heartbeatMs: e.STUDIO_HEARTBEAT_MS, videoPollSeconds: e.STUDIO_VIDEO_POLL_SECONDS, videoTimeoutSeconds: e.STUDIO_VIDEO_TIMEOUT_SECONDS },
    billing: { durability: e.BILLING_DURABILITY, sync: e.BILLING_SYNC, journalDir: path.join(e.DATA_DIR, 'journal'), writeBehindMs: e.BILLING_WRITE_BEHIND_MS },
    gateway: {
      maxTries: e.GATEWAY_MAX_TRIES,
      connectTimeoutMs: e.GATEWAY_CONNECT_TIMEOUT_MS,
      firstByteTimeoutMs: e.GATEWAY_FIRST_BYTE_TIMEOUT_MS,
      idleTimeoutMs: e.GATEWAY_IDLE_TIMEOUT_MS,
      defaultMaxTokens: e.GATEWAY_DEFAULT_MAX_TOKENS,
      circuit: { failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: e.CIRCUIT_COOLDOWN_MS },
      demoUpstream: e.DEMO_UPSTREAM ?? e.NODE_ENV !== 'production',
    },
  };
}

function kuaishouAppProblems(e: Env): string[] {
  if ((e.KUAISHOU_APP_ID === undefined) !== (e.KUAISHOU_APP_SECRET === undefined)) {
    return ['  KUAISHOU_APP_ID and KUAISHOU_APP_SECRET must be set together (the Kuaishou open-platform app users authorise)'];
  }
  // Kuaishou sends the user back to PUBLIC_BASE_URL's callback, which must be the address registered with the app.
  if (e.KUAISHOU_APP_ID !== undefined && e.NODE_ENV === 'production' && e.PUBLIC_BASE_URL === undefined) {
    return ['  PUBLIC_BASE_URL: required when KUAISHOU_APP_ID is set (Kuaishou redirects to PUBLIC_BASE_URL/api/v1/publish/platforms/kuaishou/callback)'];
  }
  return [];
}

function parseTrustProxy(v: string): boolean | number | string | undefined {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((x) => x.trim());
  return list.every((x) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x)) ? list.join(',') : undefined;
}

function readProviderBaseUrls(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^PROVIDER_BASE_URL_([A-Z0-9_]+)$/.exec(key);
    if (!match?.[1] || !value) continue;
    const url = z.url({ protocol: /^https?$/ }).safeParse(value);
    if (!url.success) throw new ConfigError(`Invalid configuration:\n  ${key}: must be an http(s) URL`);
    out[match[1].toLowerCase()] = url.data.replace(/\/+$/, '');
  }
  return out;
}
