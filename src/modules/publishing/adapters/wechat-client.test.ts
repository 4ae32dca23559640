import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_APPID, FAKE_SECRET, startFakeWechatMp, type FakeWechatMp } from '../../../../test/fakes/wechat-mp.ts';
import { createWechatClient } from './wechat-client.ts';

// The shared access token under refusals: one refresh however many calls are refused at once, forced only when
// WeChat answers the refused token again (forced refreshes are limited to 20 a day), and never ending on the token
// WeChat refused.

let fake: FakeWechatMp;
beforeEach(async () => {
  fake = await startFakeWechatMp();
});
afterEach(() => fake.close());

const cred = { appId: FAKE_APPID, appSecret: FAKE_SECRET };
const account = () => fake.accounts.get(FAKE_APPID)!;
/** Each stable_token request's force_refresh, in order. */
const forced = () => fake.calls.filter((c) => c.path === '/cgi-bin/stable_token').map((c) => (c.body as { force_refresh?: boolean }).force_refresh ?? false);
const listings = () => fake.calls.filter((c) => c.path === '/cgi-bin/draft/batchget').length;

async function until(done: () => boolean): Promise<void> {
  for (const end = Date.now() + 5_000; !done(); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A fetch that holds the requests to a closed path, unsent, until the path is opened. */
function gatedFetch() {
  const closed = new Set<string>();
  let held: { path: string; go: () => void }[] = [];
  return {
    fetch: (async (url, init) => {
      const path = new URL(String(url)).pathname;
      if (closed.has(path)) await new Promise<void>((go) => held.push({ path, go }));
      return fetch(url, init);
    }) as typeof fetch,
    close: (path: string) => void closed.add(path),
    open(path: string) {
      closed.delete(path);
      for (const h of held) if (h.path === path) h.go();
      held = held.filter((h) => h.path !== path);
    },
    held: (path: string) => held.filter((h) => h.path === path).length,
  };
}

describe('WeChat access token', () => {
  it('on 42001 from a token WeChat let expire before our clock did, takes the current token once and retries', async () => {
    const frozen = fake.now();
    const wechat = createWechatClient({ baseUrl: fake.baseUrl, clock: { now: () => frozen } });
    await wechat.findDraftByThumb(cred, 'warm');
    fake.advance(7200 * 1000);
    expect(await wechat.findDraftByThumb(cred, 'x')).toBeUndefined();
    // The expired token was simply replaced: no forced refresh.
    expect(forced()).toEqual([false, false]);
    expect(account().issued).toHaveLength(2);
    expect(listings()).toBe(3);
  });

  it('refreshes once for many calls refused with 40001 at the same time', async () => {
    const wechat = createWechatClient({ baseUrl: fake.baseUrl, clock: { now: () => fake.now() } });
    await wechat.findDraftByThumb(cred, 'warm');
    const [refused] = account().issued;
    for (let i = 0; i < 5; i += 1) fake.failNext('/cgi-bin/draft/batchget', 40001);
    expect(await Promise.all(Array.from({ length: 5 }, () => wechat.findDraftByThumb(cred, 'nothing')))).toEqual(Array(5).fill(undefined));
    expect(forced()).toEqual([false, false, true]);
    // The forced refresh revoked the refused token at WeChat: every retry succeeded with the new one.
    expect(account().issued).toEqual([refused, account().current]);
    expect(listings()).toBe(11);
  });

  it('after a refusal, waits for a token fetch already in flight and forces a refresh when it brings back the refused token', async () => {
    const gate = gatedFetch();
    let now = fake.now().getTime();
    const wechat = createWechatClient({ baseUrl: fake.baseUrl, fetch: gate.fetch, clock: { now: () => new Date(now) } });
    await wechat.findDraftByThumb(cred, 'warm');
    const [refused] = account().issued;

    // Call a is refused with 40001 while call b, finding our copy of the token stale, is fetching it (unforced).
    fake.failNext('/cgi-bin/draft/batchget', 40001);
    gate.close('/cgi-bin/draft/batchget');
    const a = wechat.findDraftByThumb(cred, 'a');
    await until(() => gate.held('/cgi-bin/draft/batchget') === 1);
    now += 7000 * 1000;
    gate.close('/cgi-bin/stable_token');
    const b = wechat.findDraftByThumb(cred, 'b');
    await until(() => gate.held('/cgi-bin/stable_token') === 1);
    gate.open('/cgi-bin/draft/batchget');
    await until(() => fake.calls.some((c) => (c.body as { injected?: number }).injected === 40001));
    await new Promise((r) => setTimeout(r, 50));
    expect(gate.held('/cgi-bin/stable_token')).toBe(1);
    gate.open('/cgi-bin/stable_token');

    expect(await Promise.all([a, b])).toEqual([undefined, undefined]);
    // WeChat still answers the refused token when not forced: the refresh that follows is forced, and only one.
    expect(forced()).toEqual([false, false, true]);
    expect(account().current).not.toBe(refused);
  });
});
