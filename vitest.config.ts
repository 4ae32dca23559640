import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/sequencer.ts';

// The component tests that replace a module with vi.mock: a module graph shared with other files keeps whichever
// version loaded first, so these run isolated (one in three shared runs lost a form's validation message).
const WEB_MODULE_MOCKS = fs
  .readdirSync('web/src', { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.tsx') && fs.readFileSync(path.join('web/src', file), 'utf8').includes('vi.mock('))
  .map((file) => path.posix.join('web/src', file.split(path.sep).join('/')));

// What both component-test projects share.
const webTests = { environment: 'jsdom', setupFiles: ['web/src/test-setup.ts'], testTimeout: 30_000 };

// Three projects: the service (Node; unit and integration suites, the browser suite in test/e2e) and the web console's
// component tests (jsdom), those that mock a module apart.
export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: on the 2-core CI machine that is a single worker, and the
    // suites (each its own PGlite or Postgres database) ran one after another. They are independent, and much of a
    // suite's time is spent waiting (a spawned server booting, chromium drawing, a TTL running out): with one worker
    // per core a quarter of the CPU stayed idle, so one more worker than cores (a full run 588 s → 487 s here, with
    // the faster in-memory databases of the same change). TEST_WORKERS overrides it: with four here, suites ran out
    // their timeouts (six failures in one run).
    maxWorkers: Number(process.env.TEST_WORKERS) || os.availableParallelism() + 1,
    sequence: { sequencer: LongestFirst },
    // On a loaded 2-core CI machine the runner's own worker RPC can time out ("[vitest-worker]: Timeout calling
    // onTaskUpdate", vitest-dev/vitest#6479) after every test passed. That is the runner, not the product: it is
    // printed, not counted. Every other unhandled error still fails the run.
    onUnhandledError(error) {
      if (/\[vitest-worker\]: Timeout calling/.test(String((error as Error)?.message ?? error))) {
        console.warn(`[tests] ignored a test-runner RPC timeout: ${(error as Error).message}`);
        return false;
      }
      return undefined;
    },
    projects: [
      {
        test: {
          name: 'server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          pool: 'forks',
          isolate: false,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        plugins: [react()],
        test: {
          ...webTests,
          name: 'web',
          include: ['web/src/**/*.test.tsx'],
          exclude: WEB_MODULE_MOCKS,
          // One jsdom and one module graph per worker, not per file: every file would otherwise load React and Ant
          // Design again (52 of the project's 92 s).
          isolate: false,
        },
      },
      { plugins: [react()], test: { ...webTests, name: 'web-mocks', include: WEB_MODULE_MOCKS } },
    ],
  },
});
