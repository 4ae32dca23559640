import { and, count, desc, eq } from 'drizzle-orm';
import type { Database } from './db.ts';
import { smsOutbox } from './sms.tables.ts';
import type { Clock } from './time.ts';

// Text messages behind one small interface (DESIGN.md rule 7): a real gateway (Aliyun, Tencent Cloud SMS) is a new
// provider file. Templates are named, as the real gateways require pre-approved templates addressed by id.

export const SMS_TEMPLATES = {
  phone_verification: (p: Record<string, string>) => `【Tollgate】您正在验证手机号，验证码 ${p.code}，${p.minutes} 分钟内有效。如非本人操作请忽略。`,
  withdraw_verification: (p: Record<string, string>) => `【Tollgate】您正在申请提现，验证码 ${p.code}，${p.minutes} 分钟内有效。请勿告诉任何人。`,
  phone_change_verification: (p: Record<string, string>) =>
    `【Tollgate】您正在更换提现手机号，验证码 ${p.code}，${p.minutes} 分钟内有效。如非本人操作，请立即修改密码。`,
} as const;

export type SmsTemplate = keyof typeof SMS_TEMPLATES;

export interface SmsProvider {
  readonly name: string;
  send(phone: string, template: SmsTemplate, params: Record<string, string>): Promise<void>;
}

/** A mainland China mobile number as stored: 11 digits, any `+86` / `86` prefix removed; undefined when not one. */
export function normalizeMainlandPhone(input: string): string | undefined {
  const digits = input.trim().replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : undefined;
}

/** `138****5678`: enough to recognise one's own number, not enough to learn someone else's. */
export const maskPhone = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

export interface OutboxMessage {
  id: number;
  phone: string;
  template: string;
  content: string;
  createdAt: Date;
}

/** The development provider: "sends" by writing the message to `sms_outbox`, which operators can read. */
export function createSandboxSms(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;
  return {
    name: 'sandbox',
    async send(phone: string, template: SmsTemplate, params: Record<string, string>): Promise<void> {
      const content = SMS_TEMPLATES[template](params);
      await database.db.insert(smsOutbox).values({ phone, template, content, createdAt: clock.now() });
    },
    /** Newest first. */
    async outbox(q: { phone?: string; limit: number; offset: number }): Promise<{ rows: OutboxMessage[]; total: number }> {
      const where = and(...(q.phone ? [eq(smsOutbox.phone, q.phone)] : []));
      const [rows, [total]] = await Promise.all([
        database.db.select().from(smsOutbox).where(where).orderBy(desc(smsOutbox.id)).limit(q.limit).offset(q.offset),
        database.db.select({ n: count() }).from(smsOutbox).where(where),
      ]);
      return { rows, total: total?.n ?? 0 };
    },
  } satisfies SmsProvider & Record<string, unknown>;
}

export type SandboxSms = ReturnType<typeof createSandboxSms>;
