import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../platform/errors.ts';
import { supplyEnvelope, supplyOk } from '../../platform/envelopes.ts';
import { HOURS, recordAs, type Idempotency, type ResponseRecord } from '../../platform/idempotency.ts';
import type { UrlSigner } from '../../platform/signed-urls.ts';
import type { Clock } from '../../platform/time.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import { CodeSent, codeSentView } from './profile.routes.ts';
import {
  CreateWithdrawBody, CreateWithdrawResponse, SettlementIdParams, SettlementList, SettlementListQuery, SettlementResponse, SettlementStatementResponse,
  SettlementStatusResponse, settlementStatus, settlementView, supplySettlement, WithdrawHeaders,
} from './settlements.schema.ts';
import type { SettlementService } from './settlements.service.ts';
import { statementCsv, statementFileName, statementLink, statementPath } from './statement.ts';
import type { SupplyAuth } from './supply.auth.ts';
import type { SupplySettlementRow } from './supply.tables.ts';
import { supplyList, supplyWindow } from './supply.schema.ts';

export interface SettlementRouteDeps {
  settlements: SettlementService;
  supplyAuth: SupplyAuth;
  idempotency: Idempotency;
  signer: UrlSigner;
  publicBaseUrl: string;
  clock: Clock;
}

const WITHDRAW_IDEMPOTENCY_MS = 72 * HOURS;

const WITHDRAW_DESCRIPTION = `Needs a verified phone (PUT /api/v1/supply/profile) and the code from POST /api/v1/supply/settlements/sms-code.
Checked in this order: withdrawals locked after 5 wrong codes (15 minutes) or a wrong/expired code → 400 SUP_SET_4003;
another pending/processing withdrawal → 409 SUP_SET_4091; more than ¥50 000, more than ¥200 000 in the UTC+8 day, or
less than 15 minutes after the previous withdrawal → 400 SUP_SET_4002; more than the available earnings → 400 SUP_SET_4001.
The fee is 1 % (half-up to the fen). The amount is frozen until an operator pays it out or it fails or is cancelled.`;

export async function settlementRoutes(root: FastifyInstance, deps: SettlementRouteDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { settlements, supplyAuth, idempotency, signer, clock } = deps;
  const tags = ['supply settlements'];
  const supplier = supplyAuth.supplier;

  app.post(
    '/api/v1/supply/settlements/sms-code',
    { ...supplier, schema: { tags, summary: 'Send the withdrawal code to the verified phone (one a minute)', response: { 200: supplyEnvelope(CodeSent) } } },
    async (req) => supplyOk(req.id, codeSentView(await settlements.sendWithdrawCode(principalOf(req).userId))),
  );

  app.post(
    '/api/v1/supply/settlements/withdraw',
    {
      ...supplier,
      schema: {
        tags, summary: '发起提现申请', description: WITHDRAW_DESCRIPTION, operationId: 'createSupplySettlementWithdraw', headers: WithdrawHeaders, body: CreateWithdrawBody,
        response: { 201: CreateWithdrawResponse },
      },
    },
    async (req, reply) => {
      const userId = principalOf(req).userId;
      const created = (row: SupplySettlementRow) => supplyOk(req.id, supplySettlement(row));
      return idempotency.run(req, reply, { scope: `user:${userId}:supply.withdraw`, ttlMs: WITHDRAW_IDEMPOTENCY_MS, status: 201 }, async (record: ResponseRecord<ReturnType<typeof created>>) => {
        const b = req.body;
        const w = { amount: b.withdraw_amount, paymentMethod: b.payment_method, paymentAccount: b.payment_account, smsCode: b.sms_code };
        return created(await settlements.withdraw(userId, w, req.id, recordAs(record, created)));
      });
    },
  );

  app.get(
    '/api/v1/supply/settlements',
    { ...supplier, schema: { tags, summary: 'The caller’s withdrawals, newest first', querystring: SettlementListQuery, response: { 200: SettlementList } } },
    async (req) => {
      const { rows, total } = await settlements.list(principalOf(req).userId, supplyWindow(req.query), req.query.status);
      return supplyList(req, req.query, total, rows.map(settlementView));
    },
  );

  app.get(
    '/api/v1/supply/settlements/:settlementId',
    { ...supplier, schema: { tags, summary: 'One of the caller’s withdrawals', params: SettlementIdParams, response: { 200: SettlementResponse } } },
    async (req) => supplyOk(req.id, settlementView(await settlements.get(principalOf(req).userId, req.params.settlementId))),
  );

  app.post(
    '/api/v1/supply/settlements/:settlementId/cancel',
    {
      ...supplier,
      schema: {
        tags, summary: '撤销提现申请', description: 'Only a pending withdrawal (it becomes `failed`, reason `cancelled`); otherwise 409 SUP_SET_4092.',
        operationId: 'cancelSupplySettlementWithdraw', params: SettlementIdParams, response: { 200: SettlementStatusResponse },
      },
    },
    async (req) => supplyOk(req.id, settlementStatus(await settlements.cancel(principalOf(req).userId, req.params.settlementId, req.id))),
  );

  app.get(
    '/api/v1/supply/settlements/:settlementId/statement',
    {
      ...supplier,
      schema: {
        tags, summary: '下载对账单', description: 'A signed CSV link, valid for 15 minutes.', operationId: 'downloadSupplySettlementStatement',
        params: SettlementIdParams, response: { 200: SettlementStatementResponse },
      },
    },
    async (req) => {
      const row = await settlements.get(principalOf(req).userId, req.params.settlementId);
      return supplyOk(req.id, statementLink(signer, deps.publicBaseUrl, row, clock.now()));
    },
  );

  // The link is the credential: no session, so a browser can follow it. Expired or altered links are refused.
  app.get(
    '/files/settlement-statements/:file',
    {
      schema: {
        tags, summary: 'A withdrawal statement (CSV) behind a signed link',
        params: z.strictObject({ file: z.string().max(40) }),
        querystring: z.object({ expires: z.string().max(20).optional(), signature: z.string().max(128).optional() }),
      },
    },
    async (req, reply) => {
      const id = /^([1-9]\d{0,15})\.csv$/.exec(req.params.file)?.[1];
      if (!id) throw notFound('Statement');
      if (!signer.verify(statementPath(Number(id)), req.query.expires, req.query.signature, clock.now())) {
        throw new AppError('FORBIDDEN', 'This statement link is invalid or has expired; request a new one');
      }
      const { settlement, records } = await settlements.statement(Number(id));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${statementFileName(settlement)}"`)
        .header('cache-control', 'private, no-store')
        .send(statementCsv(settlement, records));
    },
  );
}
