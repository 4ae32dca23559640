import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Image, QRCode, Result, Space, Spin, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { ApiError } from '../../api/client.ts';
import { getXiaohongshuShare, type XhsShareInfo, type XhsVerifyConfig, type XiaohongshuShare } from '../../api/publishing.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { AuthFrame } from '../auth/Login.tsx';

// The phone's page of a Xiaohongshu share (/share/xiaohongshu/<token>, the QR code in the publish dialog). Public,
// outside the console's frame: the token is the credential. It shows the note, loads Xiaohongshu's JS SDK and, on a
// tap, calls `xhs.share({ shareInfo, verifyConfig, fail })`, which opens the Xiaohongshu app's editor with the note
// filled in; the user posts it there. Nothing here learns whether they did: they say so in Tollgate. On a computer
// (no Xiaohongshu app) or without the SDK, it says to open the page on the phone, with a code to scan.

/** Xiaohongshu's JS SDK (its open platform's JS SDK page); it defines `window.xhs`. */
export const XHS_SDK_URL = 'https://fe-static.xhscdn.com/biz-static/goten/xhs-1.0.1.js';

/** The SDK's signature is fetched with at least 10 minutes left; fetched again well before that is spent. */
const REFRESH_MS = 5 * 60_000;
const SDK_WAIT_MS = 10_000;

export interface XhsSdk {
  share(o: { shareInfo: XhsShareInfo; verifyConfig: XhsVerifyConfig; fail?: (error: unknown) => void }): void;
}

declare global {
  interface Window {
    xhs?: XhsSdk;
  }
}

const sdkOf = () => (typeof window.xhs?.share === 'function' ? window.xhs : undefined);

let loading: Promise<XhsSdk | null> | undefined;

/** The SDK, its script added once; null when it does not arrive within `waitMs` (offline, blocked), to try again later. */
export function loadXhsSdk(waitMs = SDK_WAIT_MS): Promise<XhsSdk | null> {
  const ready = sdkOf();
  if (ready) return Promise.resolve(ready);
  loading ??= new Promise<XhsSdk | null>((resolve) => {
    const script = document.createElement('script');
    script.src = XHS_SDK_URL;
    script.async = true;
    // The page's address holds the share's token: it must not reach Xiaohongshu's CDN as a Referer.
    script.referrerPolicy = 'no-referrer';
    const done = () => {
      clearTimeout(timer);
      const sdk = sdkOf() ?? null;
      if (!sdk) {
        script.remove();
        loading = undefined;
      }
      resolve(sdk);
    };
    const timer = setTimeout(done, waitMs);
    script.onload = done;
    script.onerror = done;
    document.head.appendChild(script);
  });
  return loading;
}

/** A phone or tablet, where the Xiaohongshu app can be; a computer's browser has no app to open. */
const onPhone = () => /Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony|Mobile/i.test(navigator.userAgent);

/** The share, or `gone` when the server no longer opens it: that is the page's to explain, not a toast's. */
async function loadShare(token: string): Promise<XiaohongshuShare | { gone: true }> {
  try {
    return await getXiaohongshuShare(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { gone: true };
    throw err;
  }
}

export default function XiaohongshuSharePage({ sdkWaitMs = SDK_WAIT_MS }: { sdkWaitMs?: number }) {
  const { t } = useI18n();
  const { token = '' } = useParams();
  const share = useQuery({ queryKey: ['share', 'xiaohongshu', token], queryFn: () => loadShare(token), refetchInterval: REFRESH_MS, retry: false });
  const sdk = useQuery({ queryKey: ['share', 'xiaohongshu-sdk'], queryFn: () => loadXhsSdk(sdkWaitMs), staleTime: Infinity, retry: false });

  let body;
  if (share.isPending) body = <Spin style={{ display: 'block', margin: '48px auto' }} />;
  else if (!share.data) body = <Result status="error" title={t('creator.share.failed')} data-testid="xhs-share-failed" />;
  else if ('gone' in share.data) {
    body = <Result status="404" title={t('creator.share.gone')} subTitle={t('creator.share.goneHint')} data-testid="xhs-share-gone" />;
  } else {
    body = (
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <NotePreview info={share.data.share_info} />
        <ShareAction share={share.data} sdk={sdk.isPending ? undefined : (sdk.data ?? null)} />
      </Space>
    );
  }
  return <AuthFrame title={t('creator.share.title')}>{body}</AuthFrame>;
}

function NotePreview({ info }: { info: XhsShareInfo }) {
  const { t } = useI18n();
  const pictures = info.type === 'video' ? (info.cover ? [info.cover] : []) : info.images;
  return (
    <Space orientation="vertical" size={8} style={{ width: '100%' }} data-testid="xhs-share-note">
      <Space size={8} wrap>
        <Typography.Text strong>{info.title}</Typography.Text>
        <Tag>{info.type === 'video' ? t('creator.share.video') : t('creator.share.pictures', { count: info.images.length })}</Tag>
      </Space>
      {info.content && <Typography.Paragraph ellipsis={{ rows: 4, expandable: true }} style={{ whiteSpace: 'pre-line', margin: 0 }}>{info.content}</Typography.Paragraph>}
      {pictures.length > 0 && (
        <Image.PreviewGroup>
          <Space size={8} wrap>
            {pictures.map((src) => <Image key={src} src={src} width={72} height={72} style={{ objectFit: 'cover' }} alt="" />)}
          </Space>
        </Image.PreviewGroup>
      )}
    </Space>
  );
}

/** `sdk`: undefined while it loads, null when it did not. */
function ShareAction({ share, sdk }: { share: XiaohongshuShare; sdk: XhsSdk | null | undefined }) {
  const { t } = useI18n();
  const [opened, setOpened] = useState(false);
  const [failed, setFailed] = useState(false);
  const phone = onPhone();

  if (phone && sdk === undefined) return <Button block size="large" loading>{t('creator.share.loadingSdk')}</Button>;
  if (!phone || !sdk) {
    return (
      <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="xhs-share-phone-hint">
        <Alert type="info" showIcon title={t('creator.share.phoneHint')} description={sdk === null ? t('creator.share.sdkMissing') : undefined} />
        {!phone && (
          <Space size={16} align="center" wrap>
            <QRCode type="svg" value={window.location.href} size={148} />
            <Typography.Text type="secondary">{t('creator.share.scan')}</Typography.Text>
          </Space>
        )}
      </Space>
    );
  }
  const open = () => {
    setFailed(false);
    sdk.share({ shareInfo: share.share_info, verifyConfig: share.verify_config, fail: () => setFailed(true) });
    setOpened(true);
  };
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <Button type="primary" block size="large" onClick={open} data-testid="xhs-share-open">{t('creator.share.open')}</Button>
      {failed ? (
        <Alert type="warning" showIcon title={t('creator.share.openFailed')} data-testid="xhs-share-open-failed" />
      ) : (
        <Typography.Text type="secondary" data-testid="xhs-share-next">{t(opened ? 'creator.share.opened' : 'creator.share.notPosted')}</Typography.Text>
      )}
    </Space>
  );
}
