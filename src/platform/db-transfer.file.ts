import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import type { Figures } from './db-transfer.figures.ts';

// The file `db:export` and `backup` write and `db:import` and `restore` read: gzip of JSON lines. The first gzip member
// is one line, the header: format and version, the migration level, every table's columns, row count and SHA-256, the
// sequences, the identity figures of the source and the SHA-256 of the whole body. The members after it are the body:
// per table a `{"table":"schema.name"}` line, then one JSON array per row holding each value as PostgreSQL's own text
// for it (null for NULL) — the form COPY uses, which every type reads back exactly (bigint, numeric, jsonb,
// timestamps, floats). The header is written last but stored first: gzip members concatenate, so a reader learns what
// to expect before the first row.

export const DUMP_FORMAT = 'tollgate-dump';
export const DUMP_VERSION = 1;

export interface DumpColumn {
  name: string;
  /** `format_type` of the column, e.g. `bigint`, `timestamp with time zone`, `character varying(64)`. */
  type: string;
}

export interface DumpTable {
  schema: string;
  name: string;
  columns: DumpColumn[];
  rows: number;
  /** SHA-256 of the table's row lines, each with its newline. */
  sha256: string;
}

export interface DumpSequence {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** How far the database's migrations had gone: the number applied and the hash of the last one. */
export interface MigrationLevel {
  count: number;
  lastHash: string | null;
}

export interface DumpHeader {
  format: typeof DUMP_FORMAT;
  version: typeof DUMP_VERSION;
  createdAt: string;
  source: { kind: 'pglite' | 'postgres'; serverVersion: string };
  migrations: MigrationLevel;
  /** In the order the body holds them, which is an order the foreign keys allow to insert in. */
  tables: DumpTable[];
  sequences: DumpSequence[];
  figures: Figures;
  bodySha256: string;
}

export type DumpRow = (string | null)[];

/** The file is not a dump this Tollgate reads, or not the one that was written (damaged or changed). */
export class DumpFileError extends Error {}

export interface BodyWriter {
  table(schema: string, name: string, columns: DumpColumn[]): Promise<void>;
  row(values: DumpRow): Promise<void>;
}

export const tableKey = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

type HeaderRest = Omit<DumpHeader, 'format' | 'version' | 'tables' | 'bodySha256'>;

/**
 * Writes a dump to `out`: `fill` writes the body and returns the rest of the header. The file appears under its name
 * only when complete (written beside it, then linked), and never replaces an existing one.
 */
export async function writeDump(out: string, fill: (body: BodyWriter) => Promise<HeaderRest>): Promise<DumpHeader> {
  if (fs.existsSync(out)) throw new DumpFileError(`${out} already exists: name a new file (a dump never overwrites one)`);
  const bodyPath = `${out}.${process.pid}.body.tmp`;
  const partPath = `${out}.${process.pid}.part.tmp`;
  const gzip = zlib.createGzip();
  const written = pipeline(gzip, fs.createWriteStream(bodyPath, { flags: 'wx' }));
  written.catch(() => undefined); // awaited below; an early failure also surfaces through `write`
  const bodyHash = crypto.createHash('sha256');
  const tables: DumpTable[] = [];
  let current: { table: DumpTable; hash: crypto.Hash } | undefined;

  const write = async (line: string) => {
    bodyHash.update(line);
    if (!gzip.write(line)) await once(gzip, 'drain');
  };
  const closeTable = () => {
    if (current) tables.push({ ...current.table, sha256: current.hash.digest('hex') });
    current = undefined;
  };
  try {
    const rest = await fill({
      async table(schema, name, columns) {
        closeTable();
        current = { table: { schema, name, columns, rows: 0, sha256: '' }, hash: crypto.createHash('sha256') };
        await write(`${JSON.stringify({ table: tableKey({ schema, name }) })}\n`);
      },
      async row(values) {
        if (!current) throw new Error('a row before its table');
        const line = `${JSON.stringify(values)}\n`;
        current.hash.update(line);
        current.table.rows += 1;
        await write(line);
      },
    });
    closeTable();
    gzip.end();
    await written;
    const header: DumpHeader = { format: DUMP_FORMAT, version: DUMP_VERSION, ...rest, tables, bodySha256: bodyHash.digest('hex') };
    fs.writeFileSync(partPath, zlib.gzipSync(`${JSON.stringify(header)}\n`), { flag: 'wx' });
    await pipeline(fs.createReadStream(bodyPath), fs.createWriteStream(partPath, { flags: 'a' }));
    const fd = fs.openSync(partPath, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // link, not rename: a file that appeared under `out` meanwhile is not replaced.
    fs.linkSync(partPath, out);
    return header;
  } catch (err) {
    gzip.destroy();
    await written.catch(() => undefined);
    throw err;
  } finally {
    fs.rmSync(bodyPath, { force: true });
    fs.rmSync(partPath, { force: true });
  }
}

export interface DumpVisitor {
  /** Rows of one table, in file order, at most `batchRows` at a time. */
  rows?(table: DumpTable, rows: DumpRow[]): Promise<void>;
}

/** The header alone (the first line), checked for format and version. */
export async function readDumpHeader(file: string): Promise<DumpHeader> {
  for await (const line of dumpLines(file)) return parseHeader(line);
  throw new DumpFileError(`${file} is empty`);
}

/**
 * Reads the whole file, handing rows to `visitor`, and checks it against its header as it goes: every table in order,
 * each with its row count and checksum, and the checksum of the whole body. Throws `DumpFileError` at the first
 * difference; with no visitor it only verifies.
 */
export async function readDump(file: string, visitor: DumpVisitor = {}, batchRows = 500): Promise<DumpHeader> {
  let header: DumpHeader | undefined;
  const bodyHash = crypto.createHash('sha256');
  let index = -1;
  let current: { table: DumpTable; hash: crypto.Hash; rows: number; batch: DumpRow[] } | undefined;

  const flush = async () => {
    if (current && current.batch.length > 0 && visitor.rows) await visitor.rows(current.table, current.batch);
    if (current) current.batch = [];
  };
  const closeTable = async () => {
    if (!current) return;
    await flush();
    const { table } = current;
    if (current.rows !== table.rows) throw damaged(file, `${tableKey(table)} holds ${current.rows} rows, its header says ${table.rows}`);
    if (current.hash.digest('hex') !== table.sha256) throw damaged(file, `the rows of ${tableKey(table)} do not match their checksum`);
  };

  for await (const line of dumpLines(file)) {
    if (!header) {
      header = parseHeader(line);
      continue;
    }
    bodyHash.update(`${line}\n`);
    if (line.startsWith('{')) {
      await closeTable();
      index += 1;
      const table = header.tables[index];
      const marker = parseJson(file, line) as { table?: unknown };
      if (!table || marker.table !== tableKey(table)) throw damaged(file, `found table ${String(marker.table)} where the header expects ${table ? tableKey(table) : 'the end'}`);
      current = { table, hash: crypto.createHash('sha256'), rows: 0, batch: [] };
      continue;
    }
    if (!current) throw damaged(file, 'a row before the first table');
    const row = parseJson(file, line);
    if (!Array.isArray(row) || row.length !== current.table.columns.length || !row.every((v) => v === null || typeof v === 'string')) {
      throw damaged(file, `a row of ${tableKey(current.table)} does not have its ${current.table.columns.length} columns`);
    }
    current.hash.update(`${line}\n`);
    current.rows += 1;
    current.batch.push(row as DumpRow);
    if (current.batch.length >= batchRows) await flush();
  }
  if (!header) throw new DumpFileError(`${file} is empty`);
  await closeTable();
  if (index !== header.tables.length - 1) throw damaged(file, `it ends after ${index + 1} of the ${header.tables.length} tables its header lists`);
  if (bodyHash.digest('hex') !== header.bodySha256) throw damaged(file, 'the body does not match its checksum');
  return header;
}

// Lines read as the consumer takes them: iterating the stream itself keeps its backpressure (readline's iterator
// reads ahead without bound, which holds a whole large dump in memory).
async function* dumpLines(file: string): AsyncGenerator<string> {
  if (!fs.existsSync(file)) throw new DumpFileError(`${file} does not exist`);
  const source = fs.createReadStream(file);
  const gunzip = zlib.createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of gunzip) {
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) yield line;
    }
  } catch (err) {
    if (!String((err as NodeJS.ErrnoException).code).startsWith('Z_')) throw err;
    throw damaged(file, `it is not a complete gzip file (${(err as Error).message})`);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  rest += decoder.end();
  if (rest) yield rest;
}

function parseHeader(line: string): DumpHeader {
  let header: Partial<DumpHeader>;
  try {
    header = JSON.parse(line);
  } catch {
    throw new DumpFileError('this is not a Tollgate dump (its first line is not JSON)');
  }
  if (header?.format !== DUMP_FORMAT) throw new DumpFileError('this is not a Tollgate dump (no tollgate-dump header)');
  if (header.version !== DUMP_VERSION) throw new DumpFileError(`this dump has format version ${String(header.version)}; this Tollgate reads version ${DUMP_VERSION}`);
  if (!Array.isArray(header.tables) || typeof header.bodySha256 !== 'string') throw new DumpFileError('the dump header is incomplete');
  return header as DumpHeader;
}

function parseJson(file: string, line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw damaged(file, 'a line of its body is not JSON');
  }
}

const damaged = (file: string, what: string) => new DumpFileError(`${file} is damaged or was changed after it was written: ${what}`);
