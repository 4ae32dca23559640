import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { AppError, type ErrorCode } from './errors.ts';
import { registerControlCharacterGuard } from './control-chars.ts';
import { renderError } from './envelopes.ts';
import { isConsolePage, sendConsole } from './web.ts';

// Request ids, the error handler and the not-found handler: the edge conventions of DESIGN.md §3.

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a client's X-Request-Id when it is sane, otherwise mints one. */
export function requestIdFor(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : `req_${randomUUID().replace(/-/g, '')}`;
}

const FASTIFY_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

const VALIDATION_CONTEXTS: Record<string, string> = { querystring: 'query' };

/** Any thrown value → an AppError; unexpected ones are logged (with their stack) and become a bland 500. */
export function toAppError(err: unknown, req: FastifyRequest): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = VALIDATION_CONTEXTS[err.validationContext ?? ''] ?? err.validationContext ?? 'body';
    const issues = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
    }));
    const first = issues[0];
    return new AppError('VALIDATION_FAILED', `Invalid request: ${first?.path}: ${first?.message}`, {
      field: first?.path,
      issues,
    });
  }
  const fe = err as FastifyError;
  if (!isResponseSerializationError(fe as never) && typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return new AppError('MALFORMED_JSON', 'Request body is not valid JSON');
    }
    return new AppError(FASTIFY_STATUS_CODES[fe.statusCode] ?? 'VALIDATION_FAILED', fe.message);
  }
  req.log.error({ err }, 'unhandled error');
  return new AppError('INTERNAL', 'Internal server error');
}

/** `consolePages`: browsers' page loads outside the APIs get the web console's index.html instead of a 404. */
export function registerEdge(app: FastifyInstance, opts: { consolePages?: boolean } = {}): void {
  // The hooks every request runs take Fastify's callback form: an async hook costs a promise and a microtask each.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  registerControlCharacterGuard(app);

  // Node's server.close() reaps only connections idle at that moment, and Fastify marks only requests that
  // arrive later: a keep-alive connection whose request was in flight would hold shutdown open until the
  // keep-alive timeout (72 s). Responses finished while closing end their connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (_req, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });

  registerRequestLog(app);

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const appErr = toAppError(err, req);
    // An AppError we threw ourselves as a 500 is a bug worth its stack; refusals and upstream failures are expected
    // outcomes that the request line reports by code and message.
    if (appErr.status >= 500 && err instanceof AppError && !UPSTREAM_FAILURES.has(appErr.code)) req.log.error({ err }, appErr.message);
    return sendError(req, reply, appErr);
  });

  app.setNotFoundHandler((req, reply) => {
    if (opts.consolePages && isConsolePage(req)) return sendConsole(reply);
    const path = req.url.split('?')[0];
    return sendError(req, reply, new AppError('NOT_FOUND', `No route for ${req.method} ${path}`));
  });
}

function sendError(req: FastifyRequest, reply: FastifyReply, appErr: AppError) {
  outcomes.set(req, appErr);
  const { status, body } = renderError(req.url, req.id, appErr);
  return reply.status(status).headers(appErr.headers).send(body);
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route runs — a path parameter over
 * `maxParamLength` (Fastify would answer 414, a status no contract declares), a malformed percent-encoding — answered
 * like every other refusal, in the path's envelope. No resource has such an id: a long parameter is a 404.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0] ?? '';
  const appErr =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('NOT_FOUND', `No such resource: a path segment of ${path.slice(0, 80)}… is too long`)
      : new AppError('VALIDATION_FAILED', 'Malformed URL: a percent-encoded sequence in the path is not valid');
  return sendError(req, reply, appErr);
}

/** Failures an upstream or a lack of capacity caused: the service worked as designed, so warn, not error. */
const UPSTREAM_FAILURES = new Set<ErrorCode>(['BAD_GATEWAY', 'SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT']);

/** Polled by probes and scrapers, or fetched by every page load: at debug, so info shows what people did. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/favicon.svg']);
const QUIET_PREFIXES = ['/assets/', '/docs/static/'];

/** What the error or not-found handler answered, for the request line. */
const outcomes = new WeakMap<FastifyRequest, AppError>();

function requestLogLevel(path: string, status: number, failure?: ErrorCode): LogLevel {
  if (status >= 500) return failure && UPSTREAM_FAILURES.has(failure) ? 'warn' : 'error';
  if (QUIET_PATHS.has(path) || QUIET_PREFIXES.some((p) => path.startsWith(p))) return 'debug';
  return 'info';
}

/** The gateway's model as the client named it; the body is already parsed, so this costs nothing. */
function gatewayModel(req: FastifyRequest): string | undefined {
  if (!req.url.startsWith('/v1/')) return undefined;
  const model = (req.body as { model?: unknown } | undefined)?.model;
  return typeof model === 'string' ? model.slice(0, 200) : undefined;
}

/**
 * One line per request, written when the response is done (Fastify's own incoming/completed pair is turned off in
 * app.ts). A 4xx is the client's business, so info; its code and message ride along instead of a stack.
 */
function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (req, reply, done) => {
    const failure = outcomes.get(req);
    const level = requestLogLevel(req.url.split('?', 1)[0] ?? '', reply.statusCode, failure?.code);
    // Through the app's logger with the request id as a field: the same line, without making the request's child.
    app.log[level](
      {
        request_id: req.id,
        req,
        res: reply,
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
        user_id: req.principal?.userId,
        model: gatewayModel(req),
        error: failure && { code: failure.code, message: failure.message },
      },
      'request completed',
    );
    done();
  });
}
