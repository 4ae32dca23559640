import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_APPID } from '../../../test/fakes/wechat-mp.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startPublishing, type Publisher, type PublishingHarness } from '../../../test/helpers/publishing.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { publishJobs } from './publishing.tables.ts';

// Publish jobs as durable work: a scheduled publish fires at its time on an injected clock (not before), two at the
// same minute both fire, a schedule survives a restart, and a failure injected at each step of the WeChat flow is
// resumed from the ids already stored — the fake ends with exactly one draft and at most one publish.

type Json = Record<string, any>;

describe.each(DB_TIERS)('publish jobs on $name', (tier) => {
  let h: PublishingHarness;
  let alice: Publisher;

  const view = async (id: number) => {
    const res = await h.request({ method: 'GET', url: `/api/v1/publish/${id}`, headers: alice.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as Json;
  };
  async function publish(payload: Json): Promise<number> {
    const res = await h.request({ method: 'POST', url: '/api/v1/publish', headers: alice.auth, payload });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data.publish_id;
  }
  const inMinutes = (m: number) => formatStudioTime(new Date(h.clock.now().getTime() + m * 60_000));

  beforeAll(async () => {
    h = await startPublishing(tier);
    alice = await h.creator();
    await h.bindWechat(alice);
  });
  afterAll(() => h?.close());

  it('fires a scheduled publish at its time and not before; two at the same minute both fire', async () => {
    const at = inMinutes(60);
    const a = await publish({ creation_id: (await h.writing(alice)).id, platforms: ['toutiao'], schedule_time: at });
    const b = await publish({ creation_id: (await h.writing(alice)).id, platforms: ['toutiao'], schedule_time: at });
    expect(await view(a)).toMatchObject({ status: 'scheduled', schedule_time: at, platforms: [{ state: 'queued', next_run_at: at }] });

    h.clock.advance(59 * 60_000);
    await h.runDue();
    expect((await view(a)).status).toBe('scheduled');
    expect((await view(b)).status).toBe('scheduled');

    h.clock.advance(60_000);
    await h.runDue();
    for (const id of [a, b]) expect((await view(id)).platforms[0]).toMatchObject({ state: 'needs_user_action', action: { kind: 'export' } });
  });

  it('runs one job from its pg-boss message at its time, and only once however often the message comes', async () => {
    const id = await publish({ creation_id: (await h.writing(alice)).id, platforms: ['toutiao'], schedule_time: inMinutes(5) });
    const [job] = await h.database.db.select({ id: publishJobs.id }).from(publishJobs).where(eq(publishJobs.requestId, id));
    const jobId = job?.id;
    const runJob = (h.app().tollgateJobs.find((j) => j.name === 'publish.run') as { handler: (d: object) => Promise<unknown> }).handler;
    expect(await runJob({ jobId })).toEqual({ ran: false });
    h.clock.advance(5 * 60_000);
    expect(await Promise.all([runJob({ jobId }), runJob({ jobId })])).toEqual(expect.arrayContaining([{ ran: true }, { ran: false }]));
    expect((await view(id)).platforms[0].state).toBe('needs_user_action');
  });

  it('fails a scheduled job for good when its account is unbound or its creation deleted before its time', async () => {
    const bob = await h.creator();
    await h.bindWechat(bob);
    const cover = await h.image(bob);
    const first = await h.request({ method: 'POST', url: '/api/v1/publish', headers: bob.auth, payload: { creation_id: (await h.writing(bob)).id, platforms: ['wechat'], cover_creation_id: cover.id, schedule_time: inMinutes(5) } });
    const gone = await h.writing(bob);
    const second = await h.request({ method: 'POST', url: '/api/v1/publish', headers: bob.auth, payload: { creation_id: gone.id, platforms: ['toutiao'], schedule_time: inMinutes(5) } });
    expect((await h.request({ method: 'DELETE', url: '/api/v1/publish/platforms/wechat', headers: bob.auth })).statusCode).toBe(200);
    expect((await h.request({ method: 'DELETE', url: `/api/v1/creations/${gone.id}`, headers: bob.auth })).statusCode).toBe(200);
    h.clock.advance(5 * 60_000);
    await h.runDue();
    const stateOf = async (res: typeof first) =>
      (await h.request({ method: 'GET', url: `/api/v1/publish/${res.json().data.publish_id}`, headers: bob.auth })).json().data.platforms[0];
    expect(await stateOf(first)).toMatchObject({ state: 'failed', error: { code: 'binding_removed', retryable: false }, next_run_at: null });
    expect(await stateOf(second)).toMatchObject({ state: 'failed', error: { code: 'creation_missing', retryable: false } });
  });

  it('keeps a schedule through a restart and runs what came due while the server was down', async () => {
    const cover = await h.image(alice);
    const id = await publish({ creation_id: (await h.writing(alice)).id, platforms: ['wechat', 'toutiao'], cover_creation_id: cover.id, schedule_time: inMinutes(10) });
    await h.restart();
    h.clock.advance(30 * 60_000);
    await h.runDue();
    const after = await view(id);
    expect(after.platforms.map((p: Json) => [p.platform, p.state])).toEqual([['wechat', 'submitted'], ['toutiao', 'needs_user_action']]);
  });

  // Each call of the flow, and the state a retry resumes in. A queued job's first call is for a token (the job has
  // just said it is uploading); the last is the poll of a submitted publish.
  const steps = [
    ['/cgi-bin/stable_token', 'uploading_assets'],
    ['/cgi-bin/material/add_material', 'uploading_assets'],
    ['/cgi-bin/media/uploadimg', 'uploading_assets'],
    ['/cgi-bin/draft/add', 'uploading_assets'],
    ['/cgi-bin/freepublish/submit', 'draft_created'],
    ['/cgi-bin/freepublish/get', 'submitted'],
  ] as const;

  describe.each(steps)('a failure at %s', (path, stoppedIn) => {
    it.each([[-1], ['drop']] as const)('(%s) is resumed where it stopped: one draft, at most one publish', async (fault) => {
      const cover = await h.image(alice);
      // A body image of the creator's own, so that uploadimg has something to do.
      const body = await h.image(alice);
      const title = `失败恢复 ${path} ${fault}`;
      const writing = await h.writing(alice, `# ${title}\n\n正文\n\n![图](/files/${body.files[0]?.key}?expires=1&signature=x)`, title);
      const id = await publish({ creation_id: writing.id, platforms: ['wechat'], cover_creation_id: cover.id });

      // The token is shared by every job of the account: a new server has none yet, so its first job asks for one.
      if (path === '/cgi-bin/stable_token') await h.restart();
      h.wechat.failNext(path, fault);
      await h.runDue();
      const failed = (await view(id)).platforms[0];
      expect(failed).toMatchObject({ state: 'failed', error: { code: fault === 'drop' ? 'network' : String(fault), retryable: true } });
      expect(failed.error.message).not.toMatch(/access_token|secret/i);
      const before = h.wechat.calls.length;

      const retried = await h.request({ method: 'POST', url: `/api/v1/publish/${id}/retry`, headers: alice.auth, payload: { platform: 'wechat' } });
      expect(retried.statusCode, retried.body).toBe(200);
      expect(retried.json().data.platforms[0].state).toBe(stoppedIn);
      await h.runDue();
      h.clock.advance(31_000);
      h.wechat.advance(31_000);
      await h.runDue();

      let done = (await view(id)).platforms[0];
      const drafts = h.wechat.drafts.filter((d) => d.articles[0]?.title === title);
      const publishes = () => h.wechat.publishes.filter((p) => p.mediaId === drafts[0]?.mediaId).length;
      expect(drafts).toHaveLength(1);
      if (path !== '/cgi-bin/freepublish/submit') {
        expect(done.state).toBe('published');
        expect(publishes()).toBe(1);
        if (path === '/cgi-bin/freepublish/get') {
          // The retry only polls the publish it stored: nothing is drafted or submitted again.
          const since = h.wechat.calls.slice(before) as { path: string; body: Json }[];
          const ours = (c: { body: Json }) => c.body.publish_id === done.platform_ids.publish_id;
          expect(since.filter((c) => c.path === '/cgi-bin/freepublish/get' && ours(c)).length).toBeGreaterThan(0);
          expect(since.filter((c) => c.path === '/cgi-bin/freepublish/submit' && c.body.media_id === drafts[0]?.mediaId)).toEqual([]);
          expect(since.filter((c) => c.path === '/cgi-bin/draft/add' && c.body.articles?.[0]?.title === title)).toEqual([]);
        }
        return;
      }
      // A submit WeChat did not confirm is never sent again by itself: the user is asked to look in the backend.
      expect(done).toMatchObject({ state: 'needs_user_action', action: { kind: 'check_backend' } });
      expect(publishes()).toBe(fault === 'drop' ? 1 : 0);
      if (fault === 'drop') return;
      // They looked and it is not there: their retry sends it once.
      const again = await h.request({ method: 'POST', url: `/api/v1/publish/${id}/retry`, headers: alice.auth, payload: {} });
      expect(again.statusCode, again.body).toBe(200);
      await h.runDue();
      h.clock.advance(31_000);
      h.wechat.advance(31_000);
      await h.runDue();
      done = (await view(id)).platforms[0];
      expect(done.state).toBe('published');
      expect(publishes()).toBe(1);
    });
  });

  it('ends an unverified account\'s publish (48001) at "draft created" and lists that account as draft-only until a publish by API goes through', async () => {
    const dave = await h.creator();
    await h.bindWechat(dave);
    const wechatOf = async (p: Publisher) => {
      const res = await h.request({ method: 'GET', url: '/api/v1/publish/platforms', headers: p.auth });
      return (res.json().data as Json[]).find((x) => x.platform === 'wechat') as Json;
    };
    const appliesTo = (w: Json) => (w.account_types as Json[]).filter((t) => t.applies).map((t) => t.type);
    expect(await wechatOf(dave)).toMatchObject({ bound: true, capability: 'api_publish' });

    h.wechat.setVerified(FAKE_APPID, false);
    try {
      const cover = await h.image(dave);
      const created = await h.request({ method: 'POST', url: '/api/v1/publish', headers: dave.auth, payload: { creation_id: (await h.writing(dave)).id, platforms: ['wechat'], cover_creation_id: cover.id } });
      await h.runDue();
      const job = (await h.request({ method: 'GET', url: `/api/v1/publish/${created.json().data.publish_id}`, headers: dave.auth })).json().data.platforms[0];
      expect(job).toMatchObject({ state: 'needs_user_action', error: null, action: { kind: 'publish_in_backend', message: expect.stringContaining('Draft created') } });
    } finally {
      h.wechat.setVerified(FAKE_APPID, true);
    }
    const learnt = await wechatOf(dave);
    expect(learnt).toMatchObject({ bound: true, capability: 'draft_only', note: expect.stringContaining('Draft created') });
    expect(appliesTo(learnt)).toEqual(['unverified_official_account']);
    // What WeChat said of dave's binding is not said of anyone else's.
    expect(await wechatOf(alice)).toMatchObject({ capability: 'api_publish' });
    expect(appliesTo(await wechatOf(alice))).toEqual(['verified_official_account']);

    // Verified since: the next publish goes through by API, and the account is listed as publishing directly again.
    const cover = await h.image(dave);
    const again = await h.request({ method: 'POST', url: '/api/v1/publish', headers: dave.auth, payload: { creation_id: (await h.writing(dave)).id, platforms: ['wechat'], cover_creation_id: cover.id } });
    await h.runDue();
    h.clock.advance(31_000);
    h.wechat.advance(31_000);
    await h.runDue();
    const published = (await h.request({ method: 'GET', url: `/api/v1/publish/${again.json().data.publish_id}`, headers: dave.auth })).json().data.platforms[0];
    expect(published).toMatchObject({ state: 'published' });
    const relearnt = await wechatOf(dave);
    expect(relearnt).toMatchObject({ bound: true, capability: 'api_publish', note: expect.stringContaining('publishes directly again') });
    expect(appliesTo(relearnt)).toEqual(['verified_official_account']);
  });

  it('retries a retryable failure by itself after a backoff', async () => {
    const cover = await h.image(alice);
    const id = await publish({ creation_id: (await h.writing(alice)).id, platforms: ['toutiao', 'wechat'], cover_creation_id: cover.id });
    h.wechat.failNext('/cgi-bin/material/add_material', -1);
    await h.runDue();
    const wechat = (await view(id)).platforms.find((p: Json) => p.platform === 'wechat');
    expect(wechat).toMatchObject({ state: 'failed', error: { retryable: true }, next_run_at: expect.any(String) });
    h.clock.advance(31_000);
    await h.runDue();
    expect((await view(id)).platforms.find((p: Json) => p.platform === 'wechat').state).toBe('submitted');
  });
});

// The same jobs under the runner main.ts starts: pg-boss on the test database, nothing run by hand. A harness of its
// own, so that pg-boss meets a database it has never run on (no schedule left by an earlier boot).
describe.each(DB_TIERS)('publish jobs under pg-boss on $name', (tier) => {
  let h: PublishingHarness;
  let carol: Publisher;

  const stateOf = async (id: number) => {
    const res = await h.request({ method: 'GET', url: `/api/v1/publish/${id}`, headers: carol.auth });
    return (res.json().data.platforms as Json[]).map((p) => [p.platform, p.state]);
  };
  async function publish(payload: Json): Promise<number> {
    const res = await h.request({ method: 'POST', url: '/api/v1/publish', headers: carol.auth, payload });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data.publish_id;
  }
  const jobIdOf = async (requestId: number) =>
    (await h.database.db.select({ id: publishJobs.id }).from(publishJobs).where(eq(publishJobs.requestId, requestId)))[0]?.id;
  /** pg-boss's own rows for a queue: what was sent, with what delay, and where it is. */
  const messages = async (name: string) =>
    (await h.database.executeSql(
      `SELECT data->>'jobId' AS job_id, singleton_key, state, EXTRACT(EPOCH FROM start_after - created_on)::float8 AS delay
         FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
      [name],
    )).rows as { job_id: string | null; singleton_key: string | null; state: string; delay: number }[];
  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 45_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v) || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    h = await startPublishing(tier);
    carol = await h.creator();
    await h.bindWechat(carol);
  });
  afterAll(() => h?.close());

  it('runs at boot a publish that came due while the server was down, with nobody calling the sweep', async () => {
    const cover = await h.image(carol);
    const at = formatStudioTime(new Date(h.clock.now().getTime() + 10 * 60_000));
    // This app has no job runner, like a server that is down: the publish's message goes nowhere.
    const id = await publish({ creation_id: (await h.writing(carol)).id, platforms: ['wechat', 'toutiao'], cover_creation_id: cover.id, schedule_time: at });
    h.clock.advance(30 * 60_000);
    expect(await stateOf(id)).toEqual([['wechat', 'queued'], ['toutiao', 'queued']]);

    await h.boot();
    // The boot itself queued the sweep: on a database pg-boss never ran on, the cron's first send is half a minute away.
    expect((await messages('publish.due')).length).toBeGreaterThan(0);
    const after = await until(() => stateOf(id), (s) => s[1]?.[1] === 'needs_user_action' && s[0]?.[1] === 'submitted');
    expect(after).toEqual([['wechat', 'submitted'], ['toutiao', 'needs_user_action']]);
  }, 60_000);

  it('sends each publish to pg-boss to run at its schedule_time, and at once when it has none', async () => {
    const later = await publish({ creation_id: (await h.writing(carol)).id, platforms: ['toutiao'], schedule_time: formatStudioTime(new Date(h.clock.now().getTime() + 5 * 60_000)) });
    const now = await publish({ creation_id: (await h.writing(carol)).id, platforms: ['toutiao'] });
    const [laterJob, nowJob] = [await jobIdOf(later), await jobIdOf(now)];
    const sent = await messages('publish.run');
    expect(sent.filter((m) => m.job_id === String(laterJob))).toEqual([{ job_id: String(laterJob), singleton_key: `publish-${laterJob}`, state: 'created', delay: 300 }]);
    expect(sent.filter((m) => m.job_id === String(nowJob))).toEqual([expect.objectContaining({ singleton_key: `publish-${nowJob}`, delay: 0 })]);
    // pg-boss delivers the one without a delay; the delayed one waits for its five minutes.
    expect(await until(() => stateOf(now), (s) => s[0]?.[1] === 'needs_user_action')).toEqual([['toutiao', 'needs_user_action']]);
    expect(await stateOf(later)).toEqual([['toutiao', 'queued']]);
  }, 60_000);
});
