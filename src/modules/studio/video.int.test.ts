import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_MP4, startFakeDashScope, type FakeDashScope } from '../../../test/fakes/dashscope.ts';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { AppError, STUDIO_BUSINESS_CODES } from '../../platform/errors.ts';
import { signedFileUrl } from '../../platform/files.routes.ts';
import { createLocalFileStore, type FileStore } from '../../platform/files.ts';
import { createUrlSigner } from '../../platform/signed-urls.ts';
import { createMembershipService } from '../commerce/membership.service.ts';
import { creditsToMicros } from '../commerce/pricing.ts';
import { upstreamRef } from '../gateway/gateway.service.ts';
import { RelayFailed } from '../gateway/relay.ts';
import { users } from '../identity/identity.tables.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger, type Ledger } from '../ledger/ledger.service.ts';
import { createDashScopeTasks } from '../providers/qwen/tasks.ts';
import type { Candidate } from '../routing/candidates.ts';
import { createCreationService } from './creations.service.ts';
import { createGenerations } from './generations.service.ts';
import { createModelRegistry, type ModelRegistry } from './models.service.ts';
import { creations as creationsTable, generations as generationsTable } from './studio.tables.ts';
import { createVideoService, type VideoService } from './video.service.ts';

// Video generation as the poll job drives it, on a real database with the fake DashScope and a local file store: the
// credits held once, settled once when the video is in our store, released on every failure; the provider's link never
// shown; polls repeatable. The gateway is a double that points at the fake and records the upstream's charges (the
// real gateway's metering is the app-level tests' concern).

const KEY = `sk-${crypto.randomBytes(16).toString('hex')}`;
const PUBLIC = 'https://tollgate.test';
const CONFIG = { pollSeconds: 15, timeoutSeconds: 600, allowPrivate: true, defaultModel: 'wanx2.1-t2v-turbo', creditsPerSecond: 2 };

interface Settled { requestId: string; platform: string; units: number; status: string; upstream: string }

function gatewayDouble(baseUrl: () => string) {
  const settled: Settled[] = [];
  const candidate = { key: 'channel:7', kind: 'channel', id: 7, provider: 'qwen', baseUrl: '', credential: () => KEY, weight: 1 } as unknown as Candidate;
  const double = {
    settled,
    down: false,
    async taskUpstream(model: string, ref?: string): Promise<Candidate> {
      if (double.down || (ref !== undefined && ref !== upstreamRef(candidate))) throw new RelayFailed(new AppError('SERVICE_UNAVAILABLE', 'no upstream'), 0);
      return { ...candidate, baseUrl: baseUrl(), upstreamModel: model };
    },
    async settleTask(call: { requestId: string; platform: string }, c: Candidate, units: number, _startedAt: number, status: 'success' | 'error') {
      settled.push({ requestId: call.requestId, platform: call.platform, units, status, upstream: upstreamRef(c) });
    },
  };
  return double;
}

describe.each(DB_TIERS)('video generation on $name', (tier) => {
  const clock = fakeClock();
  const signer = createUrlSigner(crypto.randomBytes(32).toString('hex'));
  let database: Database;
  let ledger: Ledger;
  let membership: ReturnType<typeof createMembershipService>;
  let registry: ModelRegistry;
  let files: FileStore;
  let dir: string;
  let fake: FakeDashScope;
  let video: VideoService;
  const gateway = gatewayDouble(() => fake.url);
  let queue: { generationId: string; startAfterSeconds: number }[] = [];
  let seq = 0;

  beforeAll(async () => {
    database = await tier.open();
    fake = await startFakeDashScope({ requireKey: KEY });
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tollgate-video-'));
    files = createLocalFileStore(dir);
    ledger = createLedger({ database, clock });
    membership = createMembershipService({ database, clock, ledger });
    registry = createModelRegistry({ database, clock, secrets: createSecretBox([crypto.randomBytes(32).toString('hex')]), allowPrivateUpstreams: true });
    const fileUrl = (key: string) => signedFileUrl(signer, PUBLIC, key, 3600, clock.now());
    video = createVideoService({
      generations: createGenerations({ database, clock, ledger, membership }),
      creations: createCreationService({ database, clock, fileUrl }),
      files, gateway, registry, clock, fileUrl, config: CONFIG,
      payer: async () => ({ userId: 1, billingMode: 'prepaid', creditLimitMicros: null }),
      enqueue: async (_job, data, o) => void queue.push({ ...data, ...o }),
      tasksFor: (c) => createDashScopeTasks({ baseUrl: c.baseUrl, apiKey: () => c.credential(), timeoutMs: 1000 }),
    });
  });
  afterEach(async () => {
    expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    fake.tasks.retryAfterSeconds = undefined;
    gateway.down = false;
    queue = [];
  });
  afterAll(async () => {
    await fake?.close();
    await database?.close();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  async function creator(credits = 100) {
    const name = `creator${(seq += 1)}${crypto.randomBytes(3).toString('hex')}`;
    const [row] = await database.db.insert(users).values({ username: name, referralCode: name }).returning();
    const id = (row as { id: number }).id;
    const amount = creditsToMicros(credits);
    if (credits > 0) {
      await ledger.transfer({ idempotencyKey: `fund:${id}`, kind: 'gift', postings: [{ account: ACCOUNTS.promoExpense, amount: -amount }, { account: ACCOUNTS.userWallet(id), amount }] });
    }
    return { id, wallet: async () => Number((await ledger.balance(ACCOUNTS.userWallet(id))) / creditsToMicros(1)) };
  }

  const submit = (userId: number, over: Record<string, unknown> = {}, key?: string) =>
    video.submit(userId, { script: '第一幕：清晨的城市\n镜头缓缓推进', duration: 10, ...over }, key);
  const lastTaskId = () => fake.tasks.ids.at(-1) as string;
  const genRow = async (id: string) => (await database.db.select().from(generationsTable).where(eq(generationsTable.id, id)))[0];

  /** Runs the queued polls of `id` as pg-boss would (the clock moved on by each delay) until none is left. */
  async function drive(id: string, limit = 10) {
    const outcomes: string[] = [];
    for (let job = queue.findIndex((q) => q.generationId === id); job >= 0 && outcomes.length < limit; job = queue.findIndex((q) => q.generationId === id)) {
      const [next] = queue.splice(job, 1);
      clock.advance((next?.startAfterSeconds ?? 0) * 1000);
      outcomes.push(await video.poll(id));
    }
    return outcomes;
  }

  async function expectFailure(p: Promise<unknown>, code: keyof typeof STUDIO_BUSINESS_CODES | 'VALIDATION_FAILED' | 'NOT_FOUND' | 'CONFLICT') {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return err as AppError;
  }

  it('holds the credits, submits once, copies the video into the store and settles once', async () => {
    const user = await creator(100);
    const submits = fake.tasks.submits.video;
    const task = await submit(user.id);
    expect(task).toEqual({ task_id: expect.stringMatching(/^gen_[0-9a-f]{32}$/), status: 'processing' });
    expect(fake.tasks.submits.video).toBe(submits + 1);
    expect(fake.lastRequest('video-synthesis')?.body).toMatchObject({ model: 'wanx2.1-t2v-turbo', input: { prompt: '第一幕：清晨的城市\n镜头缓缓推进' }, parameters: { duration: 10 } });
    expect((await genRow(task.task_id))?.providerTaskId).toBe(lastTaskId());
    expect(queue).toEqual([{ generationId: task.task_id, startAfterSeconds: 15 }]);
    expect(await user.wallet()).toBe(80);
    expect(await video.status(user.id, task.task_id)).toEqual({ task_id: task.task_id, status: 'processing', phase: 'queued', credits_used: 0 });

    expect(await drive(task.task_id)).toEqual(['waiting', 'waiting', 'completed']);
    expect(await user.wallet()).toBe(80);
    const done = await video.status(user.id, task.task_id);
    expect(done).toMatchObject({ task_id: task.task_id, status: 'completed', credits_used: 20, creation_id: expect.any(Number) });
    const url = new URL(done.video_url as string);
    expect(url.origin).toBe(PUBLIC);
    expect(signer.verify(url.pathname, url.searchParams.get('expires') ?? undefined, url.searchParams.get('signature') ?? undefined, clock.now())).toBe(true);
    expect(JSON.stringify(done)).not.toContain(fake.url);
    const key = url.pathname.replace(/^\/files\//, '');
    expect(key).toBe(`videos/${user.id}/${task.task_id}.mp4`);
    const opened = await files.open(key);
    const chunks: Buffer[] = [];
    for await (const c of opened?.body ?? []) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(FAKE_MP4)).toBe(true);
    const [creation] = await database.db.select().from(creationsTable).where(eq(creationsTable.generationId, task.task_id));
    expect(creation).toMatchObject({ userId: user.id, type: 'video', title: '第一幕：清晨的城市', content: '第一幕：清晨的城市\n镜头缓缓推进', meta: { model: 'wanx2.1-t2v-turbo', duration: 10 } });
    expect(creation?.files).toEqual([{ key, contentType: 'video/mp4', size: FAKE_MP4.length }]);
    expect(gateway.settled.filter((s) => s.requestId === task.task_id)).toEqual([{ requestId: task.task_id, platform: 'studio', units: 10, status: 'success', upstream: 'channel:7' }]);

    // A poll that comes again (a duplicate job, a restart) finds nothing open and changes nothing.
    expect(await video.poll(task.task_id)).toBe('closed');
    expect(queue).toEqual([]);
    expect(await user.wallet()).toBe(80);
    expect(fake.tasks.submits.video).toBe(submits + 1);
  });

  it('settles once and saves one creation when two polls see the task succeed at the same time', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(user.id, { duration: 5 });
    queue = [];
    clock.advance(15_000);
    const outcomes = await Promise.all([video.poll(task.task_id), video.poll(task.task_id)]);
    expect(outcomes).toContain('completed');
    expect(await user.wallet()).toBe(90);
    expect(await database.db.select().from(creationsTable).where(eq(creationsTable.generationId, task.task_id))).toHaveLength(1);
    expect((await video.status(user.id, task.task_id)).credits_used).toBe(10);
  });

  it.each([
    ['FAILED', { status: 'FAILED' as const, code: 'DataInspectionFailed', message: 'Input data may contain inappropriate content.' }, /DataInspectionFailed/],
    ['CANCELED', 'CANCELED' as const, /取消/],
    ['UNKNOWN', 'UNKNOWN' as const, /找不到/],
  ])('releases the credits when the task ends %s', async (_status, step, words) => {
    const user = await creator(100);
    fake.tasks.scriptNext(['PENDING', step]);
    const task = await submit(user.id);
    expect(await user.wallet()).toBe(80);
    expect(await drive(task.task_id)).toEqual(['waiting', 'failed']);
    expect(await user.wallet()).toBe(100);
    const failed = await video.status(user.id, task.task_id);
    expect(failed).toMatchObject({ status: 'failed', credits_used: 0, error: { code: 40006, message: expect.stringMatching(words) } });
    expect(failed.video_url).toBeUndefined();
    expect(gateway.settled.filter((s) => s.requestId === task.task_id)).toEqual([expect.objectContaining({ status: 'error', units: 0 })]);
  });

  it('gives up a task past its deadline and releases the credits', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['RUNNING']);
    const task = await submit(user.id);
    expect(await drive(task.task_id, 2)).toEqual(['waiting', 'waiting']);
    const gen = await genRow(task.task_id);
    clock.set(new Date((gen?.expiresAt.getTime() ?? 0) + 1000));
    expect(await video.poll(task.task_id)).toBe('failed');
    expect(await user.wallet()).toBe(100);
    expect(await video.status(user.id, task.task_id)).toMatchObject({ status: 'failed', credits_used: 0, error: { code: 40007 } });
    expect(gateway.settled.filter((s) => s.requestId === task.task_id).map((s) => s.status)).toEqual(['error']);
  });

  it('waits as long as Retry-After says, on an answer and on a throttled query', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['PENDING']);
    const task = await submit(user.id);
    fake.tasks.retryAfterSeconds = 45;
    expect(await drive(task.task_id, 1)).toEqual(['waiting']);
    expect(queue).toEqual([{ generationId: task.task_id, startAfterSeconds: 45 }]);
    fake.tasks.retryAfterSeconds = undefined;
    fake.tasks.throttleNext(1, 120);
    expect(await drive(task.task_id, 1)).toEqual(['retrying']);
    expect(queue).toEqual([{ generationId: task.task_id, startAfterSeconds: 120 }]);
    expect(await drive(task.task_id, 1)).toEqual(['waiting']);
    expect(queue[0]?.startAfterSeconds).toBe(15);
    // Left to the deadline, so that it ends released.
    clock.advance(3600_000);
    expect(await drive(task.task_id)).toEqual(['failed']);
  });

  it('backs off as polls grow, to a minute at most', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['RUNNING']);
    const task = await submit(user.id);
    const delays: number[] = [];
    for (let i = 0; i < 18; i += 1) {
      expect(await drive(task.task_id, 1)).toEqual(['waiting']);
      delays.push(queue[0]?.startAfterSeconds ?? 0);
    }
    expect(delays).toEqual([...Array(8).fill(15), ...Array(8).fill(30), 60, 60]);
    clock.advance(3600_000);
    expect(await drive(task.task_id)).toEqual(['failed']);
  });

  it('downloads again after a failed download, without submitting again', async () => {
    const user = await creator(100);
    const submits = fake.tasks.submits.video;
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(user.id);
    fake.tasks.failLinkOnce(lastTaskId());
    expect(await drive(task.task_id, 1)).toEqual(['retrying']);
    expect(await video.status(user.id, task.task_id)).toMatchObject({ status: 'processing', phase: 'saving', credits_used: 0 });
    expect(await user.wallet()).toBe(80);
    expect(await drive(task.task_id)).toEqual(['completed']);
    expect(fake.tasks.submits.video).toBe(submits + 1);
    expect(fake.tasks.queries(lastTaskId())).toBe(2);
    expect(fake.tasks.downloads(lastTaskId())).toBe(2);
    expect(await user.wallet()).toBe(80);
    expect(await video.status(user.id, task.task_id)).toMatchObject({ status: 'completed', credits_used: 20 });
  });

  it('fails and releases when the provider\'s link has expired; the upstream is still paid for what it made', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(user.id);
    fake.tasks.expireLinks(lastTaskId());
    expect(await drive(task.task_id)).toEqual(['failed']);
    expect(await user.wallet()).toBe(100);
    const failed = await video.status(user.id, task.task_id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 40007 } });
    expect(JSON.stringify(failed)).not.toContain(fake.url);
    expect(await database.db.select().from(creationsTable).where(eq(creationsTable.generationId, task.task_id))).toEqual([]);
    expect(gateway.settled.filter((s) => s.requestId === task.task_id)).toEqual([expect.objectContaining({ status: 'success', units: 10 })]);
  });

  it.each([
    ['answers 500', () => fake.tasks.failNext(1)],
    ['does not answer in time', () => fake.tasks.hangNext(1)],
    ['quotes the API key', () => fake.tasks.leakKeyNext()],
  ])('releases the credits and answers 40006 when the submit %s, and never submits again', async (_what, fault) => {
    const user = await creator(100);
    const submits = fake.tasks.submits.video;
    fault();
    const err = await expectFailure(submit(user.id), 'AI_SERVICE_FAILED');
    expect(STUDIO_BUSINESS_CODES[err.code]).toBe(40006);
    expect(err.message).not.toContain(KEY.slice(3, 11));
    expect(await user.wallet()).toBe(100);
    expect(queue).toEqual([]);
    expect(fake.tasks.submits.video).toBe(submits);
    const [gen] = await database.db.select().from(generationsTable).where(eq(generationsTable.userId, user.id));
    expect(gen).toMatchObject({ status: 'failed', errorCode: 40006, providerTaskId: null });
    expect(gen?.errorMessage).not.toContain(KEY.slice(-8));
  });

  it('answers a retry with the same Idempotency-Key with the same task, submitted and held once', async () => {
    const user = await creator(100);
    const submits = fake.tasks.submits.video;
    const first = await submit(user.id, {}, 'video-key-0001');
    const again = await submit(user.id, {}, 'video-key-0001');
    expect(again).toEqual(first);
    expect(fake.tasks.submits.video).toBe(submits + 1);
    expect(await user.wallet()).toBe(80);
    await expectFailure(submit(user.id, { duration: 5 }, 'video-key-0001'), 'CONFLICT');
    await drive(first.task_id);
    expect(await submit(user.id, {}, 'video-key-0001')).toEqual({ task_id: first.task_id, status: 'completed' });
    expect(await user.wallet()).toBe(80);
  });

  it('answers 404 for another user\'s task and for an id that is not a video task', async () => {
    const owner = await creator(100);
    const other = await creator(100);
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(owner.id);
    await expectFailure(video.status(other.id, task.task_id), 'NOT_FOUND');
    await expectFailure(video.status(owner.id, 'gen_00000000000000000000000000000000'), 'NOT_FOUND');
    expect(await drive(task.task_id)).toEqual(['completed']);
  });

  it('charges a member nothing, and still meters the upstream', async () => {
    const member = await creator(0);
    await database.transaction((tx) => membership.extend(tx, member.id, 'monthly'));
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(member.id);
    expect(await drive(task.task_id)).toEqual(['completed']);
    expect(await member.wallet()).toBe(0);
    expect(await video.status(member.id, task.task_id)).toMatchObject({ status: 'completed', credits_used: 0, video_url: expect.any(String) });
    expect(gateway.settled.filter((s) => s.requestId === task.task_id).map((s) => s.status)).toEqual(['success']);
  });

  it('charges a registry model\'s higher price per video and asks the provider for its model', async () => {
    const user = await creator(100);
    const model = await registry.create({ name: `万相专业版${seq}`, provider: 'qwen', modelName: 'wanx2.1-t2v-plus', creditsCost: 50 });
    fake.tasks.scriptNext(['SUCCEEDED']);
    const task = await submit(user.id, { duration: 5, model_id: model.id });
    expect(fake.lastRequest('video-synthesis')?.body).toMatchObject({ model: 'wanx2.1-t2v-plus' });
    expect(await drive(task.task_id)).toEqual(['completed']);
    expect(await user.wallet()).toBe(50);
  });

  it.each([
    ['a duration below 5', { duration: 4 }],
    ['a duration above 60', { duration: 61 }],
    ['a fractional duration', { duration: 7.5 }],
    ['an empty script', { script: '  \n ' }],
    ['a script over 2000 characters', { script: '镜'.repeat(2001) }],
    ['a control character', { script: 'bell\u0007' }],
  ])('refuses %s with 400 before holding anything', async (_what, over) => {
    const user = await creator(100);
    await expectFailure(submit(user.id, over), 'VALIDATION_FAILED');
    expect(await user.wallet()).toBe(100);
  });

  it('refuses without credits (40001) before submitting', async () => {
    const user = await creator(5);
    const submits = fake.tasks.submits.video;
    await expectFailure(submit(user.id), 'INSUFFICIENT_CREDITS');
    expect(fake.tasks.submits.video).toBe(submits);
    expect(await user.wallet()).toBe(5);
  });

  it('keeps polling while the upstream is unreachable, and resumes every open task on boot', async () => {
    const user = await creator(100);
    fake.tasks.scriptNext(['SUCCEEDED']);
    const open = await submit(user.id);
    fake.tasks.scriptNext(['SUCCEEDED']);
    const finished = await submit(user.id);
    expect(await drive(finished.task_id)).toEqual(['completed']);
    gateway.down = true;
    expect(await drive(open.task_id, 1)).toEqual(['retrying']);
    gateway.down = false;
    queue = []; // the process died: its queued polls are gone

    expect(await video.resume()).toBeGreaterThanOrEqual(1);
    const resumed = queue.map((q) => q.generationId);
    expect(resumed).toContain(open.task_id);
    expect(resumed).not.toContain(finished.task_id);
    expect(queue.find((q) => q.generationId === open.task_id)?.startAfterSeconds).toBe(0);
    queue = queue.filter((q) => q.generationId === open.task_id);
    expect(await drive(open.task_id)).toEqual(['completed']);
    expect(await user.wallet()).toBe(60);
  });
});
