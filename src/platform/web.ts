import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The web console (web/, built into web/dist by `npm install`): its files under `/`, and index.html for every other
// GET a browser makes outside the APIs, so client-side routes (`/keys`, `/supply/packages`, and the sandbox checkout
// `/pay/sandbox/{order}` a payment_url opens) load the app.

export const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

const API_PREFIXES = ['/api/', '/v1/', '/1/', '/files/', '/docs', '/openapi.json', '/metrics', '/healthz', '/readyz'];

export async function registerWebConsole(app: FastifyInstance, dist = WEB_DIST): Promise<boolean> {
  if (!existsSync(path.join(dist, 'index.html'))) {
    app.log.warn({ dist }, 'the web console is not built (run `npm run build:web`); serving the APIs only');
    return false;
  }
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // Our own Cache-Control (the plugin's default, `public, max-age=0`, would replace it): hashed assets never change;
    // index.html must always be fresh.
    cacheControl: false,
    setHeaders(res, file) {
      res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return true;
}

/** A browser's page load outside the APIs: answered with the console's index.html. */
export function isConsolePage(req: FastifyRequest): boolean {
  const url = req.url.split('?', 1)[0] ?? '';
  return req.method === 'GET' && !API_PREFIXES.some((p) => url.startsWith(p) || url === p.replace(/\/$/, '')) && String(req.headers.accept ?? '').includes('text/html');
}

export const sendConsole = (reply: FastifyReply) => reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
