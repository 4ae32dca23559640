import { existsSync } from 'node:fs';

// Where the browser suites find Debian's chromium (`npx playwright install` cannot run on the CI machines).
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
