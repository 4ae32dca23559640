import { readFileSync } from 'node:fs';
import path from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

// The OpenAPI document (`/openapi.json`, generated from the routes' zod schemas) and its reader (`/docs`). Every
// operation names one of these tags; test/platform/openapi-docs.int.test.ts keeps it so.

export const API_TAGS = [
  { name: 'gateway', description: 'OpenAI-compatible relay under `/v1` (and Anthropic’s `/v1/messages`), authenticated with an API key.' },
  { name: 'auth', description: 'Registration, sign-in, sessions and passwords for the console and the studio; one-time operator setup links.' },
  { name: 'api keys', description: 'Your API keys for `/v1` and `/1`: a key is shown once, at creation.' },
  { name: 'usage', description: 'Gateway and studio usage: records, daily totals, CSV export.' },
  { name: 'credits', description: 'Studio credits: balance, recharge and membership orders, movements.' },
  { name: 'coupons', description: 'Coupons operators issue and users claim.' },
  { name: 'payments', description: 'Payment providers’ notices and the sandbox checkout.' },
  { name: 'models', description: 'The studio’s model registry.' },
  { name: 'writing', description: 'Studio writing tools: the 14 tool types, generated in one answer or streamed (SSE); paid in credits exactly once.' },
  { name: 'image', description: 'Studio image generation: the image is copied into Tollgate’s file store and linked by a signed, expiring URL.' },
  { name: 'video', description: 'Studio video generation: an async task polled in the background; the video is stored as soon as it is ready.' },
  { name: 'ppt', description: 'Studio PPT generation: a model-written outline rendered to a real .pptx.' },
  { name: 'creations', description: 'A creator’s works: writing, images, videos and PPTs, listed, edited and deleted by their owner.' },
  { name: 'publishing', description: 'Platform accounts (bound with their credentials sealed) and publishing a creation to WeChat, Xiaohongshu, Douyin, Kuaishou and Toutiao, now or on schedule, with each platform’s honest outcome.' },
  { name: 'activities', description: 'Operations: time-boxed activities (registration gifts, membership discounts, referral bonuses, first-purchase offers), once per user.' },
  { name: 'referral', description: 'Referral codes and links, and the rewards paid when a referred user’s first paid order completes.' },
  { name: 'model prices', description: 'The prices buyers are shown and held to, and the ceilings for supplier packages.' },
  { name: 'operators', description: 'Operator console: users, orders, channels, circuits, billing dead letters.' },
  { name: 'supply accounts', description: 'Upstream accounts a supplier mounts (contract: SupplyAccounts).' },
  { name: 'supply packages', description: 'Token packages a supplier sells (contract: SupplyPackages).' },
  { name: 'supply earnings', description: 'A supplier’s earnings and balances (contract: SupplyEarnings).' },
  { name: 'supply settlements', description: 'Withdrawals of a supplier’s earnings (contract: SupplySettlements).' },
  { name: 'supplier billing', description: 'A supplier’s billing summary (contract: SupplierBilling).' },
  { name: 'supply profile', description: 'A supplier’s display name and verified phone.' },
  { name: 'supply operators', description: 'Operators’ side of supply: account review, withdrawals, earnings adjustments.' },
  { name: 'legacy admin (/1)', description: 'The older OpenAI-proxy admin API, kept wire-compatible.' },
] as const;

const FAVICON_FILE = path.resolve(import.meta.dirname, '../../web/public/favicon.svg');

/** The console's mark and the product's name, for Swagger UI's dark top bar. */
export function docsLogo(favicon = readFileSync(FAVICON_FILE)): string {
  const mark = `data:image/svg+xml;base64,${favicon.toString('base64')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="40" viewBox="0 0 150 40">
<image href="${mark}" x="0" y="4" width="32" height="32"/>
<text x="42" y="28" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="22" font-weight="600" fill="#fff">Tollgate</text>
</svg>`;
}

export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Tollgate', version: '0.1.0', description: 'Buy, sell and use large-model capacity.' },
      tags: API_TAGS.map((t) => ({ ...t })),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const favicon = readFileSync(FAVICON_FILE);
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    logo: { type: 'image/svg+xml', content: docsLogo(favicon), href: '/docs', target: '_self' },
    theme: {
      title: 'Tollgate API',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: favicon }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
