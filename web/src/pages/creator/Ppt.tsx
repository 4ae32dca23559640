import { DownloadOutlined, FilePptOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Button, Card, Col, Form, Input, InputNumber, Result, Row, Spin, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { idempotencyKey } from '../../api/client.ts';
import { generatePpt, SLIDE_COUNT, type PptBody } from '../../api/studio.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { GenerationError, ModelField, StudioTitle, useAfterGeneration } from './shared.tsx';

// A presentation from a topic (and, optionally, the outline and the number of slides the creator wants): the model
// writes it, the server renders a .pptx into the file store, the page offers the download.

interface PptValues {
  topic: string;
  /** One section a line. */
  outline?: string;
  slide_count?: number | null;
  model_id?: number;
}

function pptBody(v: PptValues): PptBody {
  const outline = (v.outline ?? '').split('\n').map((s) => s.trim()).filter((s) => s !== '');
  return {
    topic: v.topic.trim(),
    ...(outline.length > 0 ? { outline } : {}),
    ...(typeof v.slide_count === 'number' ? { slide_count: v.slide_count } : {}),
    ...(v.model_id !== undefined ? { model_id: v.model_id } : {}),
  };
}

export default function Ppt() {
  const { t } = useI18n();
  const afterGeneration = useAfterGeneration();
  const generate = useMutation({
    mutationFn: (body: PptBody) => generatePpt(body, idempotencyKey()),
    onSettled: afterGeneration,
  });
  const range = t('creator.form.range', { min: SLIDE_COUNT.min, max: SLIDE_COUNT.max });

  return (
    <>
      <StudioTitle>{t('nav.studioPpt')}</StudioTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card>
            <Form layout="vertical" onFinish={(v: PptValues) => generate.mutate(pptBody(v))} disabled={generate.isPending} data-testid="ppt-form">
              <Form.Item name="topic" label={t('creator.ppt.topic')} rules={[{ required: true, whitespace: true, message: t('creator.ppt.topicRequired') }]}>
                <Input placeholder={t('creator.ppt.topicPlaceholder')} />
              </Form.Item>
              <Form.Item name="outline" label={t('creator.ppt.outline')} extra={t('creator.ppt.outlineHint')}>
                <Input.TextArea autoSize={{ minRows: 3, maxRows: 10 }} placeholder={t('creator.ppt.outlinePlaceholder')} />
              </Form.Item>
              <Form.Item name="slide_count" label={t('creator.ppt.slides')} extra={range} rules={[{ type: 'number', min: SLIDE_COUNT.min, max: SLIDE_COUNT.max, message: range }]}>
                <InputNumber min={SLIDE_COUNT.min} max={SLIDE_COUNT.max} precision={0} placeholder={t('creator.ppt.slidesAuto')} style={{ width: 160 }} />
              </Form.Item>
              <ModelField />
              <Button type="primary" htmlType="submit" icon={<FilePptOutlined />} loading={generate.isPending} data-testid="generate">
                {t('creator.ppt.generate')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('creator.tools.output')}>
            {generate.isIdle && <Typography.Text type="secondary">{t('creator.ppt.hint')}</Typography.Text>}
            {generate.isPending && <Spin description={t('creator.ppt.working')}><div style={{ minHeight: 160 }} /></Spin>}
            {generate.isError && <GenerationError error={generate.error} />}
            {generate.data && (
              <Result
                status="success"
                icon={<FilePptOutlined />}
                title={t('creator.ppt.ready', { slides: generate.data.slides })}
                subTitle={<span data-testid="ppt-credits">{t('creator.media.creditsUsed', { credits: generate.data.credits_used })}</span>}
                extra={[
                  <a key="download" href={generate.data.download_url} download data-testid="ppt-download">
                    <Button type="primary" icon={<DownloadOutlined />}>{t('creator.ppt.download')}</Button>
                  </a>,
                  <Link key="creations" to="/studio/creations?type=ppt">{t('creator.tools.toCreations')}</Link>,
                ]}
              />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
