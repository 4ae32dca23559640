import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TAGS, docsLogo } from '../../src/platform/api-docs.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { paymentEnv, paymentKeys } from '../helpers/payment-providers.ts';

// /openapi.json and /docs read as one product: every operation says what it does and sits under a declared tag, and
// the docs page carries our name and mark, not Swagger's.

interface Operation {
  id: string;
  summary?: string;
  tags?: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const FAVICON = readFileSync(new URL('../../web/public/favicon.svg', import.meta.url));

// The document does not depend on the database: one tier is enough.
const tier = DB_TIERS[0] as (typeof DB_TIERS)[number];

describe('the OpenAPI document and /docs', () => {
  let t: TestApp;
  let doc: { tags?: { name: string; description?: string }[]; paths: Record<string, Record<string, Operation>> };
  let operations: Operation[];

  beforeAll(async () => {
    // Every payment provider on, so their notice routes are in the document too.
    t = await startTestApp(tier, { env: paymentEnv(paymentKeys(), 'https://api.mch.weixin.qq.com') });
    doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ ...op, id: `${method.toUpperCase()} ${path}` })),
    );
  });
  afterAll(() => t?.close());

  it('documents the routes (the checks below are not vacuous)', () => {
    expect(operations.length).toBeGreaterThan(100);
    expect(operations.map((o) => o.id)).toEqual(expect.arrayContaining(['POST /v1/chat/completions', 'POST /api/v1/supply/accounts', 'GET /1/usages']));
  });

  it('gives every operation a summary', () => {
    const missing = operations.filter((o) => !o.summary?.trim()).map((o) => `${o.id} [${(o.tags ?? []).join(', ')}]`);
    expect(missing, `operations without a summary:\n  ${missing.join('\n  ')}\n`).toEqual([]);
  });

  it('files every operation under a declared tag, and declares only tags in use', () => {
    const declared = new Set<string>(API_TAGS.map((tag) => tag.name));
    const stray = operations.filter((o) => !o.tags?.length || o.tags.some((tag) => !declared.has(tag))).map((o) => `${o.id} [${(o.tags ?? []).join(', ')}]`);
    expect(stray, `operations with no tag or an undeclared one (declared: ${[...declared].join(', ')}):\n  ${stray.join('\n  ')}\n`).toEqual([]);
    const used = new Set(operations.flatMap((o) => o.tags ?? []));
    expect([...declared].filter((name) => !used.has(name)), 'declared tags no operation uses').toEqual([]);
  });

  it('lists each tag once, in lower case, with a description', () => {
    expect(doc.tags?.map((tag) => tag.name)).toEqual(API_TAGS.map((tag) => tag.name));
    for (const tag of doc.tags ?? []) {
      expect(tag.name, 'one casing for every area').toBe(tag.name.toLowerCase());
      expect(tag.description?.length, tag.name).toBeGreaterThan(10);
    }
  });

  it('serves /docs with our title, favicon and logo instead of Swagger’s', async () => {
    const page = await t.request({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Tollgate API</title>');
    expect(page.body).not.toContain('favicon-32x32.png');
    const icon = /<link rel="icon" type="image\/svg\+xml" href="\.\/static\/(theme\/favicon\.svg)"/.exec(page.body);
    expect(icon, 'favicon link').not.toBeNull();
    const favicon = await t.request({ method: 'GET', url: `/docs/static/${icon?.[1]}` });
    expect(favicon.rawPayload.equals(FAVICON)).toBe(true);

    const initializer = await t.request({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    const logo = `data:image/svg+xml;base64,${Buffer.from(docsLogo(FAVICON)).toString('base64')}`;
    expect(initializer.body).toContain(`img.src = '${logo}'`);
    expect(docsLogo(FAVICON)).toContain('>Tollgate</text>');
  });
});
