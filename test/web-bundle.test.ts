import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WEB_DIST } from '../src/platform/web.ts';

// The console's production bundle (built by `npm install`): code-split, no chunk over 500 kB gzipped, and one chunk per
// page so the first page loads only what it needs.

const assets = path.join(WEB_DIST, 'assets');

describe('the web console bundle', () => {
  it('is built (npm install runs `prepare`)', () => {
    expect(existsSync(path.join(WEB_DIST, 'index.html'))).toBe(true);
  });

  it('has no JavaScript chunk over 500 kB gzipped, and a chunk per page', () => {
    const chunks = readdirSync(assets).filter((f) => f.endsWith('.js'));
    const sizes = chunks.map((f) => ({ file: f, gzip: gzipSync(readFileSync(path.join(assets, f))).length }));
    expect(sizes.filter((s) => s.gzip > 500 * 1024)).toEqual([]);
    for (const page of ['Dashboard', 'Keys', 'Accounts', 'Packages', 'Earnings', 'Withdrawals']) {
      expect(chunks.some((f) => f.startsWith(`${page}-`)), page).toBe(true);
    }
  });
});
