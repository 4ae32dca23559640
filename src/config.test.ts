import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, OWASP_MEMORY_KIB, startupWarnings } from './config.ts';

const KEY = 'ab'.repeat(32);
const SECRET = 'j'.repeat(40);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      port: 8080,
      host: '0.0.0.0',
      dataDir: './data',
      platformFeeRate: 0.1,
      earningsHoldHours: 24,
      allowPrivateUpstreams: false,
      paymentProviders: ['sandbox'],
      smsProvider: 'sandbox',
      refreshTokenRotation: false,
      passwordHashMemoryKib: 19_456,
      rateLimits: { authPerMin: 10, queryPerMin: 100, otherPerMin: 60, aiNonMemberPerHour: 20 },
      providerBaseUrls: {},
      publicBaseUrl: 'http://localhost:8080',
    });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.masterKey).toBeUndefined();
    expect(c.admin).toBeUndefined();
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8080, databaseUrl: undefined });
  });

  it('reads every value it is given', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      PORT: '9000',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/tollgate',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      MASTER_KEY: KEY.toUpperCase(),
      JWT_SECRET: SECRET,
      ADMIN_EMAIL: 'ops@example.com',
      ADMIN_PASSWORD: 'longenough',
      PUBLIC_BASE_URL: 'https://tollgate.example.com/',
      PLATFORM_FEE_RATE: '0.15',
      EARNINGS_HOLD_HOURS: '48',
      ALLOW_PRIVATE_UPSTREAMS: 'true',
      PAYMENT_PROVIDERS: 'alipay, wechat',
      WECHATPAY_MCH_ID: '1900000001', WECHATPAY_APP_ID: 'wx0000', WECHATPAY_SERIAL_NO: 'SERIAL', WECHATPAY_PRIVATE_KEY: 'k',
      WECHATPAY_APIV3_KEY: 'v'.repeat(32), WECHATPAY_PLATFORM_PUBLIC_KEY: 'p', WECHATPAY_PLATFORM_SERIAL: 'PSERIAL',
      ALIPAY_APP_ID: '2021000000000000',
      ALIPAY_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----',
      ALIPAY_PUBLIC_KEY: 'MIIBIjANBgkq',
      REFRESH_TOKEN_ROTATION: '1',
      RATE_LIMIT_AUTH_PER_MIN: '3',
      RATE_LIMIT_QUERY_PER_MIN: '4',
      RATE_LIMIT_OTHER_PER_MIN: '5',
      RATE_LIMIT_AI_NONMEMBER_PER_HOUR: '6',
    });
    expect(c).toMatchObject({
      nodeEnv: 'production',
      port: 9000,
      host: '127.0.0.1',
      dataDir: '/var/lib/tollgate',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
      redisUrl: 'redis://127.0.0.1:6379',
      masterKey: KEY,
      jwtSecret: SECRET,
      admin: { email: 'ops@example.com', password: 'longenough' },
      publicBaseUrl: 'https://tollgate.example.com',
      platformFeeRate: 0.15,
      earningsHoldHours: 48,
      allowPrivateUpstreams: true,
      paymentProviders: ['alipay', 'wechat'],
      payments: {
        alipay: {
          appId: '2021000000000000',
          privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
          alipayPublicKeyPem: 'MIIBIjANBgkq',
          gateway: 'https://openapi.alipay.com/gateway.do',
        },
      },
      refreshTokenRotation: true,
      rateLimits: { authPerMin: 3, queryPerMin: 4, otherPerMin: 5, aiNonMemberPerHour: 6 },
    });
  });

  it('names every variable a listed payment provider still needs', () => {
    const attempt = () => loadConfig({ PAYMENT_PROVIDERS: 'sandbox,wechat,paypal' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PAYMENT_PROVIDERS: unknown provider "paypal"/);
    for (const v of ['WECHATPAY_MCH_ID', 'WECHATPAY_APIV3_KEY', 'WECHATPAY_PLATFORM_PUBLIC_KEY', 'WECHATPAY_PLATFORM_SERIAL']) {
      expect(attempt).toThrow(new RegExp(`${v}: required when PAYMENT_PROVIDERS includes wechat`));
    }
  });

  describe('sandbox payments (they credit orders without money)', () => {
    const production = { NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET, PUBLIC_BASE_URL: 'https://pay.example.com' };

    it.each(['sandbox', 'alipay,sandbox', ' sandbox '])('refuses to start in production with PAYMENT_PROVIDERS=%s, naming the variable', (providers) => {
      const env = { ...production, PAYMENT_PROVIDERS: providers, ALIPAY_APP_ID: 'a', ALIPAY_PRIVATE_KEY: 'k', ALIPAY_PUBLIC_KEY: 'p' };
      expect(configError(env).message).toMatch(/PAYMENT_PROVIDERS: sandbox is not allowed when NODE_ENV=production/);
    });

    it('enables no payment provider in production when PAYMENT_PROVIDERS is unset, and sandbox elsewhere', () => {
      expect(loadConfig(production).paymentProviders).toEqual([]);
      expect(loadConfig({ NODE_ENV: 'test' }).paymentProviders).toEqual(['sandbox']);
      expect(loadConfig({ NODE_ENV: 'development', PAYMENT_PROVIDERS: 'sandbox' }).paymentProviders).toEqual(['sandbox']);
    });

    it('is a startup warning whenever it is enabled, and only then', () => {
      expect(startupWarnings(loadConfig({}))).toEqual([expect.stringMatching(/^Sandbox payments are enabled \(PAYMENT_PROVIDERS includes sandbox\)/)]);
      const alipay = { PAYMENT_PROVIDERS: 'alipay', ALIPAY_APP_ID: 'a', ALIPAY_PRIVATE_KEY: 'k', ALIPAY_PUBLIC_KEY: 'p' };
      expect(startupWarnings(loadConfig(alipay))).toEqual([]);
      expect(startupWarnings(loadConfig(production))).toEqual([]);
    });
  });

  describe('the built-in demo upstream (DEMO_UPSTREAM)', () => {
    const production = { NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET };

    it('is on by default outside production and off by default in production', () => {
      expect(loadConfig({}).gateway.demoUpstream).toBe(true);
      expect(loadConfig({ NODE_ENV: 'test' }).gateway.demoUpstream).toBe(true);
      expect(loadConfig(production).gateway.demoUpstream).toBe(false);
    });

    it('can be switched off anywhere and on outside production', () => {
      expect(loadConfig({ DEMO_UPSTREAM: 'false' }).gateway.demoUpstream).toBe(false);
      expect(loadConfig({ NODE_ENV: 'test', DEMO_UPSTREAM: '0' }).gateway.demoUpstream).toBe(false);
      expect(loadConfig({ NODE_ENV: 'development', DEMO_UPSTREAM: 'true' }).gateway.demoUpstream).toBe(true);
      expect(loadConfig({ ...production, DEMO_UPSTREAM: 'false' }).gateway.demoUpstream).toBe(false);
    });

    it('refuses to start in production with DEMO_UPSTREAM=true, naming the variable', () => {
      expect(configError({ ...production, DEMO_UPSTREAM: 'true' }).message).toMatch(/DEMO_UPSTREAM: the built-in demo upstream is not allowed when NODE_ENV=production/);
    });

    it('refuses a value that is not a flag', () => {
      expect(configError({ DEMO_UPSTREAM: 'maybe' }).message).toContain('DEMO_UPSTREAM');
    });
  });

  describe('the argon2 memory per password hash (PASSWORD_HASH_MEMORY_KIB)', () => {
    const production = { NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET };

    it('is OWASP’s minimum by default, may be raised anywhere, and lowered only outside production', () => {
      expect(loadConfig({}).passwordHashMemoryKib).toBe(OWASP_MEMORY_KIB);
      expect(loadConfig({ ...production, PASSWORD_HASH_MEMORY_KIB: '65536' }).passwordHashMemoryKib).toBe(65_536);
      expect(loadConfig({ NODE_ENV: 'test', PASSWORD_HASH_MEMORY_KIB: '1024' }).passwordHashMemoryKib).toBe(1024);
      expect(configError({ ...production, PASSWORD_HASH_MEMORY_KIB: '1024' }).message).toContain(
        `PASSWORD_HASH_MEMORY_KIB: at least ${OWASP_MEMORY_KIB} (OWASP's minimum for argon2id) when NODE_ENV=production`,
      );
    });

    it('refuses what argon2 cannot take', () => {
      expect(configError({ PASSWORD_HASH_MEMORY_KIB: '8' }).message).toContain('PASSWORD_HASH_MEMORY_KIB');
      expect(configError({ PASSWORD_HASH_MEMORY_KIB: '99999999999' }).message).toContain('PASSWORD_HASH_MEMORY_KIB');
      expect(loadConfig({ PASSWORD_HASH_MEMORY_KIB: String(4 * 1024 * 1024) }).passwordHashMemoryKib).toBe(4_194_304);
      expect(configError({ PASSWORD_HASH_MEMORY_KIB: '1e6' }).message).toContain('PASSWORD_HASH_MEMORY_KIB: must be a whole number');
    });
  });

  it('requires a public https PUBLIC_BASE_URL in production when a real payment provider is on', () => {
    const production = {
      NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET, PAYMENT_PROVIDERS: 'alipay',
      ALIPAY_APP_ID: 'a', ALIPAY_PRIVATE_KEY: 'k', ALIPAY_PUBLIC_KEY: 'p',
    };
    expect(() => loadConfig(production)).toThrow(/PUBLIC_BASE_URL: must be the public https:\/\/ address when PAYMENT_PROVIDERS includes alipay/);
    expect(loadConfig({ ...production, PUBLIC_BASE_URL: 'https://pay.example.com' }).publicBaseUrl).toBe('https://pay.example.com');
  });

  describe('the Kuaishou app users authorise (KUAISHOU_APP_ID, KUAISHOU_APP_SECRET)', () => {
    const app = { KUAISHOU_APP_ID: 'ks700000000000000001', KUAISHOU_APP_SECRET: 'kuaishou-app-secret-0042' };

    it('is unset by default, and read when both are given', () => {
      expect(loadConfig({}).kuaishouApp).toBeUndefined();
      expect(loadConfig(app).kuaishouApp).toEqual({ appId: 'ks700000000000000001', appSecret: 'kuaishou-app-secret-0042' });
    });

    it('refuses one without the other, without echoing the secret', () => {
      expect(configError({ KUAISHOU_APP_ID: app.KUAISHOU_APP_ID }).message).toMatch(/KUAISHOU_APP_ID and KUAISHOU_APP_SECRET must be set together/);
      const err = configError({ KUAISHOU_APP_SECRET: app.KUAISHOU_APP_SECRET });
      expect(err.message).toMatch(/must be set together/);
      expect(err.message).not.toContain(app.KUAISHOU_APP_SECRET);
    });

    it('needs PUBLIC_BASE_URL in production, where Kuaishou sends users back to', () => {
      const production = { NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET, PAYMENT_PROVIDERS: '', ...app };
      expect(configError(production).message).toMatch(/PUBLIC_BASE_URL: required when KUAISHOU_APP_ID is set/);
      expect(loadConfig({ ...production, PUBLIC_BASE_URL: 'https://tollgate.example.com' }).kuaishouApp?.appId).toBe(app.KUAISHOU_APP_ID);
    });
  });

  it.each([
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8,127.0.0.1'],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('refuses a TRUST_PROXY that is neither a flag, a hop count nor addresses', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('accepts postgresql:// and rediss:// URLs', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/x', REDIS_URL: 'rediss://cache:6380' });
    expect(c.databaseUrl).toBe('postgresql://u:p@db:5432/x');
    expect(c.redisUrl).toBe('rediss://cache:6380');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', ' '],
    ['PORT', '0x1F90'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://cache:6379'],
    ['MASTER_KEY', 'abcdef'],
    ['MASTER_KEY', 'zz'.repeat(32)],
    ['JWT_SECRET', 'short'],
    ['PLATFORM_FEE_RATE', '2'],
    ['PLATFORM_FEE_RATE', '-0.1'],
    ['PLATFORM_FEE_RATE', ' '],
    ['PLATFORM_FEE_RATE', '10%'],
    ['EARNINGS_HOLD_HOURS', '1.5'],
    ['EARNINGS_HOLD_HOURS', '1e2'],
    ['RATE_LIMIT_AUTH_PER_MIN', '0'],
    ['RATE_LIMIT_QUERY_PER_MIN', 'lots'],
    ['RATE_LIMIT_OTHER_PER_MIN', '-5'],
    ['RATE_LIMIT_OTHER_PER_MIN', 'Infinity'],
    ['RATE_LIMIT_AI_NONMEMBER_PER_HOUR', '0'],
    ['ALLOW_PRIVATE_UPSTREAMS', 'maybe'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'verbose'],
    ['PUBLIC_BASE_URL', 'not-a-url'],
    ['PROVIDER_BASE_URL_OPENAI', 'not-a-url'],
    ['PROVIDER_BASE_URL_OPENAI', 'ftp://files.example.com'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });

  it('never echoes a rejected secret value in the error', () => {
    const almostKey = 'c'.repeat(63);
    const err = configError({ MASTER_KEY: almostKey, JWT_SECRET: 'hunter2-but-short' });
    expect(err.message).toContain('MASTER_KEY');
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).not.toContain(almostKey);
    expect(err.message).not.toContain('hunter2');
  });

  it('names every bad variable at once', () => {
    const message = configError({ PORT: 'abc', PLATFORM_FEE_RATE: '2' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('PLATFORM_FEE_RATE');
  });

  it('refuses ADMIN_EMAIL without ADMIN_PASSWORD and the reverse', () => {
    expect(configError({ ADMIN_EMAIL: 'ops@example.com' }).message).toContain('ADMIN_PASSWORD');
    expect(configError({ ADMIN_PASSWORD: 'longenough' }).message).toContain('ADMIN_EMAIL');
  });

  it('refuses a malformed ADMIN_EMAIL and a short ADMIN_PASSWORD', () => {
    expect(configError({ ADMIN_EMAIL: 'ops', ADMIN_PASSWORD: 'longenough' }).message).toContain('ADMIN_EMAIL');
    expect(configError({ ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'short' }).message).toContain('ADMIN_PASSWORD');
  });

  it('requires MASTER_KEY and JWT_SECRET in production, naming each missing one', () => {
    const both = configError({ NODE_ENV: 'production' }).message;
    expect(both).toContain('MASTER_KEY');
    expect(both).toContain('JWT_SECRET');
    const one = configError({ NODE_ENV: 'production', MASTER_KEY: KEY }).message;
    expect(one).toContain('JWT_SECRET');
    expect(one).not.toContain('MASTER_KEY');
    expect(loadConfig({ NODE_ENV: 'production', MASTER_KEY: KEY, JWT_SECRET: SECRET }).nodeEnv).toBe('production');
  });

  it('leaves MASTER_KEY and JWT_SECRET optional outside production', () => {
    expect(() => loadConfig({ NODE_ENV: 'development' })).not.toThrow();
    expect(() => loadConfig({ NODE_ENV: 'test' })).not.toThrow();
  });

  it('parses PROVIDER_BASE_URL_<NAME> overrides keyed by the lower-cased name, without a trailing slash', () => {
    const c = loadConfig({
      PROVIDER_BASE_URL_OPENAI: 'http://127.0.0.1:9999/v1/',
      PROVIDER_BASE_URL_AZURE_OPENAI: 'https://azure.example.com',
      PROVIDER_BASE_URL_: 'https://ignored.example.com',
      PROVIDER_BASE_URL_QWEN: '',
      SOMETHING_ELSE: 'x',
    });
    expect(c.providerBaseUrls).toEqual({
      openai: 'http://127.0.0.1:9999/v1',
      azure_openai: 'https://azure.example.com',
    });
  });

  it('keeps PORT=0 (an ephemeral port) distinct from the default', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });
});
