import { PlusOutlined, VideoCameraOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Row, Space, Steps, Typography } from 'antd';
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { idempotencyKey } from '../../api/client.ts';
import { generateVideo, getVideoTask, VIDEO_DURATION, VIDEO_PHASES, type VideoBody, type VideoTask } from '../../api/studio.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { GenerationError, ModelField, StudioTitle, useAfterGeneration } from './shared.tsx';

// Video generation runs for minutes on the provider's side: the page submits once, keeps the task in the address
// (`?task=`, so a reload or a bookmark keeps following it), polls its status every 3 s and shows the phase, then plays
// the video from Tollgate's file store.

const VIDEO_POLL_MS = 3000;

export default function Video() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const taskId = params.get('task');
  const submit = useMutation({
    mutationFn: (body: VideoBody) => generateVideo(body, idempotencyKey()),
    onSuccess: (task) => setParams({ task: task.task_id }),
  });
  const onFinish = (v: { script: string; duration: number; model_id?: number }) =>
    submit.mutate({ script: v.script.trim(), duration: v.duration, ...(v.model_id !== undefined ? { model_id: v.model_id } : {}) });
  const startOver = () => {
    submit.reset();
    setParams({});
  };

  return (
    <>
      <StudioTitle extra={taskId ? <Button icon={<PlusOutlined />} onClick={startOver} data-testid="new-video">{t('creator.video.new')}</Button> : undefined}>
        {t('nav.studioVideo')}
      </StudioTitle>
      {taskId ? (
        <TaskView taskId={taskId} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={12}>
            <Card>
              <Form layout="vertical" initialValues={{ duration: 10 }} onFinish={onFinish} disabled={submit.isPending} data-testid="video-form">
                <Form.Item name="script" label={t('creator.video.script')} rules={[{ required: true, whitespace: true, message: t('creator.video.scriptRequired') }]}>
                  <Input.TextArea autoSize={{ minRows: 5, maxRows: 12 }} placeholder={t('creator.video.scriptPlaceholder')} />
                </Form.Item>
                <Form.Item
                  name="duration"
                  label={t('creator.video.duration')}
                  extra={t('creator.form.range', { min: VIDEO_DURATION.min, max: VIDEO_DURATION.max })}
                  rules={[{ required: true, type: 'number', min: VIDEO_DURATION.min, max: VIDEO_DURATION.max, message: t('creator.form.range', { min: VIDEO_DURATION.min, max: VIDEO_DURATION.max }) }]}
                >
                  <InputNumber min={VIDEO_DURATION.min} max={VIDEO_DURATION.max} precision={0} suffix={t('creator.video.seconds')} style={{ width: 160 }} />
                </Form.Item>
                <ModelField />
                <Button type="primary" htmlType="submit" icon={<VideoCameraOutlined />} loading={submit.isPending} data-testid="generate">
                  {t('creator.video.generate')}
                </Button>
              </Form>
              {submit.isError && <GenerationError error={submit.error} />}
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}

const finished = (task: VideoTask | undefined) => task !== undefined && task.status !== 'processing';

function TaskView({ taskId }: { taskId: string }) {
  const { t } = useI18n();
  const afterGeneration = useAfterGeneration();
  const task = useQuery({
    queryKey: ['creator', 'video', taskId],
    queryFn: () => getVideoTask(taskId),
    refetchInterval: (q) => (q.state.status === 'error' || finished(q.state.data) ? false : VIDEO_POLL_MS),
  });
  const status = task.data?.status;
  useEffect(() => {
    if (status === 'completed' || status === 'failed') afterGeneration();
    // Once per outcome: the callback is a new function on every render.
  }, [status]);

  if (task.isError) return <GenerationError error={task.error} />;
  const data = task.data;
  const phaseIndex = data?.phase ? VIDEO_PHASES.indexOf(data.phase) : 0;
  return (
    <Card data-testid="video-task">
      <Steps
        data-testid="video-progress"
        current={status === 'completed' ? VIDEO_PHASES.length : phaseIndex}
        status={status === 'failed' ? 'error' : status === 'completed' ? 'finish' : 'process'}
        items={[...VIDEO_PHASES.map((p) => ({ title: t(`creator.video.phase.${p}`) })), { title: t('creator.video.phase.done') }]}
        style={{ marginBottom: 24 }}
      />
      {(!data || status === 'processing') && <Typography.Text type="secondary" data-testid="video-waiting">{t('creator.video.waiting')}</Typography.Text>}
      {data && status === 'completed' && data.video_url && (
        <Space orientation="vertical" size={12} style={{ width: '100%' }}>
          <video controls src={data.video_url} data-testid="video-player" style={{ width: '100%', maxHeight: 540, background: '#000' }} />
          <Typography.Text data-testid="video-credits">{t('creator.media.creditsUsed', { credits: data.credits_used })}</Typography.Text>
          <Space wrap size={12}>
            <a href={data.video_url} download target="_blank" rel="noreferrer">{t('creator.media.download')}</a>
            <Link to="/studio/creations?type=video">{t('creator.tools.toCreations')}</Link>
          </Space>
        </Space>
      )}
      {data && status === 'failed' && (
        <Alert
          type="error"
          showIcon
          data-testid="video-failed"
          title={t('creator.video.failed')}
          description={
            <Space orientation="vertical" size={4}>
              {data.error && <Typography.Text type="secondary">{data.error}</Typography.Text>}
              {data.credits_used === 0 && <Typography.Text>{t('creator.error.refunded')}</Typography.Text>}
            </Space>
          }
        />
      )}
    </Card>
  );
}
