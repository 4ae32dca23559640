import path from 'node:path';
import { z } from 'zod';
import type { S3FileStoreOptions } from './files.ts';

// The file store's settings: a fragment of config.ts's environment schema and its mapping. config.ts stays the only
// reader of process.env; it hands this file its own value parsers so flags and numbers follow the same rules everywhere.

export interface FileConfig {
  store: 'local' | 's3';
  /** DATA_DIR/files: where the local store keeps files (also when S3 is chosen, nothing is written there). */
  localRoot: string;
  s3?: S3FileStoreOptions;
  /** How long a signed file link works. */
  urlTtlSeconds: number;
}

/** The variables, as config.ts's schema has parsed them. */
export interface FileEnv {
  DATA_DIR: string;
  FILE_STORE: 'local' | 's3';
  S3_BUCKET?: string;
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_PREFIX?: string;
  FILE_URL_TTL_SECONDS: number;
}

/** Spread into config.ts's `z.object`; `flag` and `count` are its boolean and positive-integer parsers. */
export function fileEnvShape(parsers: { flag: z.ZodType<boolean, string>; count: z.ZodType<number, string> }) {
  return {
    FILE_STORE: z.enum(['local', 's3']).default('local'),
    S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3-63 of a-z 0-9 . -)').optional(),
    /** Unset with FILE_STORE=s3: AWS itself. */
    S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    S3_REGION: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a region name such as us-east-1').default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Most self-hosted S3-compatible stores (MinIO, …) serve only path-style URLs. */
    S3_FORCE_PATH_STYLE: parsers.flag.default(true),
    /** Prepended to every object key, to share a bucket. */
    S3_PREFIX: z.string().regex(/^[a-z0-9_/-]{1,100}$/, 'may hold only a-z 0-9 _ - /').optional(),
    FILE_URL_TTL_SECONDS: parsers.count.pipe(z.number().max(7 * 24 * 3600, 'must be at most 604800 (7 days)')).default(3600),
  };
}

const S3_REQUIRED = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

/** Lines for config.ts's "Invalid configuration" error: what FILE_STORE=s3 cannot do without. */
export function fileConfigProblems(e: FileEnv): string[] {
  if (e.FILE_STORE !== 's3') return [];
  return S3_REQUIRED.filter((name) => e[name] === undefined).map((name) => `  ${name}: required when FILE_STORE=s3`);
}

/** Call after fileConfigProblems found nothing. */
export function fileConfig(e: FileEnv): FileConfig {
  const out: FileConfig = { store: e.FILE_STORE, localRoot: path.join(e.DATA_DIR, 'files'), urlTtlSeconds: e.FILE_URL_TTL_SECONDS };
  if (e.FILE_STORE === 's3') {
    out.s3 = {
      bucket: e.S3_BUCKET as string,
      endpoint: e.S3_ENDPOINT?.replace(/\/+$/, ''),
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID as string,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY as string,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      prefix: e.S3_PREFIX,
    };
  }
  return out;
}
