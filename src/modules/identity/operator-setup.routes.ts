import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { studioOk } from '../../platform/envelopes.ts';
import { openConsoleSession } from './auth.routes.ts';
import { LoginResponse } from './auth.schema.ts';
import { RedeemSetupBody, SetupLinkQuery, SetupLinkResponse } from './operator-setup.schema.ts';
import type { OperatorSetupService } from './operator-setup.service.ts';
import type { SessionService } from './sessions.service.ts';
import type { StandingSource } from './users.service.ts';

// The console's `/setup?token=…` page: what the link is for, then the operator's email and password. Under
// `/api/v1/auth/`, so the POST counts against the per-IP authentication limit like login does.

export interface OperatorSetupRouteDeps {
  setup: OperatorSetupService;
  sessions: SessionService;
  standing: StandingSource;
}

export async function operatorSetupRoutes(root: FastifyInstance, deps: OperatorSetupRouteDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  app.get(
    '/api/v1/auth/operator-setup',
    { schema: { tags, summary: 'What a one-time operator setup link is for', querystring: SetupLinkQuery, response: { 200: SetupLinkResponse } } },
    async (req) => {
      const view = await deps.setup.inspect(req.query.token);
      return studioOk(
        view.valid
          ? { valid: true, creates_operator: view.createsOperator, username: view.username, email: view.email }
          : { valid: false, creates_operator: false, username: null, email: null },
      );
    },
  );

  app.post(
    '/api/v1/auth/operator-setup',
    {
      schema: {
        tags,
        summary: "Use a one-time setup link: set the operator's email and console password, and sign in",
        body: RedeemSetupBody,
        response: { 200: LoginResponse },
      },
    },
    async (req) => {
      const { token, ...credentials } = req.body;
      const user = await deps.setup.redeem(token, credentials);
      req.log.info({ userId: user.id }, 'an operator set their console password with a setup link');
      return studioOk(await openConsoleSession(req, user, deps), '密码已设置');
    },
  );
}
