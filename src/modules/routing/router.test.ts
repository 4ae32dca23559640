import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { openaiAdapter } from '../providers/openai/index.ts';
import type { Operation } from '../providers/types.ts';
import type { Candidate, CandidateSource } from './candidates.ts';
import { createHealth, type Health } from './health.ts';
import { createCandidateLimits } from './limits.ts';
import { createRouter } from './router.ts';

const COOLDOWN = 30_000;

function candidate(id: number, over: Partial<Candidate> = {}): Candidate {
  return {
    key: `channel:${id}`,
    kind: 'channel',
    id,
    provider: 'openai',
    adapter: openaiAdapter,
    baseUrl: 'https://api.openai.com',
    credential: () => `sk-test-${id}`,
    upstreamModel: 'gpt-4o-mini',
    price: { input: 1_000_000n, output: 2_000_000n },
    weight: 1,
    ...over,
  };
}

/** A deterministic stand-in for Math.random (mulberry32). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function source(byModel: Record<string, Candidate[]>): CandidateSource & { asked: [string, Operation][] } {
  const asked: [string, Operation][] = [];
  return {
    asked,
    async candidates(model, op) {
      asked.push([model, op]);
      return byModel[model] ?? [];
    },
    async models() {
      return Object.keys(byModel);
    },
  };
}

let clock: ReturnType<typeof fakeClock>;
let health: Health;

beforeEach(() => {
  clock = fakeClock();
  health = createHealth({ clock, failureThreshold: 2, cooldownMs: COOLDOWN });
});

function routerWith(opts: { sources?: CandidateSource[]; random?: () => number } = {}) {
  const limits = createCandidateLimits({ clock });
  return { limits, router: createRouter({ sources: opts.sources ?? [], health, limits, random: opts.random ?? seeded(1) }) };
}

const keys = (list: Candidate[]) => list.map((c) => c.key);

describe('router.plan', () => {
  it('tries the cheapest candidate first, by input + output (+ per-image) price', () => {
    const { router } = routerWith();
    const dear = candidate(1, { price: { input: 5n, output: 10n } });
    const cheap = candidate(2, { price: { input: 1n, output: 2n } });
    const middle = candidate(3, { price: { input: 10n, output: 0n } });
    const images = candidate(4, { price: { input: 0n, output: 0n, perImage: 12n } });
    expect(keys(router.plan([dear, cheap, middle, images]))).toEqual(['channel:2', 'channel:3', 'channel:4', 'channel:1']);
  });

  it('keeps every candidate of a price group, each once', () => {
    const { router } = routerWith();
    const all = [candidate(1), candidate(2), candidate(3), candidate(4, { price: { input: 0n, output: 1n } })];
    const plan = router.plan(all);
    expect(plan[0]?.key).toBe('channel:4');
    expect(keys(plan.slice(1)).sort()).toEqual(['channel:1', 'channel:2', 'channel:3']);
  });

  it('orders equal prices at random by weight: weight 3 goes first about 75 % of the time', () => {
    const { router } = routerWith({ random: seeded(42) });
    const heavy = candidate(1, { weight: 3 });
    const light = candidate(2, { weight: 1 });
    const draws = 10_000;
    let heavyFirst = 0;
    for (let i = 0; i < draws; i += 1) if (router.plan([light, heavy])[0] === heavy) heavyFirst += 1;
    expect(heavyFirst / draws).toBeGreaterThan(0.73);
    expect(heavyFirst / draws).toBeLessThan(0.77);
  });

  it('orders equal weights evenly', () => {
    const { router } = routerWith({ random: seeded(7) });
    const a = candidate(1);
    const b = candidate(2);
    let aFirst = 0;
    for (let i = 0; i < 10_000; i += 1) if (router.plan([a, b])[0] === a) aFirst += 1;
    expect(aFirst / 10_000).toBeGreaterThan(0.48);
    expect(aFirst / 10_000).toBeLessThan(0.52);
  });

  it('never lets the random order cross price groups', () => {
    const { router } = routerWith({ random: seeded(3) });
    const cheap = candidate(1, { price: { input: 1n, output: 1n }, weight: 1 });
    const dear = [candidate(2, { weight: 100 }), candidate(3, { weight: 100 })];
    for (let i = 0; i < 200; i += 1) expect(router.plan([...dear, cheap])[0]).toBe(cheap);
  });

  it('tries a higher priority first among equal prices, whatever the weights', () => {
    const { router } = routerWith({ random: seeded(11) });
    const primary = candidate(1, { priority: 5, weight: 1 });
    const backups = [candidate(2, { weight: 100 }), candidate(3, { priority: -1, weight: 100 })];
    for (let i = 0; i < 200; i += 1) expect(keys(router.plan([...backups, primary]))).toEqual(['channel:1', 'channel:2', 'channel:3']);
  });

  it('counts a missing priority as 0 (supplier packages have none)', () => {
    const { router } = routerWith({ random: seeded(5) });
    const below = candidate(1, { priority: -1 });
    const pkg = candidate(2, { kind: 'package', key: 'package:2' });
    const zero = candidate(3, { priority: 0 });
    for (let i = 0; i < 100; i += 1) {
      const plan = keys(router.plan([below, pkg, zero]));
      expect(plan.at(-1)).toBe('channel:1');
      expect(plan.slice(0, 2).sort()).toEqual(['channel:3', 'package:2']);
    }
  });

  it('orders one priority at random by weight', () => {
    const { router } = routerWith({ random: seeded(42) });
    const heavy = candidate(1, { priority: 2, weight: 3 });
    const light = candidate(2, { priority: 2, weight: 1 });
    const fallback = candidate(3, { priority: 1, weight: 1000 });
    let heavyFirst = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const plan = router.plan([fallback, light, heavy]);
      expect(plan[2]).toBe(fallback);
      if (plan[0] === heavy) heavyFirst += 1;
    }
    expect(heavyFirst / 10_000).toBeGreaterThan(0.73);
    expect(heavyFirst / 10_000).toBeLessThan(0.77);
  });

  it('never lets a priority cross price groups: a cheaper candidate of low priority still goes first', () => {
    const { router } = routerWith();
    const cheap = candidate(1, { price: { input: 1n, output: 1n }, priority: -10 });
    const dear = candidate(2, { priority: 10 });
    expect(keys(router.plan([dear, cheap]))).toEqual(['channel:1', 'channel:2']);
  });

  it('skips zero-weight candidates', () => {
    const { router } = routerWith();
    expect(keys(router.plan([candidate(1, { weight: 0 }), candidate(2), candidate(3, { weight: -1 })]))).toEqual(['channel:2']);
  });

  it('skips candidates whose circuit is open, and takes them back once the cool-down has passed', () => {
    const { router } = routerWith();
    const all = [candidate(1), candidate(2, { price: { input: 9_000_000n, output: 9_000_000n } })];
    health.failure('channel:1');
    health.failure('channel:1');
    expect(keys(router.plan(all))).toEqual(['channel:2']);
    clock.advance(COOLDOWN);
    expect(keys(router.plan(all))).toEqual(['channel:1', 'channel:2']);
  });

  it('plans nothing when there is nothing to try', () => {
    const { router } = routerWith();
    expect(router.plan([])).toEqual([]);
    expect(router.plan([candidate(1, { weight: 0 })])).toEqual([]);
  });
});

describe('router.claim', () => {
  it('refuses a candidate at its maxConcurrent until a lease is released', async () => {
    const { router, limits } = routerWith();
    const c = candidate(1, { maxConcurrent: 2 });
    const first = await router.claim(c);
    const second = await router.claim(c);
    expect(first?.candidate).toBe(c);
    expect(second).toBeDefined();
    expect(await router.claim(c)).toBeUndefined();
    expect(limits.inFlight(c.key)).toBe(2);
    first?.lease.release();
    first?.lease.release(); // releasing twice frees one slot, not two
    expect(limits.inFlight(c.key)).toBe(1);
    expect(await router.claim(c)).toBeDefined();
    expect(await router.claim(c)).toBeUndefined();
  });

  it('refuses a candidate at its rpmLimit until the minute slides past the oldest request', async () => {
    const { router } = routerWith();
    const c = candidate(1, { rpmLimit: 2 });
    (await router.claim(c))?.lease.release();
    clock.advance(20_000);
    (await router.claim(c))?.lease.release();
    // Released leases still count: the limit is on requests started in the last minute.
    expect(await router.claim(c)).toBeUndefined();
    clock.advance(39_999);
    expect(await router.claim(c)).toBeUndefined();
    clock.advance(1);
    expect(await router.claim(c)).toBeDefined();
    expect(await router.claim(c)).toBeUndefined();
    clock.advance(20_000);
    expect(await router.claim(c)).toBeDefined();
  });

  it('keeps the caps of each candidate apart', async () => {
    const { router } = routerWith();
    const a = candidate(1, { maxConcurrent: 1 });
    const b = candidate(2, { maxConcurrent: 1 });
    expect(await router.claim(a)).toBeDefined();
    expect(await router.claim(a)).toBeUndefined();
    expect(await router.claim(b)).toBeDefined();
  });

  it('claims without limits when a candidate has no caps', async () => {
    const { router } = routerWith();
    const c = candidate(1);
    for (let i = 0; i < 500; i += 1) expect(await router.claim(c)).toBeDefined();
  });

  it('refuses a candidate whose circuit is open, without holding a lease', async () => {
    const { router, limits } = routerWith();
    const c = candidate(1);
    health.failure(c.key);
    health.failure(c.key);
    expect(await router.claim(c)).toBeUndefined();
    expect(limits.inFlight(c.key)).toBe(0);
  });

  it('gives a half-open candidate to one claim only (the probe)', async () => {
    const { router } = routerWith();
    const c = candidate(1);
    health.failure(c.key);
    health.failure(c.key);
    clock.advance(COOLDOWN);
    expect(await router.claim(c)).toBeDefined();
    expect(await router.claim(c)).toBeUndefined();
  });

  it('does not spend the RPM allowance on claims the circuit refused', async () => {
    const { router } = routerWith();
    const c = candidate(1, { rpmLimit: 2 });
    health.failure(c.key);
    health.failure(c.key);
    clock.advance(COOLDOWN);
    const probe = await router.claim(c);
    expect(probe).toBeDefined();
    for (let i = 0; i < 5; i += 1) expect(await router.claim(c)).toBeUndefined();
    health.success(c.key);
    probe?.lease.release();
    expect(await router.claim(c)).toBeDefined();
  });

  it('does not take the half-open probe when the candidate is at its cap', async () => {
    const { router } = routerWith();
    const c = candidate(1, { maxConcurrent: 1 });
    const running = await router.claim(c);
    health.failure(c.key);
    health.failure(c.key);
    clock.advance(COOLDOWN);
    expect(await router.claim(c)).toBeUndefined();
    running?.lease.release();
    expect(await router.claim(c)).toBeDefined();
  });
});

describe('health per (candidate, model)', () => {
  const mini = candidate(1);
  const big = candidate(1, { upstreamModel: 'gpt-4o' });

  async function attempt(c: Candidate) {
    const { router } = routerWith();
    const a = await router.claim(c);
    if (!a) throw new Error(`expected ${c.key} (${c.upstreamModel}) to be claimable`);
    a.lease.release();
    return a;
  }

  it('names a candidate circuit and a model circuit for each attempt', async () => {
    expect((await attempt(big)).circuits).toEqual({ candidate: 'channel:1', model: 'channel:1|gpt-4o' });
    const pkg = candidate(7, { key: 'package:7', healthKey: 'supply-account:3' });
    expect((await attempt(pkg)).circuits).toEqual({ candidate: 'supply-account:3', model: 'supply-account:3|gpt-4o-mini' });
  });

  it('opens only the model’s circuit on model failures: the candidate’s other models stay planned and claimable', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 2; i += 1) (await attempt(big)).report('model');
    expect(router.plan([big])).toEqual([]);
    expect(await router.claim(big)).toBeUndefined();
    expect(router.plan([mini])).toEqual([mini]);
    expect(await router.claim(mini)).toBeDefined();
    expect(health.isOpen('channel:1')).toBe(false);
  });

  it('opens the candidate’s circuit on candidate failures (a refused key): every model is skipped', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 2; i += 1) (await attempt(big)).report('candidate');
    expect(router.plan([big, mini])).toEqual([]);
    expect(await router.claim(mini)).toBeUndefined();
  });

  it('never opens a circuit for uncounted failures, however many', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 12; i += 1) (await attempt(big)).report('uncounted');
    expect(router.plan([big, mini])).toHaveLength(2);
    expect(health.view('channel:1|gpt-4o')).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('closes both circuits when a served attempt was the probe of each', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 2; i += 1) (await attempt(big)).report('model');
    for (let i = 0; i < 2; i += 1) (await attempt(mini)).report('candidate');
    clock.advance(COOLDOWN);
    const probe = await router.claim(big);
    expect(probe).toBeDefined();
    probe?.report('served');
    expect(health.view('channel:1').state).toBe('closed');
    expect(health.view('channel:1|gpt-4o').state).toBe('closed');
  });

  it('frees the candidate’s half-open probe when the model’s circuit refuses the claim', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 2; i += 1) (await attempt(big)).report('model');
    for (let i = 0; i < 2; i += 1) (await attempt(mini)).report('candidate');
    clock.advance(COOLDOWN - 1);
    health.failure('channel:1|gpt-4o'); // the model's circuit re-opens: still open when the candidate half-opens
    clock.advance(1);
    expect(await router.claim(big)).toBeUndefined();
    // The candidate's single probe is still there for another model.
    expect(await router.claim(mini)).toBeDefined();
  });

  it('frees the half-open probes an uncounted attempt held, so the next request can probe', async () => {
    const { router } = routerWith();
    for (let i = 0; i < 2; i += 1) (await attempt(big)).report('model');
    clock.advance(COOLDOWN);
    const probe = await router.claim(big);
    expect(await router.claim(big)).toBeUndefined();
    probe?.report('uncounted');
    expect(await router.claim(big)).toBeDefined();
  });
});

describe('router.candidates and router.models', () => {
  it('merges the candidates of every source for the model and operation', async () => {
    const channels = source({ 'gpt-4o': [candidate(1), candidate(2)] });
    const packages = source({ 'gpt-4o': [candidate(7, { key: 'package:7', kind: 'package' })], 'qwen-max': [candidate(8)] });
    const { router } = routerWith({ sources: [channels, packages] });
    expect(keys(await router.candidates('gpt-4o', 'chat'))).toEqual(['channel:1', 'channel:2', 'package:7']);
    expect(channels.asked).toEqual([['gpt-4o', 'chat']]);
    expect(packages.asked).toEqual([['gpt-4o', 'chat']]);
    expect(await router.candidates('nope', 'chat')).toEqual([]);
  });

  it('lists every model once, sorted', async () => {
    const { router } = routerWith({
      sources: [source({ 'gpt-4o': [], 'qwen-max': [], 'ernie-4.0-8k': [] }), source({ 'gpt-4o': [], 'claude-sonnet-4': [] })],
    });
    expect(await router.models()).toEqual(['claude-sonnet-4', 'ernie-4.0-8k', 'gpt-4o', 'qwen-max']);
  });

  it('lists no models without sources', async () => {
    const { router } = routerWith();
    expect(await router.models()).toEqual([]);
  });
});
