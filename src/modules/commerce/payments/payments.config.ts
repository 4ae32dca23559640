import { z } from 'zod';

// The payment providers' settings: a fragment of config.ts's environment schema, which variables each provider needs,
// and the typed settings built from them (config.ts stays the only reader of process.env).

/** Spread into config.ts's `z.object`. */
export function paymentEnvShape() {
  return {
    PAYMENT_SANDBOX_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    ALIPAY_APP_ID: z.string().min(1).optional(),
    ALIPAY_PRIVATE_KEY: z.string().min(1).optional(),
    ALIPAY_PUBLIC_KEY: z.string().min(1).optional(),
    ALIPAY_GATEWAY: z.url({ protocol: /^https?$/ }).default('https://openapi.alipay.com/gateway.do'),
    WECHATPAY_MCH_ID: z.string().min(1).optional(),
    WECHATPAY_APP_ID: z.string().min(1).optional(),
    WECHATPAY_SERIAL_NO: z.string().min(1).optional(),
    WECHATPAY_PRIVATE_KEY: z.string().min(1).optional(),
    WECHATPAY_APIV3_KEY: z.string().length(32, 'must be 32 characters').optional(),
    WECHATPAY_PLATFORM_PUBLIC_KEY: z.string().min(1).optional(),
    WECHATPAY_PLATFORM_SERIAL: z.string().min(1).optional(),
    WECHATPAY_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.mch.weixin.qq.com'),
  };
}

export type PaymentEnv = z.output<z.ZodObject<ReturnType<typeof paymentEnvShape>>>;

/** The variables each provider in PAYMENT_PROVIDERS needs set. */
export const PAYMENT_PROVIDER_VARS = {
  sandbox: [],
  alipay: ['ALIPAY_APP_ID', 'ALIPAY_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY'],
  wechat: [
    'WECHATPAY_MCH_ID', 'WECHATPAY_APP_ID', 'WECHATPAY_SERIAL_NO', 'WECHATPAY_PRIVATE_KEY', 'WECHATPAY_APIV3_KEY',
    'WECHATPAY_PLATFORM_PUBLIC_KEY', 'WECHATPAY_PLATFORM_SERIAL',
  ],
} as const satisfies Record<string, (keyof PaymentEnv)[]>;

export interface PaymentConfig {
  /** Signs sandbox callbacks; unset → derived from MASTER_KEY (see app.ts). */
  sandboxSecret?: string;
  alipay?: { appId: string; privateKeyPem: string; alipayPublicKeyPem: string; gateway: string };
  wechat?: {
    mchId: string; appId: string; merchantSerialNo: string; merchantPrivateKeyPem: string; apiV3Key: string;
    platformPublicKeyPem: string; platformSerialNo: string; baseUrl: string;
  };
}

// PEM keys in one-line environment variables arrive with literal `\n`s.
const pem = (v: string) => v.replace(/\\n/g, '\n');

export function paymentConfig(e: PaymentEnv, enabled: string[]): PaymentConfig {
  const out: PaymentConfig = { sandboxSecret: e.PAYMENT_SANDBOX_SECRET };
  if (enabled.includes('alipay')) {
    out.alipay = {
      appId: e.ALIPAY_APP_ID as string,
      privateKeyPem: pem(e.ALIPAY_PRIVATE_KEY as string),
      alipayPublicKeyPem: pem(e.ALIPAY_PUBLIC_KEY as string),
      gateway: e.ALIPAY_GATEWAY,
    };
  }
  if (enabled.includes('wechat')) {
    out.wechat = {
      mchId: e.WECHATPAY_MCH_ID as string,
      appId: e.WECHATPAY_APP_ID as string,
      merchantSerialNo: e.WECHATPAY_SERIAL_NO as string,
      merchantPrivateKeyPem: pem(e.WECHATPAY_PRIVATE_KEY as string),
      apiV3Key: e.WECHATPAY_APIV3_KEY as string,
      platformPublicKeyPem: pem(e.WECHATPAY_PLATFORM_PUBLIC_KEY as string),
      platformSerialNo: e.WECHATPAY_PLATFORM_SERIAL as string,
      baseUrl: e.WECHATPAY_BASE_URL.replace(/\/+$/, ''),
    };
  }
  return out;
}
