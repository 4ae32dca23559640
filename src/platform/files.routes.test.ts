import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../test/helpers/app.ts';
import { deriveSecret } from './crypto.ts';
import { createLocalFileStore } from './files.ts';
import { parseRange, registerFileRoutes, signedFileUrl } from './files.routes.ts';
import { registerEdge } from './http.ts';
import { createUrlSigner } from './signed-urls.ts';

const BASE = 'https://tollgate.example';
const clock = fakeClock(new Date('2026-03-01T04:00:00Z'));
const signer = createUrlSigner(deriveSecret(crypto.randomBytes(32).toString('hex'), 'file-urls'));
const video = crypto.randomBytes(10_000);
const image = crypto.randomBytes(500);
let root: string;
let app: FastifyInstance;

/** The path and query of a fresh link, valid for an hour. */
const link = (key: string, ttl = 3600) => signedFileUrl(signer, BASE, key, ttl, clock.now()).slice(BASE.length);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-file-routes-'));
  const store = createLocalFileStore(root);
  await store.put('videos/1/v.mp4', video, 'video/mp4');
  await store.put('images/1/a.png', image, 'image/png');
  await store.put('ppt/1/deck.pptx', Buffer.from('PK'), 'application/vnd.openxmlformats-officedocument.presentationml.presentation');
  app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The app's own error and not-found handlers, so refusals come out in the studio envelope as they will in Tollgate.
  registerEdge(app);
  registerFileRoutes(app, { store, signer, now: () => clock.now() });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('signedFileUrl', () => {
  it('is an absolute link to /files/<key> with its expiry', () => {
    const url = new URL(signedFileUrl(signer, `${BASE}/`, 'images/1/a.png', 600, clock.now()));
    expect(url.origin + url.pathname).toBe(`${BASE}/files/images/1/a.png`);
    expect(url.searchParams.get('expires')).toBe(String(Date.parse('2026-03-01T04:10:00Z') / 1000));
    expect(url.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an unsafe key', () => {
    expect(() => signedFileUrl(signer, BASE, '../etc/passwd', 600, clock.now())).toThrow(/invalid file key/);
  });
});

describe('GET /files/*', () => {
  it('streams the file with its type, length, caching and safety headers', async () => {
    const res = await app.inject({ method: 'GET', url: link('images/1/a.png') });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(image);
    expect(res.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': '500',
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
      'content-disposition': 'inline; filename="a.png"',
      'accept-ranges': 'bytes',
    });
  });

  it('lets a cache keep the file only until the link expires', async () => {
    const url = link('images/1/a.png', 600);
    clock.advance(100_000);
    try {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['cache-control']).toBe('private, max-age=500');
    } finally {
      clock.advance(-100_000);
    }
  });

  it('offers documents as downloads', async () => {
    const res = await app.inject({ method: 'GET', url: link('ppt/1/deck.pptx') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="deck.pptx"');
  });

  it('answers 404 in the studio envelope for an altered, expired or unsigned link, or a missing file', async () => {
    const good = link('images/1/a.png', 60);
    const expired = async () => {
      clock.advance(61_000);
      try {
        return await app.inject({ method: 'GET', url: good });
      } finally {
        clock.advance(-61_000);
      }
    };
    const responses = [
      await app.inject({ method: 'GET', url: good.replace('a.png', 'b.png') }),
      // The signature's first digit changed (to 1 if it was 0: replacing it by 0 alone left one link in 16 valid).
      await app.inject({ method: 'GET', url: good.replace(/signature=(.)/, (_, digit: string) => `signature=${digit === '0' ? '1' : '0'}`) }),
      await app.inject({ method: 'GET', url: '/files/images/1/a.png' }),
      await expired(),
      await app.inject({ method: 'GET', url: link('images/1/gone.png') }),
      await app.inject({ method: 'GET', url: '/files/..%2F..%2Fetc%2Fpasswd?expires=9999999999&signature=' + '0'.repeat(64) }),
    ];
    for (const res of responses) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 404, message: 'File not found', data: null });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('answers a Range with 206 and just those bytes, for video seeking', async () => {
    const res = await app.inject({ method: 'GET', url: link('videos/1/v.mp4'), headers: { range: 'bytes=1000-1999' } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 1000-1999/10000');
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.rawPayload).toEqual(video.subarray(1000, 2000));

    const tail = await app.inject({ method: 'GET', url: link('videos/1/v.mp4'), headers: { range: 'bytes=9990-' } });
    expect(tail.headers['content-range']).toBe('bytes 9990-9999/10000');
    expect(tail.rawPayload).toEqual(video.subarray(9990));
  });

  it('answers 416 for a range past the end', async () => {
    const res = await app.inject({ method: 'GET', url: link('videos/1/v.mp4'), headers: { range: 'bytes=10000-10100' } });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */10000');
    expect(res.json()).toEqual({ code: 416, message: 'Range not satisfiable', data: null });
  });

  it('sends the whole file for a range it does not serve (several ranges)', async () => {
    const res = await app.inject({ method: 'GET', url: link('videos/1/v.mp4'), headers: { range: 'bytes=0-1,5-6' } });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(video);
  });
});

describe('HEAD /files/*', () => {
  it('gives the headers of the whole file and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: link('videos/1/v.mp4') });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'video/mp4', 'content-length': '10000', 'content-disposition': 'inline; filename="v.mp4"' });
    expect(res.rawPayload.length).toBe(0);
  });

  it('answers 404 for a bad link', async () => {
    const res = await app.inject({ method: 'HEAD', url: link('videos/1/v.mp4').replace('v.mp4', 'w.mp4') });
    expect(res.statusCode).toBe(404);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=5-', { start: 5, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-30', { start: 0, end: 9 }],
    ['bytes=8-100', { start: 8, end: 9 }],
    ['bytes=10-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-2', undefined],
    ['bytes=-', undefined],
    ['items=0-1', undefined],
    ['bytes=0-1,3-4', undefined],
  ] as const)('%s of 10 bytes → %j', (header, expected) => {
    expect(parseRange(header, 10)).toEqual(expected);
  });
});
