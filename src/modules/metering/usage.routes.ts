import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { csvField } from '../../platform/csv.ts';
import { cnyNumber, formatCny } from '../../platform/money.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { UsageTotals } from './usage-query.repo.ts';
import { UsageDailyResponse, UsageFilterQuery, UsageListQuery, UsagePageResponse, type UsageItem } from './usage.schema.ts';
import type { UsageService } from './usage.service.ts';
import type { UsageRecordRow } from './usage.tables.ts';

// A user's own usage records (GET /api/v1/usage), a daily summary and a CSV export; operators may look at one
// user or at everyone. All three take the same filters and read through the same WHERE (usage-query.repo.ts).

function itemView(r: UsageRecordRow, withUser: boolean): UsageItem {
  return {
    id: r.id,
    request_id: r.requestId,
    ...(withUser ? { user_id: r.userId } : {}),
    model: r.model,
    operation: r.operation,
    key_id: r.apiKeyId,
    // Kind and id name the upstream; its URL and credential stay with the routing module.
    upstream: r.upstreamKind ? (r.upstreamId !== null ? `${r.upstreamKind}:${r.upstreamId}` : r.upstreamKind) : null,
    prompt_tokens: r.tokensIn,
    completion_tokens: r.tokensOut,
    total_tokens: r.tokensIn + r.tokensOut,
    cost: cnyNumber(r.costMicros, 6),
    usage_estimated: r.usageEstimated,
    status: r.status,
    http_status: r.httpStatus,
    error_message: r.errorMessage,
    latency_ms: r.latencyMs,
    first_byte_ms: r.firstByteMs,
    attempts: r.attempts,
    created_at: formatStudioTime(r.createdAt),
  };
}

const totalsView = (t: UsageTotals) => ({
  requests: t.requests,
  prompt_tokens: t.tokensIn,
  completion_tokens: t.tokensOut,
  cost: cnyNumber(t.costMicros, 6),
});

const CSV_COLUMNS = [
  'id', 'request_id', 'created_at', 'user_id', 'model', 'operation', 'key_id', 'upstream', 'status', 'http_status',
  'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost', 'usage_estimated', 'latency_ms', 'first_byte_ms',
  'attempts', 'error_message',
] as const satisfies readonly (keyof UsageItem)[];

function usageCsv(rows: UsageRecordRow[], withUser: boolean): string {
  const columns = CSV_COLUMNS.filter((c) => withUser || c !== 'user_id');
  const lines = rows.map((r) => {
    // The exact µ¥ text rather than a JS number, which would print 1e-7-style values or lose digits of big sums.
    const item = { ...itemView(r, withUser), cost: formatCny(r.costMicros, 6) };
    return columns.map((c) => csvField(item[c])).join(',');
  });
  // The BOM makes Excel read the file as UTF-8 (model names and error messages are often Chinese); RFC 4180 uses CRLF.
  return `\uFEFF${[columns.join(','), ...lines].join('\r\n')}\r\n`;
}

export async function usageRoutes(root: FastifyInstance, deps: { usage: UsageService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { usage, auth } = deps;
  const base = { onRequest: auth.session };
  const tags = ['usage'];

  app.get('/api/v1/usage', { ...base, schema: { tags, summary: 'Usage records', querystring: UsageListQuery, response: { 200: UsagePageResponse } } }, async (req) => {
    const { rows, total, everyone } = await usage.page(principalOf(req), req.query, pageWindow(req.query));
    return studioOk(pageOf(req.query, total, rows.map((r) => itemView(r, everyone))));
  });

  app.get('/api/v1/usage/daily', { ...base, schema: { tags, summary: 'Usage per day', querystring: UsageFilterQuery, response: { 200: UsageDailyResponse } } }, async (req) => {
    const { period, days, byModel } = await usage.daily(principalOf(req), req.query);
    return studioOk({
      start_date: period.startDate,
      end_date: period.endDate,
      days: days.map((d) => ({ date: d.day, ...totalsView(d), success: d.success, errors: d.errors, aborted: d.aborted })),
      by_model: byModel.map((m) => ({ model: m.model, ...totalsView(m) })),
    });
  });

  app.get(
    '/api/v1/usage/export',
    {
      ...base,
      schema: { tags, summary: 'Usage records as CSV', querystring: UsageFilterQuery, produces: ['text/csv'], response: { 200: z.string().describe('CSV, header row first') } },
    },
    async (req, reply) => {
      const { period, rows, truncated, everyone } = await usage.exportRows(principalOf(req), req.query);
      if (truncated) reply.header('x-export-truncated', 'true');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="usage-${period.startDate}-${period.endDate}.csv"`)
        .send(usageCsv(rows, everyone));
    },
  );
}
