import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileConfig } from './files.config.ts';
import { createS3FileStore } from './files.s3.ts';

export { createS3FileStore, type S3FileStoreOptions } from './files.s3.ts';

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

export const checkedKey = (key: string): string => fileKey(key.split('/'));

/** The key's last segment, e.g. for a download's file name. */
export const fileNameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

// ---- local store ---------------------------------------------------------------------------------

export const OCTET_STREAM = 'application/octet-stream';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Keeps a streamed body's early failure for its reader. A download reset while the put still makes its directory
 * would otherwise emit 'error' with no listener and take the process down; `writeTemp`'s `for await` sees the
 * error all the same, since the stream keeps it.
 */
export function holdErrors(body: Buffer | Readable): void {
  if (!Buffer.isBuffer(body)) body.on('error', () => undefined);
}

/**
 * Streams `body` into a new temporary file in `dir` (removed again if anything fails), optionally fsynced.
 * Temporary names start with a dot, which no key segment can, so they never collide with a stored file.
 */
export async function writeTemp(dir: string, body: Buffer | Readable, sync: boolean) {
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

/** The store `config.files` names. */
export function createFileStore(config: FileConfig): FileStore {
  if (config.store === 's3') {
    if (!config.s3) throw new Error('createFileStore: FILE_STORE=s3 needs config.files.s3');
    return createS3FileStore(config.s3);
  }
  return createLocalFileStore(config.localRoot);
}
