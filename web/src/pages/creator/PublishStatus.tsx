import { CheckOutlined, DownloadOutlined, LinkOutlined, RedoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, QRCode, Space, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import {
  confirmPublished,
  failureReason,
  getPublish,
  isLive,
  retryPublish,
  type JobState,
  type Publish,
  type PublishJob,
  type PublishPlatform,
  type PublishStatus,
} from '../../api/publishing.ts';
import { useFormat } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';

// One publish as it goes: a word for the whole, and per platform its state, the post's link, what failed (with a
// retry), or what the user has to do by hand (scan a share code, download a bundle) and a way to say it is done.
// It polls while the server is still moving a platform by itself.

const POLL_MS = 2000;

/** The history page's queries: a publish's status changes them. */
export const HISTORY_KEY = ['creator', 'publish-history'];
/** The creator's platforms and bindings, shared by the dialog and the accounts page. */
export const PLATFORMS_KEY = ['creator', 'publish-platforms'];
const publishKey = (id: number) => ['creator', 'publish', id];

const STATUS_COLORS: Record<PublishStatus, string> = {
  scheduled: 'default', pending: 'default', publishing: 'processing', published: 'success', needs_user_action: 'warning', partial: 'warning', failed: 'error',
};
const STATE_COLORS: Record<JobState, string> = {
  queued: 'default', uploading_assets: 'processing', draft_created: 'processing', submitted: 'processing', published: 'success', failed: 'error', needs_user_action: 'warning',
};

/** Platform names in the console's language (the server names them in Chinese only). */
export function usePlatformName() {
  const { t } = useI18n();
  return (platform: PublishPlatform) => t(`creator.publish.platform.${platform}`);
}

export function PublishStatusTag({ status }: { status: PublishStatus }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLORS[status]} data-testid="publish-status">{t(`creator.publish.status.${status}`)}</Tag>;
}

/** A platform's state; `named` puts the platform's name in front (a table cell with several platforms). */
export function JobStateTag({ job, named }: { job: PublishJob; named?: boolean }) {
  const { t } = useI18n();
  const platformName = usePlatformName();
  const state = t(`creator.publish.state.${job.state}`);
  return (
    <Tag color={STATE_COLORS[job.state]} data-testid={`job-state-${job.platform}`}>
      {named ? `${platformName(job.platform)} · ${state}` : state}
    </Tag>
  );
}

/** Follows a publish until nothing changes by itself any more; `initial` (just submitted, or a history row) shows at once. */
export function PublishStatusView({ publishId, initial }: { publishId: number; initial?: Publish }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const publish = useQuery({
    queryKey: publishKey(publishId),
    queryFn: () => getPublish(publishId),
    initialData: initial,
    // What was just answered needs no second read at once: the next one is the poll's.
    staleTime: POLL_MS,
    refetchInterval: (q) => (q.state.status !== 'error' && q.state.data?.platforms.some(isLive) ? POLL_MS : false),
  });
  const data = publish.data;
  if (!data) return <Card loading />;
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="publish-view">
      <Space size={8} wrap>
        <PublishStatusTag status={data.status} />
        <Typography.Text strong>{data.creation_title || t('creator.creations.untitled')}</Typography.Text>
        {data.schedule_time && <Typography.Text type="secondary">{t('creator.publish.scheduledAt', { at: dateTimeToMinute(data.schedule_time) })}</Typography.Text>}
      </Space>
      {data.platforms.map((job) => <JobView key={job.platform} publishId={data.publish_id} job={job} />)}
    </Space>
  );
}

function useUpdatePublish(publishId: number) {
  const queryClient = useQueryClient();
  return (next: Publish) => {
    queryClient.setQueryData(publishKey(publishId), next);
    void queryClient.invalidateQueries({ queryKey: HISTORY_KEY });
  };
}

function JobView({ publishId, job }: { publishId: number; job: PublishJob }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const platformName = usePlatformName();
  const update = useUpdatePublish(publishId);
  const retry = useMutation({ mutationFn: () => retryPublish(publishId, job.platform), onSuccess: update });
  const retryButton = (label: string) => (
    <Button size="small" icon={<RedoOutlined />} loading={retry.isPending} onClick={() => retry.mutate()} data-testid={`retry-${job.platform}`}>{label}</Button>
  );
  return (
    <Card size="small" data-testid={`job-${job.platform}`}>
      <Space orientation="vertical" size={8} style={{ width: '100%' }}>
        <Space size={8} wrap>
          <Typography.Text strong>{platformName(job.platform)}</Typography.Text>
          <JobStateTag job={job} />
          {job.confirmed_by_user && <Tag icon={<CheckOutlined />} data-testid={`confirmed-${job.platform}`}>{t('creator.publish.confirmed')}</Tag>}
        </Space>
        {job.state === 'published' && job.url && (
          <Typography.Link href={job.url} target="_blank" rel="noreferrer" data-testid={`post-link-${job.platform}`}>
            <LinkOutlined /> {t('creator.publish.openPost')}
          </Typography.Link>
        )}
        {job.state === 'failed' && <FailureView job={job} action={retryButton(t('creator.publish.retry'))} />}
        {job.state === 'needs_user_action' && job.action && (
          <UserActionView publishId={publishId} job={job} retry={job.action.kind === 'check_backend' ? retryButton(t('creator.publish.notThere')) : undefined} />
        )}
      </Space>
    </Card>
  );
}

/**
 * Why a platform failed, in the console's language, from the platform's code; the platform's own text (Tollgate's
 * English rendering of what the platform said) and its code under it, for a support request or a search.
 */
function FailureView({ job, action }: { job: PublishJob; action: ReactNode }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const platformName = usePlatformName();
  const error = job.error;
  const reason = error ? failureReason(job.platform, error.code) : undefined;
  const title = reason
    ? t(`creator.publish.failure.${reason}`, { platform: platformName(job.platform) })
    : error ? t('creator.publish.failure.unknown', { platform: platformName(job.platform) }) : t('creator.publish.failed');
  return (
    <Alert
      type="error"
      showIcon
      data-testid={`job-error-${job.platform}`}
      title={title}
      description={
        <Space orientation="vertical" size={2}>
          {error && (
            <Typography.Text type="secondary" data-testid={`job-error-detail-${job.platform}`}>
              {error.message ? t('creator.publish.platformSaid', { code: error.code, message: error.message }) : t('creator.publish.platformCode', { code: error.code })}
            </Typography.Text>
          )}
          {isLive(job) && job.next_run_at && <Typography.Text>{t('creator.publish.autoRetry', { at: dateTimeToMinute(job.next_run_at) })}</Typography.Text>}
        </Space>
      }
      action={action}
    />
  );
}

function UserActionView({ publishId, job, retry }: { publishId: number; job: PublishJob; retry?: ReactNode }) {
  const { t, locale } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const action = job.action as NonNullable<PublishJob['action']>;
  // Xiaohongshu's share is a page for the phone that opens the app with the note filled in; its bundle is the fallback.
  const xiaohongshuPage = job.platform === 'xiaohongshu' && action.share_url !== null;
  // What to do, in the console's language; the platform's own detail (in English) only for English readers.
  return (
    <Space orientation="vertical" size={8} style={{ width: '100%' }} data-testid={`job-action-${job.platform}`}>
      <Alert type="warning" showIcon title={t(`creator.publish.todo.${action.kind}`)} description={locale === 'en' ? action.message : undefined} />
      {action.share_url && (
        <Space size={16} wrap align="center">
          <div data-testid={`share-qr-${job.platform}`}>
            <QRCode type="svg" value={action.share_url} size={148} />
          </div>
          <Space orientation="vertical" size={4}>
            <Typography.Text>{t(xiaohongshuPage ? 'creator.publish.xiaohongshu.scan' : 'creator.publish.scan')}</Typography.Text>
            <Typography.Link href={action.share_url} target="_blank" rel="noreferrer" data-testid={`share-link-${job.platform}`}>{t('creator.publish.shareLink')}</Typography.Link>
          </Space>
        </Space>
      )}
      {action.download_url && xiaohongshuPage && <Typography.Text type="secondary">{t('creator.publish.xiaohongshu.fallback')}</Typography.Text>}
      {action.download_url && (
        <Button icon={<DownloadOutlined />} href={action.download_url} download target="_blank" rel="noreferrer" data-testid={`download-${job.platform}`}>
          {t('creator.publish.download')}
        </Button>
      )}
      {action.expires_at && <Typography.Text type="secondary">{t('creator.publish.expires', { at: dateTimeToMinute(action.expires_at) })}</Typography.Text>}
      <ConfirmForm publishId={publishId} platform={job.platform} extra={retry} />
    </Space>
  );
}

/** "I have posted it", with the post's link when the user has it. */
function ConfirmForm({ publishId, platform, extra }: { publishId: number; platform: PublishPlatform; extra?: ReactNode }) {
  const { t } = useI18n();
  const update = useUpdatePublish(publishId);
  const confirm = useMutation({ mutationFn: (url?: string) => confirmPublished(publishId, platform, url), onSuccess: update });
  return (
    <Form layout="inline" onFinish={(v: { url?: string }) => confirm.mutate(v.url?.trim() || undefined)} data-testid={`confirm-form-${platform}`} style={{ rowGap: 8 }}>
      <Form.Item name="url" rules={[{ type: 'url', message: t('creator.publish.confirmUrlInvalid') }]} style={{ flex: '1 1 220px' }}>
        <Input placeholder={t('creator.publish.confirmUrl')} maxLength={2000} data-testid={`confirm-url-${platform}`} />
      </Form.Item>
      <Space size={8} wrap>
        <Button type="primary" htmlType="submit" icon={<CheckOutlined />} loading={confirm.isPending} data-testid={`confirm-${platform}`}>{t('creator.publish.confirm')}</Button>
        {extra}
      </Space>
    </Form>
  );
}
