import pino, { type Logger } from 'pino';
import type { DestinationStream } from 'pino';

// Secrets never reach a log line: headers that carry credentials, and any body field named like one.
const SECRET_FIELDS = [
  'password', 'old_password', 'new_password', 'token', 'access_token', 'refresh_token', 'key', 'api_key',
  'apiKey', 'secret', 'credential', 'credentials', 'passwordHash', 'keyHash', 'authorization',
];

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

const SENSITIVE_QUERY = /([?&](?:key|api_key|apikey|token|access_token|refresh_token|password|secret)=)[^&#]*/gi;

/** A URL as it may be logged: credential-looking query values replaced. */
export const redactUrl = (url: string) => url.replace(SENSITIVE_QUERY, '$1[Redacted]');

type ErrorLike = { query?: unknown; code?: unknown; constraint?: unknown; cause?: unknown };

const isSqlState = (code: unknown): code is string => typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);

/**
 * Drizzle puts a query's bound parameters in its error message, and PostgreSQL quotes offending values in its
 * own (`invalid input syntax … "<value>"`, `Key (email)=(…)`): either may be a password hash or a key. A
 * database error is logged as its SQL text, SQLSTATE, constraint and stack frames only.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  const std = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const db: { query?: string; code?: string; constraint?: string } = {};
  for (let e = err as ErrorLike | undefined, depth = 0; e && depth < 5; e = e.cause as ErrorLike | undefined, depth++) {
    if (typeof e.query === 'string') db.query ??= e.query;
    if (isSqlState(e.code)) db.code ??= e.code;
    if (typeof e.constraint === 'string') db.constraint ??= e.constraint;
  }
  if (db.query === undefined && db.code === undefined) return std;
  const frames = String(std.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return { type: std.type, message: `database error${db.code ? ` ${db.code}` : ''}`, ...db, stack: frames.join('\n') };
}

export function createLogger(options: { level: string; stream?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; headers?: Record<string, unknown> }) => ({
          method: req.method,
          url: redactUrl(req.url),
          ip: req.ip,
          userAgent: req.headers?.['user-agent'],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
    },
    options.stream ?? pino.destination({ sync: false }),
  );
}
