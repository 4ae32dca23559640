import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, freePort, hasChromium, launchBeside } from './browser.ts';
import { appPage, type AppPage } from './layout.ts';

// The README's quick start, walked as a newcomer walks it: `npm start` on an empty DATA_DIR (a real process, not an
// in-process app), the first-operator link from its log, the console in chromium, an API key, the demo model through
// the official openai SDK, and the usage log. The README is checked to name each thing this walk relies on, so the
// two cannot drift apart. The console loads once, from the first-operator link, and moves between pages inside the app.

const ROOT = path.resolve(import.meta.dirname, '../..');
const hasWebBuild = existsSync(path.join(ROOT, 'web/dist/index.html'));
const DEMO = 'tollgate-demo';
const LABEL = "This is Tollgate's built-in demo upstream (model tollgate-demo, free).";
const EMAIL = 'newcomer@example.com';
const PASSWORD = 'first operator 1';
// A first boot (initdb and every migration) takes ~10 s on a quiet 2-core machine; a loaded CI host once took more
// than 60.
const BOOT_TIMEOUT_MS = 120_000;

describe("the README's quick start", () => {
  it('names the first-operator link, the demo model and `npm run operator`', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
    expect(section, 'README.md has no "## Quick start" section').not.toBe('');
    for (const needle of ['/setup?token=', DEMO, 'npm run operator']) expect(section, `the Quick start does not mention ${needle}`).toContain(needle);
  });
});

interface Started {
  child: ChildProcess;
  base: string;
  /** Everything the process wrote to stdout so far. */
  stdout: () => string;
}

/** `npm start`, as its script runs it, on a free port and an empty DATA_DIR, with none of the runner's services. */
async function npmStart(dataDir: string): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'MASTER_KEY', 'JWT_SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DEMO_UPSTREAM', 'HOST']) delete inherited[name];
  const env = { ...inherited, PORT: String(port), DATA_DIR: dataDir, PUBLIC_BASE_URL: base, NODE_ENV: 'development', LOG_FORMAT: 'json' };
  const child = spawn(process.execPath, ['bin/run.mjs', 'main'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const started = { child, base, stdout: () => stdout };
  try {
    await untilLogged(started, (line) => typeof line.setup_url === 'string', () => stderr);
  } catch (err) {
    // Nobody else holds the process yet: stop it before its DATA_DIR is removed under it.
    await stop(child);
    throw err;
  }
  return started;
}

/** The first JSON log line matching `wanted`, waiting for it; the process dying or a timeout fails with its output. */
async function untilLogged(s: Started, wanted: (line: Record<string, unknown>) => boolean, stderr = () => ''): Promise<Record<string, unknown>> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    const line = logLines(s.stdout()).find(wanted);
    if (line) return line;
    const output = `stdout:\n${s.stdout()}\nstderr:\n${stderr()}`;
    if (s.child.exitCode !== null) throw new Error(`npm start exited with ${s.child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start logged no first-operator link within ${BOOT_TIMEOUT_MS} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function logLines(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(force);
}

const skipReason = !hasChromium ? ' (skipped: no chromium at /usr/bin/chromium)' : !hasWebBuild ? ' (skipped: web/dist/index.html is missing, run `npm run build:web` first)' : '';

describe.skipIf(skipReason !== '')(`the quick start in chromium against \`npm start\`${skipReason}`, { timeout: 90_000 }, () => {
  let tmp = '';
  let server: Started | undefined;
  let browser: Browser | undefined;
  let app: AppPage;
  let base = '';
  let key = '';

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tollgate-quickstart-'));
    // Chromium starts while the server boots (and either is stopped again if the other fails).
    [server, browser] = await launchBeside(npmStart(path.join(tmp, 'data')), (started) => stop(started.child));
    base = server.base;
    app = appPage(await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage());
  }, BOOT_TIMEOUT_MS + 30_000);
  afterAll(async () => {
    await closeBrowser(browser);
    if (server) await stop(server.child);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('1. creates the first operator through the link the first start logs', async () => {
    const line = logLines(server?.stdout() ?? '').find((l) => typeof l.setup_url === 'string') ?? {};
    const setupUrl = String(line.setup_url);
    expect(setupUrl).toMatch(new RegExp(`^${base.replace(/\./g, '\\.')}/setup\\?token=[\\w-]{43}$`));
    expect(line.msg).toContain(`No operator yet: open ${setupUrl}`);
    expect(line.msg).toContain('npm run operator');

    const { page } = app;
    await page.goto(setupUrl);
    await page.getByLabel(/^(邮箱|Email)$/).fill(EMAIL);
    await page.getByLabel(/^(密码|Password)$/).fill(PASSWORD);
    await page.getByLabel(/^(再次输入密码|Repeat the password)$/).fill(PASSWORD);
    await app.snap('quickstart-01-setup');
    await page.getByRole('button', { name: /设置密码并登录|Set password and sign in/ }).click();
    await page.waitForURL(`${base}/admin/users`);
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('newcomer');
    // Signed in as an operator, by the server's word rather than the page's.
    const session = JSON.parse((await page.evaluate(() => localStorage.getItem('tollgate.session'))) ?? '{}') as { access?: string };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${session.access}` } });
    expect((await me.json()).data).toMatchObject({ email: EMAIL, role: 'admin' });
    await app.snap('quickstart-01-operator-signed-in');
  });

  it('2. creates an API key in the console and shows its secret once', async () => {
    const { page } = app;
    await app.go('/keys');
    await page.getByTestId('create-key').click();
    await page.getByRole('dialog').getByLabel(/名称|Name/).fill('quick start');
    await page.getByTestId('key-form-submit').click();
    key = (await page.getByTestId('new-key-value').textContent())?.trim() ?? '';
    expect(key).toMatch(/^sk-/);
    // The screenshot comes after the dialog closes: snap waits for open dialogs to go, and the secret stays out of it.
    await page.getByTestId('new-key-done').click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.locator('.ant-table-row').filter({ hasText: 'quick start' }).waitFor();
    await app.snap('quickstart-02-keys');
  });

  it('3. lists the demo model as callable on the quick-start page', async () => {
    const { page } = app;
    await app.go('/quickstart');
    await page.getByTestId('quick-models').getByText(DEMO, { exact: true }).first().waitFor();
    await expect.poll(() => page.getByTestId('snippet-curl').textContent()).toContain(DEMO);
    await app.snap('quickstart-03-quickstart');
  });

  it('4. answers the official openai SDK with the labelled demo reply, plain and streamed, with usage', async () => {
    expect(key, 'step 2 made no key').not.toBe('');
    const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: DEMO, messages: [{ role: 'user', content: 'hello from the quick start' }] });
    expect(completion.choices[0]?.message.content).toBe(
      `${LABEL} You said: “hello from the quick start”. Add a real upstream in the console under Operator → Channels.`,
    );
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await openai.chat.completions.create({
      model: DEMO, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream it' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain(LABEL);
    expect(text).toContain('You said: “stream it”');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('5. shows both requests in the usage log, at ¥0.00', async () => {
    const { page } = app;
    await app.go('/usage');
    const rows = page.locator('.ant-table-row').filter({ hasText: DEMO });
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // The README promises the demo costs nothing.
    for (const row of await rows.all()) expect(await row.textContent()).toContain('¥0.00');
    await app.snap('quickstart-05-usage');
  });

  it('6. lets the operator add a real upstream on the channels page', async () => {
    const { page } = app;
    await app.go('/admin/channels');
    const add = page.getByTestId('create-channel');
    await add.waitFor();
    expect(await add.textContent()).toMatch(/添加渠道|Add channel/);
    expect(await add.isEnabled()).toBe(true);
    await app.snap('quickstart-06-channels');
  });
});
