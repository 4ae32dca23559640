import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/** Any thrown value → an AppError; unexpected ones are logged and become a bland 500. */
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
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  registerControlCharacterGuard(app);

  // Node's server.close() reaps only connections idle at that moment, and Fastify marks only requests that
  // arrive later: a keep-alive connection whose request was in flight would hold shutdown open until the
  // keep-alive timeout (72 s). Responses finished while closing end their connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing && !reply.raw.headersSent) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async () => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
  });

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const appErr = toAppError(err, req);
    if (appErr.status >= 500 && err instanceof AppError) req.log.error({ err }, appErr.message);
    const { status, body } = renderError(req.url, req.id, appErr);
    return reply.status(status).headers(appErr.headers).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    if (opts.consolePages && isConsolePage(req)) return sendConsole(reply);
    const path = req.url.split('?')[0];
    const { status, body } = renderError(req.url, req.id, new AppError('NOT_FOUND', `No route for ${req.method} ${path}`));
    return reply.status(status).send(body);
  });
}
