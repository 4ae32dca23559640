import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import type { VideoTask } from '../../api/studio.ts';
import { ok, renderPage, stubApi } from '../../test/render.tsx';
import Video from './Video.tsx';

// Video generation is asynchronous: the page submits once, then polls the task every 3 s showing its phase, stops
// polling when the task completes or fails, and plays the video (or says why it failed and that the credits came back).

const balance: Balance = { credit_balance: 500, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };
const VIDEO_URL = '/files/videos/v1.mp4?expires=1&signature=s';
const STATUS = '/api/v1/video/vt_1/status';
const SLOW = { timeout: 10_000 };

/** Answers the status polls with `states` in turn (the last one from then on). */
function videoApi(states: VideoTask[]) {
  let polls = 0;
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/credit/balance') return ok(balance);
    if (url.pathname === '/api/v1/models') return ok([]);
    if (url.pathname === '/api/v1/video/generate' && call.method === 'POST') return ok({ task_id: 'vt_1', status: 'processing' });
    if (url.pathname === STATUS) return ok(states[Math.min(polls++, states.length - 1)]);
    return undefined;
  });
}

const task = (over: Partial<VideoTask>): VideoTask => ({ task_id: 'vt_1', status: 'processing', credits_used: 0, ...over });

async function submit(script: string) {
  await screen.findByTestId('video-form', undefined, SLOW);
  fireEvent.change(document.getElementById('script') as HTMLElement, { target: { value: script } });
  fireEvent.change(document.getElementById('duration') as HTMLElement, { target: { value: '30' } });
  fireEvent.click(screen.getByTestId('generate'));
}

const activeStep = () => document.querySelector('[data-testid="video-progress"] .ant-steps-item-active .ant-steps-item-title')?.textContent;
const pollsOf = (calls: { path: string }[]) => calls.filter((c) => c.path === STATUS).length;
const advance = (ms: number) => act(() => vi.advanceTimersByTime(ms));
const threeSeconds = () => advance(3000);

beforeEach(() => {
  // Only intervals are faked: the poll moves when the test says so, however slow the machine, while rendering and
  // waiting use real time. (Testing Library's waitFor, not vi.waitFor: that one advances fake timers by itself.)
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the video page', () => {
  it('polls every 3 s through the phases until the task completes, then plays the video and stops polling', async () => {
    const calls = videoApi([
      task({ phase: 'queued' }),
      task({ phase: 'running' }),
      task({ phase: 'saving' }),
      task({ status: 'completed', video_url: VIDEO_URL, credits_used: 50 }),
    ]);
    renderPage(<Video />, { path: '/studio/video' });
    await submit('A sunrise over the sea');

    await screen.findByTestId('video-progress', undefined, SLOW);
    const post = calls.find((c) => c.path === '/api/v1/video/generate');
    expect(post?.body).toEqual({ script: 'A sunrise over the sea', duration: 30 });
    expect(post?.headers['idempotency-key']).toMatch(/^web-/);
    await waitFor(() => expect(activeStep()).toBe('Queued'), SLOW);
    expect(screen.getByTestId('video-waiting')).toBeTruthy();
    expect(pollsOf(calls)).toBe(1);

    await advance(2999);
    expect(pollsOf(calls)).toBe(1);
    await advance(1);
    await waitFor(() => expect(activeStep()).toBe('Generating'), SLOW);
    await threeSeconds();
    await waitFor(() => expect(activeStep()).toBe('Saving'), SLOW);
    await threeSeconds();

    const player = await screen.findByTestId('video-player', undefined, SLOW);
    expect(player.tagName).toBe('VIDEO');
    expect(player.getAttribute('src')).toBe(VIDEO_URL);
    expect(player.hasAttribute('controls')).toBe(true);
    expect(screen.getByTestId('video-credits').textContent).toBe('50 credits used');
    expect(pollsOf(calls)).toBe(4);

    await threeSeconds();
    await threeSeconds();
    expect(pollsOf(calls)).toBe(4);
  }, 30_000);

  it('follows a task from the address and says why it failed and that the credits came back', async () => {
    const calls = videoApi([task({ phase: 'running' }), task({ status: 'failed', error: 'content moderation refused the script' })]);
    renderPage(<Video />, { path: '/studio/video?task=vt_1' });
    await waitFor(() => expect(activeStep()).toBe('Generating'), SLOW);
    await threeSeconds();

    const failed = await screen.findByTestId('video-failed', undefined, SLOW);
    expect(failed.textContent).toContain('The video could not be generated');
    expect(failed.textContent).toContain('content moderation refused the script');
    expect(failed.textContent).toContain('The credits for this generation were refunded.');
    expect(screen.queryByTestId('video-player')).toBeNull();
    expect(calls.some((c) => c.path === '/api/v1/video/generate')).toBe(false);
    await threeSeconds();
    expect(pollsOf(calls)).toBe(2);
  }, 30_000);
});
