import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_PATH, contractOperations } from './helpers/contract.ts';

// The supply console contract the tests validate against is a copy kept in this repository; where the shared original
// is checked out beside it (development machines), the copy must be identical.

const SHARED = path.resolve(import.meta.dirname, '../../shared/contracts/supply-console.openapi.yaml');

describe('the supply console contract copy', () => {
  it('loads with its 17 operations', async () => {
    expect(await contractOperations()).toHaveLength(17);
  });

  it.skipIf(!existsSync(SHARED))('is identical to the shared contract', () => {
    expect(readFileSync(CONTRACT_PATH, 'utf8')).toBe(readFileSync(SHARED, 'utf8'));
  });
});
