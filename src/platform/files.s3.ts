import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { checkedKey, holdErrors, OCTET_STREAM, writeTemp, type FileInfo, type FileStore } from './files.ts';

// The S3-compatible file store (files.ts has the interface and the local store). The AWS SDK is loaded when a store
// first talks to its bucket, not at boot: importing it costs every process start ~0.25 s of CPU, and most deployments
// keep their files on the local disk.

let sdkModule: Promise<typeof S3> | undefined;
const loadSdk = () => (sdkModule ??= import('@aws-sdk/client-s3'));

export interface S3FileStoreOptions {
  bucket: string;
  /** Unset: AWS itself; otherwise MinIO, R2, OSS, COS, … */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`; most self-hosted stores want it. */
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `tollgate/` to share a bucket. */
  prefix?: string;
}

const isMissingObject = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/** Objects in one bucket through the AWS SDK, which signs every request (SigV4). */
export function createS3FileStore(o: S3FileStoreOptions): FileStore {
  // Made on the first request: a failure to load or configure the SDK is that request's error, not one nobody awaits.
  let ready: Promise<{ sdk: typeof S3; client: S3.S3Client }> | undefined;
  const s3 = () => (ready ??= loadSdk().then((sdk) => ({
    sdk,
    client: new sdk.S3Client({
      region: o.region,
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle,
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
      // The SDK's default CRC32 checksums (aws-chunked uploads with trailers) are not understood by every S3-compatible
      // store; each body's length and SHA-256 are known before it is sent, so plain signed requests are enough.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    }),
  })));
  const prefix = o.prefix ? `${o.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  const objectOf = (key: string) => ({ Bucket: o.bucket, Key: `${prefix}${checkedKey(key)}` });

  async function upload(key: string, body: Buffer | fs.ReadStream, size: number, contentType: string, sha256: string) {
    const { sdk, client } = await s3();
    await client.send(new sdk.PutObjectCommand({ ...objectOf(key), Body: body, ContentLength: size, ContentType: contentType, Metadata: { sha256 } }));
    return { key, size, contentType, sha256 };
  }

  async function stat(key: string): Promise<FileInfo | undefined> {
    const { sdk, client } = await s3();
    try {
      const head = await client.send(new sdk.HeadObjectCommand(objectOf(key)));
      return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? OCTET_STREAM };
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  return {
    async put(key, body, contentType) {
      holdErrors(body);
      checkedKey(key); // before a byte of the body is read
      if (Buffer.isBuffer(body)) {
        return upload(key, body, body.length, contentType, crypto.createHash('sha256').update(body).digest('hex'));
      }
      // A PutObject needs the length up front, and a download that fails half-way must not become an object:
      // the stream is spooled to a temporary file first, then sent whole.
      const spool = await writeTemp(os.tmpdir(), body, false);
      try {
        return await upload(key, fs.createReadStream(spool.tmp), spool.size, contentType, spool.sha256);
      } finally {
        await fsp.rm(spool.tmp, { force: true });
      }
    },

    async open(key, range) {
      const { sdk, client } = await s3();
      try {
        const got = await client.send(new sdk.GetObjectCommand({ ...objectOf(key), Range: range && `bytes=${range.start}-${range.end}` }));
        if (!(got.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node stream');
        const total = range ? Number(/\/(\d+)$/.exec(got.ContentRange ?? '')?.[1]) : got.ContentLength;
        if (total === undefined || !Number.isSafeInteger(total)) throw new Error('S3 GetObject returned no size');
        return { body: got.Body, size: total, contentType: got.ContentType ?? OCTET_STREAM };
      } catch (err) {
        if (isMissingObject(err)) return undefined;
        throw err;
      }
    },

    stat,

    async delete(key) {
      const { sdk, client } = await s3();
      await client.send(new sdk.DeleteObjectCommand(objectOf(key)));
    },

    exists: async (key) => (await stat(key)) !== undefined,
  };
}
