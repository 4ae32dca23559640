import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { createHealth, type Health } from './health.ts';

const KEY = 'channel:1';
const COOLDOWN = 30_000;

let clock: ReturnType<typeof fakeClock>;
let health: Health;

beforeEach(() => {
  clock = fakeClock();
  health = createHealth({ clock, failureThreshold: 3, cooldownMs: COOLDOWN });
});

const fail = (times: number, key = KEY) => {
  for (let i = 0; i < times; i += 1) health.failure(key);
};

/** Opens the circuit, lets the cool-down pass and takes the half-open probe. */
function probing() {
  fail(3);
  clock.advance(COOLDOWN);
  expect(health.tryPass(KEY)).toBe(true);
}

describe('circuit breaker: closed', () => {
  it('lets every request through for a key it has never heard of', () => {
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.view(KEY)).toEqual({ key: KEY, state: 'closed', consecutiveFailures: 0, errorRate: 0 });
  });

  it('stays closed below failureThreshold consecutive failures', () => {
    fail(2);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.view(KEY)).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('opens after failureThreshold consecutive failures', () => {
    fail(3);
    expect(health.isOpen(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
    expect(health.view(KEY)).toMatchObject({ state: 'open', consecutiveFailures: 3 });
  });

  it('starts counting again after a success', () => {
    fail(2);
    health.success(KEY);
    fail(2);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.view(KEY).consecutiveFailures).toBe(2);
    health.failure(KEY);
    expect(health.isOpen(KEY)).toBe(true);
  });

  it('keeps one circuit per key', () => {
    fail(3, 'channel:1');
    expect(health.isOpen('channel:1')).toBe(true);
    expect(health.isOpen('channel:2')).toBe(false);
    expect(health.tryPass('channel:2')).toBe(true);
  });
});

describe('circuit breaker: open', () => {
  it('skips the key until cooldownMs has passed', () => {
    fail(3);
    clock.advance(COOLDOWN - 1);
    expect(health.isOpen(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
    expect(health.view(KEY).state).toBe('open');
  });

  it('is no longer open once the cool-down has passed, and view reports it half-open', () => {
    fail(3);
    clock.advance(COOLDOWN);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.view(KEY).state).toBe('half_open');
  });
});

describe('circuit breaker: half-open', () => {
  it('lets exactly one probe through at a time', () => {
    probing();
    expect(health.tryPass(KEY)).toBe(false);
    expect(health.tryPass(KEY)).toBe(false);
    expect(health.view(KEY).state).toBe('half_open');
  });

  it('closes when the probe succeeds', () => {
    probing();
    health.success(KEY);
    expect(health.view(KEY)).toMatchObject({ state: 'closed', consecutiveFailures: 0, errorRate: 0 });
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(true);
  });

  it('re-opens for a new cool-down when the probe fails', () => {
    probing();
    clock.advance(5_000);
    health.failure(KEY);
    expect(health.isOpen(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
    clock.advance(COOLDOWN - 1);
    expect(health.tryPass(KEY)).toBe(false);
    clock.advance(1);
    expect(health.tryPass(KEY)).toBe(true);
  });

  it('lets another request probe when the probe is abandoned', () => {
    probing();
    expect(health.tryPass(KEY)).toBe(false);
    health.abandon(KEY);
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
  });

  it('ignores abandon for a key it has never seen', () => {
    health.abandon('channel:9');
    expect(health.view('channel:9').state).toBe('closed');
  });
});

describe('circuit breaker: error rate', () => {
  it('opens when half of the last 20 outcomes failed, with never two failures in a row', () => {
    for (let i = 0; i < 9; i += 1) {
      health.success(KEY);
      health.failure(KEY);
    }
    health.success(KEY);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.view(KEY)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    health.failure(KEY);
    expect(health.view(KEY)).toMatchObject({ state: 'open', consecutiveFailures: 1, errorRate: 0.5 });
    expect(health.tryPass(KEY)).toBe(false);
  });

  it('re-opens on the probe\'s one failure, below failureThreshold', () => {
    for (let i = 0; i < 10; i += 1) {
      health.success(KEY);
      health.failure(KEY);
    }
    clock.advance(COOLDOWN);
    expect(health.tryPass(KEY)).toBe(true);
    health.failure(KEY);
    expect(health.view(KEY)).toMatchObject({ state: 'open', consecutiveFailures: 2 });
  });

  it('does not judge the rate before 20 outcomes are in', () => {
    for (let i = 0; i < 5; i += 1) {
      health.failure(KEY);
      health.success(KEY);
    }
    expect(health.view(KEY)).toMatchObject({ state: 'closed', errorRate: 0.5 });
  });

  it('stays closed below half', () => {
    // 20 outcomes, 9 failures: below the rate (and never two in a row).
    for (let i = 0; i < 9; i += 1) {
      health.success(KEY);
      health.failure(KEY);
    }
    health.success(KEY);
    health.success(KEY);
    expect(health.view(KEY)).toMatchObject({ state: 'closed', errorRate: 9 / 20 });
  });

  it('counts only the last 20 outcomes', () => {
    fail(2);
    for (let i = 0; i < 30; i += 1) health.success(KEY);
    expect(health.view(KEY).errorRate).toBe(0);
  });

  it('forgets the failures of an earlier outage once a probe closes the circuit', () => {
    probing();
    health.success(KEY);
    expect(health.view(KEY).errorRate).toBe(0);
    health.failure(KEY);
    expect(health.view(KEY)).toMatchObject({ state: 'closed', errorRate: 0.5 });
  });
});

describe('circuits opened on other nodes', () => {
  it('tells onOpen when a circuit opens here, with the end of the cool-down', () => {
    const opened: [string, number][] = [];
    const h = createHealth({ clock, failureThreshold: 2, cooldownMs: COOLDOWN, onOpen: (key, until) => opened.push([key, until]) });
    h.failure(KEY);
    expect(opened).toEqual([]);
    h.failure(KEY);
    expect(opened).toEqual([[KEY, clock.now().getTime() + COOLDOWN]]);
  });

  it('skips a candidate another node opened until that node’s cool-down ends, then probes', () => {
    health.openedElsewhere(KEY, clock.now().getTime() + 10_000);
    expect(health.isOpen(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
    clock.advance(10_000);
    expect(health.isOpen(KEY)).toBe(false);
    expect(health.tryPass(KEY)).toBe(true);
    expect(health.tryPass(KEY)).toBe(false);
  });

  it('does not shorten a longer open period it already has', () => {
    for (let i = 0; i < 3; i += 1) health.failure(KEY);
    health.openedElsewhere(KEY, clock.now().getTime() + 1_000);
    clock.advance(1_000);
    expect(health.isOpen(KEY)).toBe(true);
  });
});
