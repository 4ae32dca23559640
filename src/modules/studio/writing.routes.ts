import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { renderError, studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import { AppError } from '../../platform/errors.ts';
import { toAppError } from '../../platform/http.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { clientGone } from './client-gone.ts';
import type { WritingService } from './writing.service.ts';

// Writing tools: the catalogue, a generation answered in one piece, and the console's streamed variant (SSE).

const ToolParams = z.object({ tool_type: z.string().max(64) });
/** The tool's own fields are validated by its template (writing/define-tool.ts); `model_id` picks a registry model. */
const GenerateBody = z.looseObject({ model_id: z.number().int().positive().optional() });
const ToolsQuery = z.object({ locale: z.enum(['zh-CN', 'en']).default('zh-CN') });

const ToolField = z.object({
  name: z.string(), kind: z.enum(['text', 'textarea', 'tags', 'select', 'number']), label: z.string(), required: z.boolean(),
  placeholder: z.string().optional(), max_length: z.number().int().optional(), max_items: z.number().int().optional(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).optional(), min: z.number().optional(), max: z.number().optional(),
});
const ToolsResponse = studioEnvelope(
  z.array(z.object({
    type: z.string(), name: z.string(), description: z.string(), credits_cost: z.number().int(), fields: z.array(ToolField),
    default_model: z.string(), max_output_tokens: z.number().int(), version: z.number().int(),
  })),
);
const GenerateResponse = studioEnvelope(z.object({ creation_id: z.number().int(), content: z.string(), credits_used: z.number().int() }));

export async function writingRoutes(root: FastifyInstance, deps: { writing: WritingService; auth: AuthHooks; heartbeatMs: number }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { writing, auth } = deps;
  const tags = ['writing'];

  app.get('/api/v1/writing/tools', { onRequest: auth.session, schema: { tags, summary: 'Writing tools and their input fields', querystring: ToolsQuery, response: { 200: ToolsResponse } } }, async (req) =>
    studioOk(writing.tools(req.query.locale)),
  );

  app.post('/api/v1/writing/:tool_type/generate', {
    onRequest: auth.session,
    config: { studioRateLimit: 'ai' },
    schema: { tags, summary: 'Generate with a writing tool', params: ToolParams, body: GenerateBody, response: { 200: GenerateResponse } },
  }, async (req, reply) => {
    const idempotencyKey = idempotencyKeyOf(req);
    writing.parse(req.params.tool_type, req.body);
    const gone = clientGone(reply);
    try {
      const out = await writing.generate(principalOf(req).userId, req.params.tool_type, req.body, { idempotencyKey, signal: gone.signal });
      if (out.truncated || out.creation_id === null) return reply.hijack();
      return studioOk({ creation_id: out.creation_id, content: out.content, credits_used: out.credits_used }, '生成成功');
    } finally {
      gone.done();
    }
  });

  app.post('/api/v1/writing/:tool_type/generate/stream', {
    onRequest: auth.session,
    config: { studioRateLimit: 'ai' },
    schema: {
      tags, params: ToolParams, body: GenerateBody,
      summary: 'Generate with a writing tool, streamed (SSE: delta…, then done or error; `: ping` heartbeats)',
    },
  }, async (req, reply) => streamGeneration(req as FastifyRequest<{ Params: { tool_type: string }; Body: Record<string, unknown> }>, reply));

  /**
   * Validation and the credit check answer in the studio envelope with their status, before the stream opens; from
   * the first byte on, failures are `error` events. Unbuffered for proxies (X-Accel-Buffering: no, no compression),
   * with a comment line every heartbeat so idle proxies do not cut a slow model off.
   */
  async function streamGeneration(req: FastifyRequest<{ Params: { tool_type: string }; Body: Record<string, unknown> }>, reply: FastifyReply) {
    const idempotencyKey = idempotencyKeyOf(req);
    writing.parse(req.params.tool_type, req.body);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    raw.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!raw.destroyed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const heartbeat = setInterval(() => {
      if (!raw.destroyed) raw.write(': ping\n\n');
    }, deps.heartbeatMs);
    const gone = clientGone(reply);
    try {
      const out = await writing.generate(principalOf(req).userId, req.params.tool_type, req.body, {
        idempotencyKey, signal: gone.signal, onDelta: (text) => send('delta', { text }),
      });
      if (!out.truncated) {
        // A retried key replays the first result: its text arrives as one delta.
        if (out.usage === undefined) send('delta', { text: out.content });
        send('done', { usage: out.usage ?? null, credits_used: out.credits_used, creation_id: out.creation_id });
      }
    } catch (err) {
      const appError = err instanceof AppError ? err : toAppError(err, req);
      const { body } = renderError(req.url, req.id, appError);
      if (!(err instanceof AppError)) req.log.error({ err }, 'streamed generation failed');
      send('error', { code: (body as { code: number }).code, message: appError.message, refunded: true });
    } finally {
      clearInterval(heartbeat);
      gone.done();
      raw.end();
    }
  }
}
