import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { XiaohongshuShare } from '../../api/publishing.ts';
import type { Locale } from '../../i18n/i18n.tsx';
import { creator } from '../../i18n/messages/creator.ts';
import { json, ok, renderPage, stubApi } from '../../test/render.tsx';
import XiaohongshuSharePage, { XHS_SDK_URL } from './XiaohongshuShare.tsx';

// The phone's page of a Xiaohongshu share: it fetches the share by the token in its address (no session), shows the
// note, and a tap calls Xiaohongshu's JS SDK with exactly the fetched shareInfo and verifyConfig. Without the SDK, or
// on a computer, it says to open the page on the phone; a token the server no longer opens says the link is gone.

const TOKEN = '41.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO_-';
const API = `/api/v1/publish/share/xiaohongshu/${TOKEN}`;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const SHARE: XiaohongshuShare = {
  share_info: {
    type: 'normal', title: '春日', content: '樱花 & 柳',
    images: ['https://tollgate.test/files/publish/7/41-xiaohongshu-image-01.png?expires=1&signature=a', 'https://tollgate.test/files/publish/7/41-xiaohongshu-image-02.jpg?expires=1&signature=b'],
  },
  verify_config: { appKey: 'red.TestAppKey01', nonce: 'n0nce', timestamp: '1772330400000', signature: 'f'.repeat(64) },
};

function show(o: { locale?: Locale; sdkWaitMs?: number; answer?: Response } = {}) {
  const calls = stubApi((url) => (url.pathname === API ? (o.answer ?? ok(SHARE)) : undefined));
  renderPage(
    <Routes>
      <Route path="/share/xiaohongshu/:token" element={<XiaohongshuSharePage sdkWaitMs={o.sdkWaitMs ?? 50} />} />
    </Routes>,
    { locale: o.locale ?? 'en', path: `/share/xiaohongshu/${TOKEN}` },
  );
  return calls;
}

const onPhone = () => vi.spyOn(window.navigator, 'userAgent', 'get').mockReturnValue(IPHONE);

afterEach(() => {
  delete window.xhs;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the Xiaohongshu share page', () => {
  it('calls xhs.share with the fetched shareInfo and verifyConfig when tapped on a phone', async () => {
    onPhone();
    const share = vi.fn();
    window.xhs = { share };
    const calls = show();
    expect((await screen.findByTestId('xhs-share-note')).textContent).toContain('春日');
    expect(screen.getByTestId('xhs-share-note').textContent).toContain('2 pictures');
    expect(share).not.toHaveBeenCalled();
    fireEvent.click(await screen.findByTestId('xhs-share-open'));
    expect(share).toHaveBeenCalledTimes(1);
    expect(share).toHaveBeenCalledWith({ shareInfo: SHARE.share_info, verifyConfig: SHARE.verify_config, fail: expect.any(Function) });
    expect(screen.getByTestId('xhs-share-next').textContent).toContain('mark it as posted in Tollgate');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${API}`]);
    expect(calls[0]?.headers).not.toHaveProperty('authorization');

    // Xiaohongshu could not open the app: said, and the button stays for another try.
    (share.mock.calls[0]?.[0] as { fail: (e: unknown) => void }).fail({ message: 'no app' });
    expect((await screen.findByTestId('xhs-share-open-failed')).textContent).toContain('make sure the Xiaohongshu app is installed');
    expect(screen.getByTestId('xhs-share-open')).toBeTruthy();
  });

  it('loads the SDK from Xiaohongshu without the token as a Referer, and says to open the page on the phone when it does not come', async () => {
    onPhone();
    const append = vi.spyOn(document.head, 'appendChild');
    show();
    const hint = await screen.findByTestId('xhs-share-phone-hint');
    expect(hint.textContent).toContain('Open this page on your phone, where the Xiaohongshu app is installed');
    expect(hint.textContent).toContain("Xiaohongshu's share script could not be loaded");
    const script = append.mock.calls.map(([node]) => node).find((n): n is HTMLScriptElement => n instanceof HTMLScriptElement);
    expect(script?.src).toBe(XHS_SDK_URL);
    expect(script?.referrerPolicy).toBe('no-referrer');
    expect(screen.queryByTestId('xhs-share-open')).toBeNull();
  });

  it('says to open the page on the phone, with a code to scan, on a computer', async () => {
    const share = vi.fn();
    window.xhs = { share };
    show();
    const hint = await screen.findByTestId('xhs-share-phone-hint');
    expect(hint.textContent).toContain('Open this page on your phone');
    expect(hint.textContent).not.toContain('could not be loaded');
    expect(hint.querySelector('svg')).toBeTruthy();
    expect(screen.queryByTestId('xhs-share-open')).toBeNull();
    expect(share).not.toHaveBeenCalled();
  });

  it('says the link no longer works when the server answers 404', async () => {
    onPhone();
    window.xhs = { share: vi.fn() };
    show({ answer: json({ code: 404, message: 'Share not found', data: null }, 404) });
    expect((await screen.findByTestId('xhs-share-gone')).textContent).toContain('This share link no longer works');
    expect(screen.queryByTestId('xhs-share-note')).toBeNull();
  });

  it('speaks Chinese', async () => {
    onPhone();
    window.xhs = { share: vi.fn() };
    show({ locale: 'zh-CN' });
    expect((await screen.findByTestId('xhs-share-open')).textContent).toBe('在小红书中打开');
    expect(screen.getByText('发布到小红书')).toBeTruthy();
    expect(screen.getByTestId('xhs-share-note').textContent).toContain('2 张图片');
    await waitFor(() => expect(screen.getByTestId('xhs-share-next').textContent).toContain('Tollgate 不会替你发布'));
  });

  it('has every text it names in both languages', () => {
    const sources = import.meta.glob(['./*.tsx', '!./*.test.tsx'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const used = new Set<string>();
    for (const text of Object.values(sources)) for (const m of text.matchAll(/'(creator\.[\w.]+)'/g)) used.add(m[1] as string);
    expect(used.size).toBeGreaterThan(10);
    for (const lang of ['zh-CN', 'en'] as const) expect([...used].filter((k) => !(k in creator[lang]))).toEqual([]);
  });
});
