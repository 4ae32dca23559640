import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { deriveSecret } from '../../platform/crypto.ts';
import { studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import type { Clock } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { kuaishouEndpoint } from './adapters/kuaishou.ts';
import { createKuaishouOAuth, KUAISHOU_CALLBACK_PATH, type KuaishouOAuth } from './kuaishou-oauth.ts';
import type { PublishingService } from './publishing.service.ts';

// Kuaishou's OAuth authorisation (kuaishou-oauth.ts): the console's authorise start, and the callback Kuaishou sends
// the browser to. The browser's secret travels in an HttpOnly cookie scoped to the callback's path, SameSite=Lax so
// that it comes back on Kuaishou's top-level redirect and on nothing else.

const COOKIE = 'tollgate_kuaishou_oauth';

const AuthorizeResponse = studioEnvelope(
  z.object({
    /** Open it in the browser (same tab): Kuaishou's page, then back to the console. */
    url: z.string(),
    /** Seconds the authorisation may take before it has to be started again. */
    expires_in: z.number().int(),
  }),
);

const CallbackQuery = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(512).optional(),
});

function browserSecretOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${COOKIE}=${value}`, `Path=${KUAISHOU_CALLBACK_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
}

export async function kuaishouOAuthRoutes(root: FastifyInstance, deps: { oauth: KuaishouOAuth; auth: AuthHooks; secureCookie: boolean }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { oauth, auth, secureCookie } = deps;
  const tags = ['publishing'];

  app.get(
    '/api/v1/publish/platforms/kuaishou/authorize',
    {
      onRequest: auth.session,
      schema: {
        tags,
        summary: 'Start binding Kuaishou by its OAuth authorisation',
        description:
          'Answers the open.kuaishou.com authorise URL for the server\'s Kuaishou app (scopes user_info, user_video_publish) and sets a cookie the callback needs: ' +
          'open the URL in the same browser within 10 minutes. The callback binds the account and returns the browser to the console\'s publishing page. ' +
          '40008 when the server has no Kuaishou app configured (KUAISHOU_APP_ID, KUAISHOU_APP_SECRET); the manual bind stays available.',
        response: { 200: AuthorizeResponse },
      },
    },
    async (req, reply) => {
      const { url, browser, expiresIn } = oauth.authorize(principalOf(req).userId);
      reply.header('set-cookie', cookie(browser, expiresIn, secureCookie));
      reply.header('cache-control', 'no-store');
      return studioOk({ url, expires_in: expiresIn });
    },
  );

  app.get(
    KUAISHOU_CALLBACK_PATH,
    {
      schema: {
        tags,
        summary: 'Where Kuaishou returns the browser after the authorisation',
        description:
          'Not called by clients: checks `state` (single-use, 10 minutes, only in the browser that started it), exchanges `code`, binds the account, ' +
          'and redirects to the console\'s publishing page with `?kuaishou=bound` or `?kuaishou=error&reason=denied|invalid_state|refused|no_publish_scope|unavailable`.',
        querystring: CallbackQuery,
      },
    },
    async (req, reply) => {
      const location = await oauth.callback({ ...req.query, browser: browserSecretOf(req) });
      reply.header('set-cookie', cookie('', 0, secureCookie));
      reply.header('cache-control', 'no-store');
      // The callback's URL holds the code: it must not reach the console's page as a Referer.
      reply.header('referrer-policy', 'no-referrer');
      return reply.redirect(location, 302);
    },
  );
}

/** Builds the flow from the configuration and registers its routes (publishing.module.ts). */
export async function kuaishouOAuthPlugin(
  app: FastifyInstance,
  d: { config: Config; clock: Clock; publishing: Pick<PublishingService, 'bind'>; auth: AuthHooks },
) {
  const { config } = d;
  if (!config.masterKey) throw new Error('kuaishouOAuthPlugin needs config.masterKey');
  const oauth = createKuaishouOAuth({
    app: config.kuaishouApp,
    endpoint: kuaishouEndpoint({ baseUrl: config.publishing.baseUrls.kuaishou }),
    publicBaseUrl: config.publicBaseUrl,
    stateKey: deriveSecret(config.masterKey, 'kuaishou-oauth-state'),
    clock: d.clock,
    publishing: d.publishing,
    log: app.log,
  });
  await app.register(kuaishouOAuthRoutes, { oauth, auth: d.auth, secureCookie: config.publicBaseUrl.startsWith('https://') });
}
