import { SendOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Checkbox, DatePicker, Empty, Flex, Form, Modal, Radio, Select, Skeleton, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, idempotencyKey } from '../../api/client.ts';
import { beijingTime, listPlatforms, publishCreation, PUBLISH_ERROR, type PlatformAccount, type Publish, type PublishBody, type PublishPlatform } from '../../api/publishing.ts';
import { listCreations, type Creation } from '../../api/studio.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { HISTORY_KEY, PLATFORMS_KEY, PublishStatusView, usePlatformName } from './PublishStatus.tsx';

// Publishing one creation: to which of the creator's bound platforms (only those that take its kind), with which
// cover, now or at a set time; then how each platform is getting on, as it changes.

export const PUBLISHING_PATH = '/studio/publishing';
/** The server refuses a schedule further ahead than this. */
const MAX_SCHEDULE_DAYS = 90;
/** Covers to choose from: the server's largest page of image creations. */
const COVERS_PAGE = 100;

interface Values {
  platforms: PublishPlatform[];
  cover?: number;
  when: 'now' | 'later';
  at?: Dayjs;
}

type Publishable = Pick<Creation, 'id' | 'type' | 'title'>;

/** Open while `creation` is set; closing forgets the form and stops following the publish. */
export function PublishDialog({ creation, onClose }: { creation: Publishable | undefined; onClose(): void }) {
  const { t } = useI18n();
  return (
    <Modal
      open={creation !== undefined}
      title={t('creator.publish.dialogTitle', { title: creation?.title || t('creator.creations.untitled') })}
      onCancel={onClose}
      footer={null}
      destroyOnHidden
      width={640}
    >
      {creation && <PublishSteps creation={creation} onClose={onClose} />}
    </Modal>
  );
}

function PublishSteps({ creation, onClose }: { creation: Publishable; onClose(): void }) {
  const { t } = useI18n();
  const [published, setPublished] = useState<Publish>();
  if (!published) return <PublishForm creation={creation} onPublished={setPublished} onCancel={onClose} />;
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <PublishStatusView publishId={published.publish_id} initial={published} />
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Link to={PUBLISHING_PATH}>{t('creator.publish.toHistory')}</Link>
        <Button type="primary" onClick={onClose} data-testid="publish-close">{t('creator.creations.close')}</Button>
      </Flex>
    </Space>
  );
}

/**
 * One Idempotency-Key per submission: the same answers resent (a click after a lost answer) keep it, so the server
 * answers the publish it already made; changed answers are a new submission.
 */
function useSubmissionKey() {
  const last = useRef<{ body: string; key: string }>(undefined);
  return (body: PublishBody) => {
    const text = JSON.stringify(body);
    if (last.current?.body !== text) last.current = { body: text, key: idempotencyKey() };
    return last.current.key;
  };
}

const toBody = (creationId: number, v: Values): PublishBody => ({
  creation_id: creationId,
  platforms: v.platforms,
  ...(v.when === 'later' && v.at ? { schedule_time: beijingTime(v.at.startOf('minute').toDate()) } : {}),
  ...(v.cover !== undefined ? { cover_creation_id: v.cover } : {}),
});

function PublishForm({ creation, onPublished, onCancel }: { creation: Publishable; onPublished(p: Publish): void; onCancel(): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const when = Form.useWatch('when', form);
  const queryClient = useQueryClient();
  const keyFor = useSubmissionKey();
  const platforms = useQuery({ queryKey: PLATFORMS_KEY, queryFn: listPlatforms });
  const covers = useQuery({ queryKey: ['creator', 'creations', 'image', 'covers'], queryFn: () => listCreations('image', 1, COVERS_PAGE) });
  const submit = useMutation({
    mutationFn: (body: PublishBody) => publishCreation(body, keyFor(body)),
    onSuccess: (p) => {
      void queryClient.invalidateQueries({ queryKey: HISTORY_KEY });
      onPublished(p);
    },
  });
  if (platforms.isLoading) return <Skeleton active />;
  const fitting = (platforms.data ?? []).filter((p) => p.accepts.includes(creation.type));

  return (
    <Form form={form} layout="vertical" initialValues={{ when: 'now', platforms: [] }} onFinish={(v) => submit.mutate(toBody(creation.id, v))} data-testid="publish-form">
      {fitting.length === 0 ? (
        <Form.Item label={t('creator.publish.platforms')}>
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('creator.publish.noPlatform', { type: t(`creator.type.${creation.type}`) })} />
        </Form.Item>
      ) : (
        <Form.Item name="platforms" label={t('creator.publish.platforms')} rules={[{ required: true, type: 'array', min: 1, message: t('creator.publish.platformsRequired') }]}>
          <PlatformChoice platforms={fitting} />
        </Form.Item>
      )}
      <Form.Item name="cover" label={t('creator.publish.cover')} extra={t('creator.publish.coverHint')}>
        <Select
          allowClear
          loading={covers.isLoading}
          placeholder={t('creator.publish.coverDefault')}
          data-testid="publish-cover"
          options={(covers.data?.items ?? []).filter((c) => c.id !== creation.id).map((c) => ({ value: c.id, label: c.title || t('creator.creations.untitled') }))}
        />
      </Form.Item>
      <Form.Item name="when" label={t('creator.publish.when')}>
        <Radio.Group data-testid="publish-when" options={[{ value: 'now', label: t('creator.publish.now') }, { value: 'later', label: t('creator.publish.later') }]} />
      </Form.Item>
      {when === 'later' && (
        <Form.Item
          name="at"
          extra={t('creator.publish.atHint', { days: MAX_SCHEDULE_DAYS })}
          rules={[
            { required: true, message: t('creator.publish.atRequired') },
            { validator: async (_, v?: Dayjs) => { if (v && !v.isAfter(dayjs())) throw new Error(t('creator.publish.atPast')); } },
          ]}
        >
          <DatePicker
            showTime={{ format: 'HH:mm' }}
            format="YYYY-MM-DD HH:mm"
            style={{ width: '100%' }}
            data-testid="publish-at"
            disabledDate={(d) => d.isBefore(dayjs().startOf('day')) || d.isAfter(dayjs().add(MAX_SCHEDULE_DAYS, 'day'))}
          />
        </Form.Item>
      )}
      {submit.isError && <SubmitError error={submit.error} />}
      <Flex justify="flex-end" gap={8} style={{ marginTop: 16 }}>
        <Button onClick={onCancel}>{t('common.cancel')}</Button>
        <Button type="primary" htmlType="submit" icon={<SendOutlined />} loading={submit.isPending} disabled={fitting.length === 0} data-testid="publish-submit">
          {t('creator.publish.submit')}
        </Button>
      </Flex>
    </Form>
  );
}

/** The platforms that take this kind of creation; one without a bound account cannot be chosen until it is bound. */
function PlatformChoice({ platforms, value, onChange }: {
  platforms: PlatformAccount[];
  value?: PublishPlatform[];
  onChange?(v: PublishPlatform[]): void;
}) {
  const { t } = useI18n();
  const platformName = usePlatformName();
  return (
    <Checkbox.Group value={value} onChange={(v) => onChange?.(v as PublishPlatform[])} style={{ width: '100%' }}>
      <Space orientation="vertical" size={8} style={{ width: '100%' }}>
        {platforms.map((p) => (
          <Flex key={p.platform} gap={8} wrap align="baseline" data-testid={`publish-platform-${p.platform}`}>
            <Checkbox value={p.platform} disabled={!p.bound}>{platformName(p.platform)}</Checkbox>
            <Typography.Text type="secondary">{t(`creator.publish.capability.${p.capability}`)}</Typography.Text>
            {!p.bound && <Link to={PUBLISHING_PATH} data-testid={`bind-link-${p.platform}`}>{t('creator.publish.bind')}</Link>}
          </Flex>
        ))}
      </Space>
    </Checkbox.Group>
  );
}

/** A refused publish in the server's words; a platform without an account gets the way to bind one. */
function SubmitError({ error }: { error: Error }) {
  const { t } = useI18n();
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <Alert
      type="error"
      showIcon
      data-testid="publish-error"
      title={t(code === PUBLISH_ERROR.notBound ? 'creator.publish.notBoundTitle' : 'creator.publish.failedTitle')}
      description={
        <Space orientation="vertical" size={4}>
          <Typography.Text type="secondary">{error.message}</Typography.Text>
          {code === PUBLISH_ERROR.notBound && <Link to={PUBLISHING_PATH}>{t('creator.publish.bind')}</Link>}
        </Space>
      }
    />
  );
}
