import pino, { type Logger } from 'pino';
import type { Bindings, ChildLoggerOptions, DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';

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

// `code` is an OAuth authorisation code (a platform's callback): single-use, but a bearer of the account until spent.
const SENSITIVE_QUERY = /([?&](?:key|api_key|apikey|token|access_token|refresh_token|password|secret|app_secret|client_secret|code)=)[^&#]*/gi;

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

export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * `auto` picks pretty lines only where a person is reading: a terminal outside production. Files, pipes, CI and
 * log collectors get one JSON object per line.
 */
export function resolveLogFormat(setting: LogFormat, nodeEnv: string, isTTY = Boolean(process.stdout.isTTY)): 'pretty' | 'json' {
  if (setting !== 'auto') return setting;
  return nodeEnv !== 'production' && isTTY ? 'pretty' : 'json';
}

interface RequestLine {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

// The request line (platform/http.ts) reads as `GET /path 200 3.2ms`; its other fields (request_id, user_id, model,
// error) follow as the usual object. Every other line keeps its message.
function requestMessage(log: Record<string, unknown>, messageKey: string): string {
  const { req, res, responseTime } = log as RequestLine;
  if (!req?.method || typeof res?.statusCode !== 'number') return String(log[messageKey] ?? '');
  return `${req.method} ${req.url} ${res.statusCode} ${responseTime}ms`;
}

/**
 * Human-readable lines (pino-pretty) for a developer's terminal. pino redacts and serializes before it writes, so the
 * pretty text is made from the same, already redacted, JSON. Formatted synchronously rather than through
 * pino-pretty's stream: its pipeline runs on later ticks, and the lines a failed start writes just before
 * process.exit would be lost.
 */
export function prettyStream(options: { destination?: { write(text: string): unknown }; colorize?: boolean } = {}): DestinationStream {
  const prettify = prettyFactory({
    colorize: options.colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,responseTime',
    // Only `err` (an unexpected error, with its stack) gets lines of its own; the request line's `error` is a code and
    // a message and stays on the line.
    errorLikeObjectKeys: ['err'],
    messageFormat: requestMessage,
  });
  const out = options.destination ?? process.stdout;
  return { write: (line: string) => void out.write(prettify(line)) };
}

export function createLogger(options: { level: string; stream?: DestinationStream; format?: 'pretty' | 'json' }): Logger {
  const stream = options.stream ?? (options.format === 'pretty' ? prettyStream() : pino.destination({ sync: false }));
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
    stream,
  );
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LEVELS: Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** A request's logger until something logs through it: one small object, its methods shared on the prototype. */
class LazyChild {
  private made?: Logger;

  constructor(private readonly parent: Logger, private readonly childBindings: Bindings, private readonly options: ChildLoggerOptions) {}

  real(): Logger {
    return (this.made ??= this.parent.child(this.childBindings, this.options));
  }

  child(b: Bindings, o?: ChildLoggerOptions) {
    return this.real().child(b, o);
  }

  bindings() {
    return this.real().bindings();
  }

  isLevelEnabled(level: string) {
    return this.parent.isLevelEnabled(level);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(value: string) {
    this.real().level = value;
  }
}
for (const level of LEVELS) {
  Object.defineProperty(LazyChild.prototype, level, {
    value(this: LazyChild, ...args: unknown[]) {
      (this.real()[level] as (...a: unknown[]) => void)(...args);
    },
  });
}

/**
 * Fastify's `childLoggerFactory`: a request's logger that becomes a pino child only when something logs through it.
 * A pino child serialises (and redacts) its bindings when it is made — per request, on the gateway's hot path —
 * while most requests write only their request line, which platform/http.ts writes through the app's logger.
 */
export function lazyChildLogger(logger: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  return new LazyChild(logger, bindings, opts) as unknown as Logger;
}
