import Fastify from 'fastify';
import { Pool } from 'undici';

// The yardstick: the least a proxy can do — Fastify receives, undici forwards with keep-alive, the answer streams
// back untouched. No auth, no routing, no metering, no billing.

export async function startBareProxy(port: number, upstream: string) {
  const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 60_000 });
  const app = Fastify({ logger: false });
  app.post('/v1/chat/completions', async (req, reply) => {
    const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.body) });
    reply.status(res.statusCode).header('content-type', String(res.headers['content-type']));
    return reply.send(res.body);
  });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startBareProxy(Number(process.env.PORT), String(process.env.UPSTREAM));
  process.send?.('ready');
}
