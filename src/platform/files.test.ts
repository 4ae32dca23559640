import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from '../../test/fakes/s3.ts';
import { sendJson, sleep, startFakeServer, type FakeUpstream } from '../../test/fakes/upstream.ts';
import { loadConfig } from '../config.ts';
import { copyFromUrl, FileCopyError, type CopyOptions } from './files.copy.ts';
import { createFileStore, createLocalFileStore, createS3FileStore, fileKey, isFileKey, type FileStore } from './files.ts';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-files-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every path under `dir`, relative, sorted. */
const listed = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).sort();

/** A body that sends `first`, then fails. */
function failingBody(first: Buffer) {
  const body = new PassThrough();
  body.write(first);
  setTimeout(() => body.destroy(new Error('connection reset')), 20);
  return body;
}

describe('fileKey', () => {
  it('joins safe segments ending in a name with an extension', () => {
    expect(fileKey(['images', '42', 'gen_abc-1.png'])).toBe('images/42/gen_abc-1.png');
    expect(isFileKey('videos/7/task_1.mp4')).toBe(true);
  });

  it.each([
    ['a parent segment', ['images', '..', 'x.png']],
    ['a dot-dot name', ['..']],
    ['an absolute path', ['/etc/passwd.txt']],
    ['a separator inside a part', ['images/../../x.png']],
    ['a backslash', ['images\\x.png']],
    ['NUL', ['images', 'x.png\0.jpg']],
    ['upper case', ['Images', 'x.png']],
    ['no extension', ['images', 'x']],
    ['two extensions', ['images', 'x.meta.json']],
    ['no parts', []],
    ['an empty segment', ['images', '', 'x.png']],
  ])('rejects %s', (_why, parts) => {
    expect(() => fileKey(parts)).toThrow(/Invalid file key/);
  });

  it('rejects keys a URL could smuggle', () => {
    for (const key of ['/x.png', 'a//x.png', 'a/./x.png', '../x.png', 'a/x.png/', '%2e%2e/x.png']) expect(isFileKey(key)).toBe(false);
  });
});

describe('local file store', () => {
  const png = crypto.randomBytes(3000);

  it('puts, opens, stats, deletes, and reports what it stored', async () => {
    const store = createLocalFileStore(root);
    const stored = await store.put('images/1/a.png', png, 'image/png');
    expect(stored).toEqual({ key: 'images/1/a.png', size: 3000, contentType: 'image/png', sha256: crypto.createHash('sha256').update(png).digest('hex') });
    expect(fs.readFileSync(path.join(root, 'images', '1', 'a.png'))).toEqual(png);
    expect(await store.exists('images/1/a.png')).toBe(true);
    expect(await store.stat('images/1/a.png')).toEqual({ size: 3000, contentType: 'image/png' });

    const opened = await store.open('images/1/a.png');
    expect(opened && { size: opened.size, contentType: opened.contentType }).toEqual({ size: 3000, contentType: 'image/png' });
    expect(Buffer.concat(await opened!.body.toArray())).toEqual(png);

    const part = await store.open('images/1/a.png', { start: 10, end: 19 });
    expect(part?.size).toBe(3000);
    expect(Buffer.concat(await part!.body.toArray())).toEqual(png.subarray(10, 20));

    await store.delete('images/1/a.png');
    expect(await store.exists('images/1/a.png')).toBe(false);
    expect(await store.open('images/1/a.png')).toBeUndefined();
    await store.delete('images/1/a.png');
  });

  it('streams a Readable body in', async () => {
    const store = createLocalFileStore(root);
    const stored = await store.put('docs/x.txt', Readable.from(['hello ', 'world']), 'text/plain');
    expect(stored.size).toBe(11);
    expect(await text((await store.open('docs/x.txt'))!.body)).toBe('hello world');
  });

  it('shows no file while a body is still arriving, and none after it fails', async () => {
    const store = createLocalFileStore(root);
    const body = new PassThrough();
    const put = store.put('videos/1/v.mp4', body, 'video/mp4');
    body.write(Buffer.alloc(5000, 1));
    await sleep(20);
    expect(await store.exists('videos/1/v.mp4')).toBe(false);
    body.destroy(new Error('connection reset'));
    await expect(put).rejects.toThrow('connection reset');
    expect(await store.open('videos/1/v.mp4')).toBeUndefined();
    expect(listed(path.join(root, 'videos', '1'))).toEqual([]);
  });

  it('keeps the earlier file whole when a replacement fails', async () => {
    const store = createLocalFileStore(root);
    await store.put('images/1/a.png', png, 'image/png');
    await expect(store.put('images/1/a.png', failingBody(Buffer.alloc(100)), 'image/jpeg')).rejects.toThrow();
    const opened = await store.open('images/1/a.png');
    expect(opened?.contentType).toBe('image/png');
    expect(Buffer.concat(await opened!.body.toArray())).toEqual(png);
    expect(listed(path.join(root, 'images', '1'))).toEqual(['a.png', 'a.png.meta.json']);
  });

  it('fails the put, not the process, when the body fails before the put reads it', async () => {
    const store = createLocalFileStore(root);
    const body = new PassThrough();
    const put = store.put('images/1/b.png', body, 'image/png');
    body.destroy(new Error('connection reset')); // while the put still makes its directory
    await expect(put).rejects.toThrow('connection reset');
    expect(listed(path.join(root, 'images', '1'))).toEqual([]);
  });

  it('refuses keys that would leave its directory', async () => {
    const store = createLocalFileStore(path.join(root, 'files'));
    await expect(store.put('../outside.png', png, 'image/png')).rejects.toThrow(/Invalid file key/);
    await expect(store.open('a/../../outside.png')).rejects.toThrow(/Invalid file key/);
    await expect(store.put('x.png\0', png, 'image/png')).rejects.toThrow(/Invalid file key/);
    expect(fs.readdirSync(root)).toEqual([]);
  });
});

describe('S3 file store (against a SigV4-checking fake)', () => {
  let s3: FakeS3;
  let store: FileStore;
  beforeAll(async () => {
    s3 = await startFakeS3();
    store = createS3FileStore({ bucket: s3.bucket, endpoint: s3.url, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, prefix: 'tg/' });
  });
  afterAll(() => s3.close());

  it('puts with the content type and signed requests, then opens, ranges, stats and deletes', async () => {
    const body = crypto.randomBytes(2048);
    const stored = await store.put('images/2/b.png', body, 'image/png');
    expect(stored.sha256).toBe(crypto.createHash('sha256').update(body).digest('hex'));
    const object = s3.objects.get('tg/images/2/b.png');
    expect(object?.contentType).toBe('image/png');
    expect(object?.body).toEqual(body);
    expect(object?.metadata.sha256).toBe(stored.sha256);

    expect(await store.stat('images/2/b.png')).toEqual({ size: 2048, contentType: 'image/png' });
    const whole = await store.open('images/2/b.png');
    expect(Buffer.concat(await whole!.body.toArray())).toEqual(body);
    const part = await store.open('images/2/b.png', { start: 100, end: 199 });
    expect(part?.size).toBe(2048);
    expect(Buffer.concat(await part!.body.toArray())).toEqual(body.subarray(100, 200));

    await store.delete('images/2/b.png');
    expect(await store.exists('images/2/b.png')).toBe(false);
    expect(await store.open('images/2/b.png')).toBeUndefined();
    expect(s3.counts.refused).toBe(0);
    expect(s3.counts).toMatchObject({ put: 1, delete: 1 });
  });

  it('uploads a streamed body with its length, and nothing when the stream fails', async () => {
    const put = s3.counts.put;
    await store.put('videos/2/v.mp4', Readable.from([Buffer.alloc(70_000, 7), Buffer.alloc(30_000, 8)]), 'video/mp4');
    expect(s3.objects.get('tg/videos/2/v.mp4')?.body.length).toBe(100_000);
    await expect(store.put('videos/2/w.mp4', failingBody(Buffer.alloc(1000)), 'video/mp4')).rejects.toThrow('connection reset');
    expect(s3.objects.has('tg/videos/2/w.mp4')).toBe(false);
    expect(s3.counts.put).toBe(put + 1);
  });

  it('fails the put, not the process, when the body fails before the put reads it', async () => {
    const body = new PassThrough();
    const put = store.put('videos/2/early.mp4', body, 'video/mp4');
    body.destroy(new Error('connection reset'));
    await expect(put).rejects.toThrow('connection reset');
    expect(s3.objects.has('tg/videos/2/early.mp4')).toBe(false);
  });

  it('is refused by the store when its secret is wrong (the fake really checks signatures)', async () => {
    const wrong = createS3FileStore({ bucket: s3.bucket, endpoint: s3.url, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret', forcePathStyle: true });
    const refused = s3.counts.refused;
    await expect(wrong.put('images/x.png', Buffer.from('x'), 'image/png')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(s3.counts.refused).toBeGreaterThan(refused);
  });

  it('is what createFileStore builds from FILE_STORE=s3', async () => {
    const config = loadConfig({
      DATA_DIR: root, FILE_STORE: 's3', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.url, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
    expect(config.files).toMatchObject({ store: 's3', urlTtlSeconds: 3600, s3: { region: 'us-east-1', forcePathStyle: true } });
    await createFileStore(config.files).put('images/3/c.png', Buffer.from('c'), 'image/png');
    expect(s3.objects.get('images/3/c.png')?.body.toString()).toBe('c');
  });
});

describe('file store configuration', () => {
  it('defaults to DATA_DIR/files', () => {
    expect(loadConfig({ DATA_DIR: '/srv/tollgate' }).files).toEqual({ store: 'local', localRoot: '/srv/tollgate/files', urlTtlSeconds: 3600 });
  });

  it('names what FILE_STORE=s3 is missing', () => {
    expect(() => loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'media' })).toThrow(
      /S3_ACCESS_KEY_ID: required when FILE_STORE=s3\n {2}S3_SECRET_ACCESS_KEY: required when FILE_STORE=s3/,
    );
    expect(() => loadConfig({ FILE_STORE: 'ftp' })).toThrow(/FILE_STORE/);
  });
});

describe('copyFromUrl', () => {
  const image = crypto.randomBytes(4000);
  const secret = 'Signature=SECRETSIG123&OSSAccessKeyId=LTAIsecret';
  let upstream: FakeUpstream;
  const base: CopyOptions = { maxBytes: 10_000, timeoutMs: 2_000, allowPrivate: true, allowedTypes: /^image\// };

  beforeAll(async () => {
    upstream = await startFakeServer(async (req, res) => {
      switch (req.path) {
        case '/ok.png':
          return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.length }).end(image);
        case '/moved.png':
          return void res.writeHead(302, { location: `/ok.png?${secret}` }).end();
        case '/declared-big.png':
          return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': 50_000 }).end(Buffer.alloc(50_000));
        case '/streamed-big.png':
          res.writeHead(200, { 'content-type': 'image/png' });
          for (let i = 0; i < 20; i++) res.write(Buffer.alloc(1000));
          return void res.end();
        case '/page.html':
          return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
        case '/expired.png':
          return void res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>');
        case '/broken.png':
          return sendJson(res, 500, { error: 'internal' });
        case '/slow.png':
          res.writeHead(200, { 'content-type': 'image/png' });
          res.write(Buffer.alloc(100));
          return sleep(3_000).then(() => void res.end());
        default:
          return sendJson(res, 404, { error: 'not found' });
      }
    });
  });
  afterAll(() => upstream.close());

  async function failure(url: string, options: Partial<CopyOptions> = {}, key = 'images/1/copy.png') {
    const store = createLocalFileStore(root);
    const err = await copyFromUrl(store, url, key, { ...base, ...options }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FileCopyError);
    const copyErr = err as FileCopyError;
    expect(copyErr.message).not.toContain('SECRETSIG');
    expect(copyErr.message).not.toContain('LTAI');
    expect(JSON.stringify(copyErr)).not.toContain('SECRETSIG');
    expect(await store.exists(key)).toBe(false);
    return copyErr;
  }

  it('copies the file with its type, following a redirect', async () => {
    const store = createLocalFileStore(root);
    const stored = await copyFromUrl(store, `${upstream.url}/moved.png?${secret}`, 'images/1/copy.png', base);
    expect(stored).toMatchObject({ key: 'images/1/copy.png', size: 4000, contentType: 'image/png' });
    expect(Buffer.concat(await (await store.open('images/1/copy.png'))!.body.toArray())).toEqual(image);
  });

  it('refuses a file declared larger than maxBytes, and aborts one that grows past it', async () => {
    expect(await failure(`${upstream.url}/declared-big.png?${secret}`)).toMatchObject({ reason: 'too_big', retryable: false });
    expect(await failure(`${upstream.url}/streamed-big.png?${secret}`)).toMatchObject({ reason: 'too_big', retryable: false });
    expect(listed(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a type it was not asked for', async () => {
    expect(await failure(`${upstream.url}/page.html?${secret}`)).toMatchObject({ reason: 'wrong_type', retryable: false });
  });

  it('treats an expired link (403) as final and a provider 500 as worth a retry', async () => {
    const expired = await failure(`${upstream.url}/expired.png?${secret}`);
    expect(expired).toMatchObject({ reason: 'status', status: 403, retryable: false });
    expect(expired.message).toContain(`${upstream.url}/expired.png`);
    expect(await failure(`${upstream.url}/broken.png?${secret}`)).toMatchObject({ reason: 'status', status: 500, retryable: true });
  });

  it('gives up after timeoutMs, retryably', async () => {
    const started = Date.now();
    expect(await failure(`${upstream.url}/slow.png?${secret}`, { timeoutMs: 300 })).toMatchObject({ reason: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as a retryable network failure', async () => {
    const dead = await startFakeServer(() => undefined);
    await dead.close();
    expect(await failure(`${dead.url}/ok.png?${secret}`)).toMatchObject({ reason: 'network', retryable: true });
  });

  it('refuses private addresses and plain http unless allowPrivate', async () => {
    const served = upstream.requests.length;
    const port = new URL(upstream.url).port;
    for (const url of [`${upstream.url}/ok.png?${secret}`, `https://127.0.0.1:${port}/ok.png?${secret}`, `https://[::1]:${port}/ok.png?${secret}`, `https://localhost:${port}/ok.png?${secret}`]) {
      expect(await failure(url, { allowPrivate: false })).toMatchObject({ reason: 'refused', retryable: false });
    }
    expect(upstream.requests.length).toBe(served);
  });

  it('throws a plain error for an unsafe key instead of downloading', async () => {
    await expect(copyFromUrl(createLocalFileStore(root), `${upstream.url}/ok.png`, '../x.png', base)).rejects.toThrow(/invalid file key/);
  });
});
