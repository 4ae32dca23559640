import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FileConfig } from './files.config.ts';

// Tollgate's own copies of generated images, videos and documents (DESIGN.md §1 "Files"): a provider's link expires
// (DashScope's after 24 h), ours never does, and people reach a file only through a signed, expiring URL
// (files.routes.ts). Copying a provider's link into a store is files.copy.ts.

/** `sha256`: hex, of the bytes stored. */
export interface StoredFile { key: string; size: number; contentType: string; sha256: string }

export interface FileInfo {
  /** The whole file's size, also when a range was opened. */
  size: number;
  contentType: string;
}

/** Inclusive byte offsets, already checked against the file's size (files.routes.ts answers 416 otherwise). */
export interface ByteRange { start: number; end: number }

export interface FileStore {
  /** Whole or nothing: a failed body (network error, too big) leaves no file and no earlier one half-replaced. */
  put(key: string, body: Buffer | Readable, contentType: string): Promise<StoredFile>;
  /** The file's bytes (only `range`'s when given); `undefined` when there is no such file. */
  open(key: string, range?: ByteRange): Promise<(FileInfo & { body: Readable }) | undefined>;
  /** Size and type without the bytes (HEAD, and the size a Range is checked against). */
  stat(key: string): Promise<FileInfo | undefined>;
  /** Deleting a missing file is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

// ---- keys ---------------------------------------------------------------------------------------

// A key becomes a path under DATA_DIR/files and part of a URL: only characters that mean nothing to a file system or a
// URL, so a key can neither climb out of the store nor be written two ways (no case, no encoding, no dots but one).
const SEGMENT = /^[a-z0-9_-]{1,128}$/;
const FILE_NAME = /^[a-z0-9_-]{1,128}\.[a-z0-9]{1,10}$/;
const MAX_SEGMENTS = 8;

function keyProblem(parts: string[]): string | undefined {
  if (parts.length === 0 || parts.length > MAX_SEGMENTS) return `needs 1 to ${MAX_SEGMENTS} segments`;
  for (const [i, part] of parts.entries()) {
    if (part.includes('\0')) return 'contains NUL';
    if (part === '.' || part === '..') return 'contains a relative segment';
    if (part.includes('/') || part.includes('\\')) return 'a segment contains a path separator';
    const last = i === parts.length - 1;
    if (!(last ? FILE_NAME : SEGMENT).test(part)) {
      return last ? 'must end in a name with one extension ([a-z0-9_-] . [a-z0-9])' : 'segments may hold only [a-z0-9_-]';
    }
  }
  return undefined;
}

/** `['images', '42', 'gen_abc.png']` → `images/42/gen_abc.png`; throws on anything that is not a safe key. */
export function fileKey(parts: string[]): string {
  const problem = keyProblem(parts);
  if (problem) throw new Error(`Invalid file key: ${problem}`);
  return parts.join('/');
}

export const isFileKey = (key: string): boolean => keyProblem(key.split('/')) === undefined;

const checkedKey = (key: string): string => fileKey(key.split('/'));

/** The key's last segment, e.g. for a download's file name. */
export const fileNameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

// ---- local store ---------------------------------------------------------------------------------

const OCTET_STREAM = 'application/octet-stream';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Keeps a streamed body's early failure for its reader. A download reset while the put still makes its directory
 * would otherwise emit 'error' with no listener and take the process down; `writeTemp`'s `for await` sees the
 * error all the same, since the stream keeps it.
 */
function holdErrors(body: Buffer | Readable): void {
  if (!Buffer.isBuffer(body)) body.on('error', () => undefined);
}

/**
 * Streams `body` into a new temporary file in `dir` (removed again if anything fails), optionally fsynced.
 * Temporary names start with a dot, which no key segment can, so they never collide with a stored file.
 */
async function writeTemp(dir: string, body: Buffer | Readable, sync: boolean) {
  const tmp = path.join(dir, `.${crypto.randomBytes(8).toString('hex')}.tmp`);
  const handle = await fsp.open(tmp, 'wx').catch((err: unknown) => {
    if (!Buffer.isBuffer(body)) body.destroy(); // nobody will read it: let its socket go
    throw err;
  });
  const hash = crypto.createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
      const bytes: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      hash.update(bytes);
      size += bytes.length;
      for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset)).bytesWritten;
    }
    if (sync) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return { tmp, size, sha256: hash.digest('hex') };
}

/** A rename is durable only once its directory is on disk too. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Files under `root` (DATA_DIR/files) at their key's path. The content type and digest live beside each file in
 * `<file>.meta.json` (a key's single extension cannot end in `.meta.json`, so the two never collide); a file without
 * one reads as application/octet-stream.
 *
 * A put writes the bytes and the meta file to temporary files in the target directory, fsyncs both, renames the meta
 * file and then the data file into place and fsyncs the directory: a reader sees the old file or the new one, never a
 * partial one, and a crash leaves at worst a stray `.*.tmp` or a meta file without its data (read as missing).
 */
export function createLocalFileStore(root: string): FileStore {
  const fileOf = (key: string) => path.join(root, ...checkedKey(key).split('/'));
  const metaOf = (file: string) => `${file}.meta.json`;

  async function contentTypeOf(file: string): Promise<string> {
    try {
      const meta = JSON.parse(await fsp.readFile(metaOf(file), 'utf8')) as { contentType?: unknown };
      return typeof meta.contentType === 'string' ? meta.contentType : OCTET_STREAM;
    } catch {
      return OCTET_STREAM;
    }
  }

  async function stat(key: string): Promise<FileInfo | undefined> {
    const file = fileOf(key);
    try {
      const { size } = await fsp.stat(file);
      return { size, contentType: await contentTypeOf(file) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  return {
    async put(key, body, contentType) {
      holdErrors(body);
      const file = fileOf(key);
      const dir = path.dirname(file);
      await fsp.mkdir(dir, { recursive: true });
      const data = await writeTemp(dir, body, true);
      let metaTmp: string | undefined;
      try {
        const stored: StoredFile = { key, size: data.size, contentType, sha256: data.sha256 };
        metaTmp = (await writeTemp(dir, Buffer.from(JSON.stringify(stored)), true)).tmp;
        await fsp.rename(metaTmp, metaOf(file));
        await fsp.rename(data.tmp, file);
        await syncDir(dir);
        return stored;
      } finally {
        // After the renames these are gone already; after a failure they must not linger.
        await fsp.rm(data.tmp, { force: true });
        if (metaTmp) await fsp.rm(metaTmp, { force: true });
      }
    },

    async open(key, range) {
      const file = fileOf(key);
      let handle: fsp.FileHandle;
      try {
        handle = await fsp.open(file, 'r');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      try {
        const { size } = await handle.stat();
        const contentType = await contentTypeOf(file);
        // The stream owns the handle from here and closes it when it ends or is destroyed.
        return { body: handle.createReadStream(range ? { start: range.start, end: range.end } : {}), size, contentType };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    stat,

    async delete(key) {
      const file = fileOf(key);
      await fsp.rm(file, { force: true });
      await fsp.rm(metaOf(file), { force: true });
    },

    exists: async (key) => (await stat(key)) !== undefined,
  };
}

// ---- S3-compatible store -------------------------------------------------------------------------

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
  const client = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    // The SDK's default CRC32 checksums (aws-chunked uploads with trailers) are not understood by every S3-compatible
    // store; each body's length and SHA-256 are known before it is sent, so plain signed requests are enough.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const prefix = o.prefix ? `${o.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  const objectOf = (key: string) => ({ Bucket: o.bucket, Key: `${prefix}${checkedKey(key)}` });

  async function upload(key: string, body: Buffer | fs.ReadStream, size: number, contentType: string, sha256: string) {
    await client.send(new PutObjectCommand({ ...objectOf(key), Body: body, ContentLength: size, ContentType: contentType, Metadata: { sha256 } }));
    return { key, size, contentType, sha256 };
  }

  async function stat(key: string): Promise<FileInfo | undefined> {
    try {
      const head = await client.send(new HeadObjectCommand(objectOf(key)));
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
      try {
        const got = await client.send(new GetObjectCommand({ ...objectOf(key), Range: range && `bytes=${range.start}-${range.end}` }));
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

    delete: async (key) => void (await client.send(new DeleteObjectCommand(objectOf(key)))),

    exists: async (key) => (await stat(key)) !== undefined,
  };
}

/** The store `config.files` names. */
export function createFileStore(config: FileConfig): FileStore {
  if (config.store === 's3') {
    if (!config.s3) throw new Error('createFileStore: FILE_STORE=s3 needs config.files.s3');
    return createS3FileStore(config.s3);
  }
  return createLocalFileStore(config.localRoot);
}
