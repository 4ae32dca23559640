import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Publish, PublishJob } from '../../api/publishing.ts';
import type { Locale } from '../../i18n/i18n.tsx';
import { ok, renderPage, stubApi } from '../../test/render.tsx';
import { PublishStatusView } from './PublishStatus.tsx';

// A publish's share codes: Xiaohongshu's is its phone page (scanned, it opens the app with the note filled in) with the
// note bundle as the fallback; Douyin's stays the app's own share link.

const SHARE_PAGE = 'https://tollgate.test/share/xiaohongshu/41.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO_-';
const job = (over: Partial<PublishJob>): PublishJob => ({
  platform: 'xiaohongshu', name: '小红书', state: 'needs_user_action', platform_ids: {}, url: null, error: null, confirmed_by_user: false, attempts: 1,
  next_run_at: null, updated_at: '2026-11-26T12:00:00',
  action: { kind: 'share', message: 'Scan the code with your phone', share_url: SHARE_PAGE, download_url: '/files/publish/7/41-xiaohongshu-bundle.zip?sig=b', expires_at: null },
  ...over,
});
const publish = (jobs: PublishJob[]): Publish => ({
  publish_id: 7, creation_id: 1, creation_title: '春日', status: 'needs_user_action', schedule_time: null, created_at: '2026-11-26T12:00:00', platforms: jobs,
});

function show(jobs: PublishJob[], locale: Locale = 'en') {
  stubApi((url) => (url.pathname === '/api/v1/publish/7' ? ok(publish(jobs)) : undefined));
  renderPage(<PublishStatusView publishId={7} initial={publish(jobs)} />, { locale });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('share codes in a publish\'s status', () => {
  it.each([
    ['en', 'Scan with your phone: Xiaohongshu opens with the note filled in', 'Or download the note bundle'],
    ['zh-CN', '用手机扫码：小红书会打开，并已填好这篇笔记', '也可以下载笔记素材包'],
  ] as const)('shows Xiaohongshu\'s share page as a QR code, with the bundle as the fallback (%s)', (locale: Locale, scan, fallback) => {
    show([job({})], locale);
    const action = screen.getByTestId('job-action-xiaohongshu');
    expect(screen.getByTestId('share-qr-xiaohongshu').querySelector('svg')).toBeTruthy();
    expect(screen.getByTestId('share-link-xiaohongshu').getAttribute('href')).toBe(SHARE_PAGE);
    expect(action.textContent).toContain(scan);
    expect(action.textContent).toContain(fallback);
    expect(screen.getByTestId('download-xiaohongshu').getAttribute('href')).toBe('/files/publish/7/41-xiaohongshu-bundle.zip?sig=b');
    expect(screen.getByTestId('confirm-xiaohongshu')).toBeTruthy();
  });

  it('keeps Douyin\'s share code as the app\'s own link', () => {
    const douyin = job({
      platform: 'douyin', name: '抖音',
      action: { kind: 'share', message: 'Scan with Douyin', share_url: 'snssdk1128://openplatform/share?share_type=h5', download_url: '/files/publish/7/42-douyin-bundle.zip', expires_at: '2026-11-26T14:00:00' },
    });
    show([douyin]);
    const action = screen.getByTestId('job-action-douyin');
    expect(screen.getByTestId('share-qr-douyin').querySelector('svg')).toBeTruthy();
    expect(action.textContent).toContain('Scan with your phone to finish in the app');
    expect(action.textContent).not.toContain('Xiaohongshu opens');
    expect(action.textContent).not.toContain('Or download the note bundle');
  });
});
