// `npm start` and the command-line tools run the service from one JavaScript bundle per entry point in dist/server,
// built by esbuild from src/ (dependencies stay in node_modules) and built again here whenever a file under src/ is
// newer than the bundles. Loading the ~300 TypeScript modules through tsx's loader cost every start 2.4 s of CPU: a
// restart reached its first /healthz answer in 4.1 s (6.2 s of CPU) on the 2-core host, and in 2.5 s (3.6 s) from
// the bundle. `npm run dev` still runs the sources through tsx, reloading on change.
//
//   node bin/run.mjs <main|ledger-check|operator|db-transfer> [arguments…]
//   node bin/run.mjs --build          build the bundles if they are missing or older than src/ (npm install's `prepare`)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'dist', 'server');

/** The bundles and the sources they start from. Entry files keep their directory depth (src/x/y → dist/server/y). */
export const ENTRIES = {
  main: 'src/main.ts',
  'ledger-check': 'src/modules/ledger/check.cli.ts',
  operator: 'src/modules/admin/operator.cli.ts',
  'db-transfer': 'src/platform/db-transfer.cli.ts',
};

/** Bundled beside the entries, started by them: the embedded database's thread (src/platform/pglite-thread.ts). */
export const THREADS = {
  'pglite-worker': 'src/platform/pglite-worker.ts',
};

const bundleOf = (name) => path.join(OUT, `${name}.js`);

/** The newest modification time under `dir` (source files only). */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(file));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, fs.statSync(file).mtimeMs);
  }
  return latest;
}

function stale() {
  // A deployment may ship the bundles without the sources: then they are what runs.
  if (!fs.existsSync(path.join(ROOT, 'src'))) return false;
  const sources = Math.max(newest(path.join(ROOT, 'src')), fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
  return Object.keys({ ...ENTRIES, ...THREADS }).some((name) => !fs.existsSync(bundleOf(name)) || fs.statSync(bundleOf(name)).mtimeMs < sources);
}

/** Builds every bundle of the service. */
export const buildServer = () => bundle({ ...ENTRIES, ...THREADS }, OUT);

/**
 * Bundles `entries` (output name → source path from the repository root) into `outdir`, which must sit two levels
 * below the root as src/platform does: the bundled code finds migrations/ and web/ relative to itself. Each file is
 * written beside its final name and renamed into place, so a process starting at the same time (another terminal, a
 * parallel test) loads either the old bundle or the new one, never half of one.
 */
export async function bundle(entries, outdir) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.entries(entries).map(([out, input]) => ({ in: path.join(ROOT, input), out })),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    write: false,
    logLevel: 'warning',
  });
  fs.mkdirSync(outdir, { recursive: true });
  // Maps first: a bundle must never be newer than the sources while its map is not written yet.
  const files = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const file of files) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [name, ...args] = process.argv.slice(2);
  if (name === '--build') {
    if (stale()) await buildServer();
  } else if (!name || !(name in ENTRIES)) {
    process.stderr.write(`usage: node bin/run.mjs <${Object.keys(ENTRIES).join('|')}> [arguments…] | --build\n`);
    process.exitCode = 64;
  } else {
    if (stale()) await buildServer();
    // Stack traces name the TypeScript sources; the entry sees itself as the script run (its argv[1]) with its own
    // arguments after it.
    process.setSourceMapsEnabled(true);
    process.argv = [process.argv[0], bundleOf(name), ...args];
    await import(pathToFileURL(bundleOf(name)).href);
  }
}
