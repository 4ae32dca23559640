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
        err: pino.stdSerializers.err,
      },
    },
    options.stream ?? pino.destination({ sync: false }),
  );
}
