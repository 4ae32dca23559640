import crypto from 'node:crypto';
import http from 'node:http';
import { listenLocal } from './upstream.ts';

// A fake S3-compatible object store: path-style REST (`/<bucket>/<key>`) for PutObject, GetObject (with a single
// `Range`), HeadObject and DeleteObject, answering S3's XML errors. Every request must carry a valid AWS Signature V4
// for the fake's key pair: the signature is recomputed from the canonical request, and a signed payload hash is checked
// against the body. Anything else is refused the way S3 refuses it (403 InvalidAccessKeyId / SignatureDoesNotMatch).

export interface FakeS3Object {
  body: Buffer;
  contentType: string;
  /** `x-amz-meta-*` headers, without the prefix. */
  metadata: Record<string, string>;
  etag: string;
}

export interface FakeS3 {
  /** The endpoint, e.g. `http://127.0.0.1:40123`. */
  url: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stored objects by key. */
  objects: Map<string, FakeS3Object>;
  /** Requests answered per operation; `refused` counts unsigned or wrongly signed requests. */
  counts: { put: number; get: number; head: number; delete: number; refused: number };
  /** Answer the next N requests with 503 SlowDown (after checking their signature). */
  failNext(n: number): void;
  close(): Promise<void>;
}

const hex = (data: string | Buffer, algorithm = 'sha256') => crypto.createHash(algorithm).update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => crypto.createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(raw: string): string {
  if (!raw) return '';
  return raw
    .split('&')
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=', 2);
      return [encode(decodeURIComponent(k)), encode(decodeURIComponent(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Why the request's signature is not valid, or undefined when it is. */
function signatureProblem(req: http.IncomingMessage, body: Buffer, s3: Pick<FakeS3, 'accessKeyId' | 'secretAccessKey'>) {
  const m = AUTH.exec(String(req.headers.authorization ?? ''));
  if (!m) return { code: 'AccessDenied', message: 'Request is not signed with AWS4-HMAC-SHA256' };
  const [, accessKeyId, day, region, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== s3.accessKeyId) return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (!amzDate.startsWith(day)) return { code: 'AccessDenied', message: 'x-amz-date does not match the credential scope' };
  if (payloadHash.startsWith('STREAMING-')) return { code: 'NotImplemented', message: 'aws-chunked uploads are not supported by this store' };
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== hex(body)) {
    return { code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  }
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
  const names = signedHeaders.split(';');
  const headers = names.map((name) => {
    const value = req.headers[name];
    return `${name}:${(Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ')}\n`;
  });
  const canonical = [req.method, rawPath, canonicalQuery(rawQuery), headers.join(''), signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${s3.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const expected = hmac(key, toSign).toString('hex');
  if (!names.includes('host') || !crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
  }
  return undefined;
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, resource: string) {
  if (res.req.method === 'HEAD') return void res.writeHead(status).end();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>fake</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
}

function objectHeaders(o: FakeS3Object): Record<string, string> {
  const meta = Object.fromEntries(Object.entries(o.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v]));
  return { 'content-type': o.contentType, etag: o.etag, 'accept-ranges': 'bytes', 'last-modified': new Date().toUTCString(), ...meta };
}

function sendObject(res: http.ServerResponse, o: FakeS3Object, rangeHeader: string | undefined) {
  const range = rangeHeader && /^bytes=(\d+)-(\d*)$/.exec(rangeHeader);
  if (range) {
    const start = Number(range[1]);
    if (start >= o.body.length) return sendError(res, 416, 'InvalidRange', 'The requested range is not satisfiable', '');
    const end = Math.min(range[2] ? Number(range[2]) : o.body.length - 1, o.body.length - 1);
    const part = o.body.subarray(start, end + 1);
    res.writeHead(206, { ...objectHeaders(o), 'content-length': part.length, 'content-range': `bytes ${start}-${end}/${o.body.length}` });
    return void res.end(res.req.method === 'HEAD' ? undefined : part);
  }
  res.writeHead(200, { ...objectHeaders(o), 'content-length': o.body.length });
  res.end(res.req.method === 'HEAD' ? undefined : o.body);
}

export async function startFakeS3(options: { bucket?: string; region?: string; accessKeyId?: string; secretAccessKey?: string } = {}): Promise<FakeS3> {
  let failures = 0;
  const fake: FakeS3 = {
    url: '',
    bucket: options.bucket ?? 'tollgate-test',
    region: options.region ?? 'us-east-1',
    accessKeyId: options.accessKeyId ?? 'AKIAFAKES3TOLLGATE',
    secretAccessKey: options.secretAccessKey ?? crypto.randomBytes(20).toString('base64'),
    objects: new Map(),
    counts: { put: 0, get: 0, head: 0, delete: 0, refused: 0 },
    failNext: (n) => void (failures = n),
    close: async () => undefined,
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
      const problem = signatureProblem(req, body, fake);
      if (problem) {
        fake.counts.refused += 1;
        return sendError(res, problem.code === 'NotImplemented' ? 501 : problem.code.startsWith('XAmz') ? 400 : 403, problem.code, problem.message, path);
      }
      if (failures > 0) {
        failures -= 1;
        return sendError(res, 503, 'SlowDown', 'Please reduce your request rate.', path);
      }
      const [, bucket = '', ...rest] = path.split('/');
      const key = rest.map(decodeURIComponent).join('/');
      if (bucket !== fake.bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', path);
      if (!key) return sendError(res, 501, 'NotImplemented', 'Only object operations are supported', path);
      const stored = fake.objects.get(key);
      switch (req.method) {
        case 'PUT': {
          fake.counts.put += 1;
          const metadata = Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => k.startsWith('x-amz-meta-')).map(([k, v]) => [k.slice('x-amz-meta-'.length), String(v)]),
          );
          const etag = `"${hex(body, 'md5')}"`;
          fake.objects.set(key, { body, contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'), metadata, etag });
          return void res.writeHead(200, { etag, 'content-length': 0 }).end();
        }
        case 'GET':
        case 'HEAD':
          fake.counts[req.method === 'GET' ? 'get' : 'head'] += 1;
          if (!stored) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', path);
          return sendObject(res, stored, req.method === 'GET' ? req.headers.range : undefined);
        case 'DELETE':
          fake.counts.delete += 1;
          fake.objects.delete(key);
          return void res.writeHead(204).end();
        default:
          return sendError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', path);
      }
    });
  });
  Object.assign(fake, await listenLocal(server));
  return fake;
}
