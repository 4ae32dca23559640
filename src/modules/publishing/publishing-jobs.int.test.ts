import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  const steps = [
    ['/cgi-bin/material/add_material', 'uploading_assets'],
    ['/cgi-bin/media/uploadimg', 'uploading_assets'],
    ['/cgi-bin/draft/add', 'uploading_assets'],
    ['/cgi-bin/freepublish/submit', 'draft_created'],
  ] as const;

  describe.each(steps)('a failure at %s', (path, stoppedIn) => {
    it.each([[-1], ['drop']] as const)('(%s) is resumed where it stopped: one draft, at most one publish', async (fault) => {
      const cover = await h.image(alice);
      // A body image of the creator's own, so that uploadimg has something to do.
      const body = await h.image(alice);
      const title = `失败恢复 ${path} ${fault}`;
      const writing = await h.writing(alice, `# ${title}\n\n正文\n\n![图](/files/${body.files[0]?.key}?expires=1&signature=x)`, title);
      const id = await publish({ creation_id: writing.id, platforms: ['wechat'], cover_creation_id: cover.id });

      h.wechat.failNext(path, fault);
      await h.runDue();
      const failed = (await view(id)).platforms[0];
      expect(failed).toMatchObject({ state: 'failed', error: { retryable: true } });
      expect(failed.error.message).not.toMatch(/access_token|secret/i);

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
