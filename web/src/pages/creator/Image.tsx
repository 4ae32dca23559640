import { DownloadOutlined, PictureOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Button, Card, Col, Form, Image as AntImage, Input, Radio, Row, Space, Spin, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { idempotencyKey } from '../../api/client.ts';
import { generateImage, IMAGE_SIZES, type ImageBody } from '../../api/studio.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { creationPath, GenerationError, ModelField, StudioTitle, useAfterGeneration } from './shared.tsx';

// Image generation: a prompt and a size; the picture comes back as a link into Tollgate's own file store (signed,
// expiring), never the provider's temporary one.

/** The spec's sizes: square, portrait (9:16), landscape (16:9). */
const SIZE_LABELS: Record<(typeof IMAGE_SIZES)[number], string> = { '1024x1024': 'creator.image.square', '720x1280': 'creator.image.portrait', '1280x720': 'creator.image.landscape' };

export default function ImagePage() {
  const { t } = useI18n();
  const afterGeneration = useAfterGeneration();
  const generate = useMutation({
    mutationFn: (body: ImageBody) => generateImage(body, idempotencyKey()),
    onSettled: afterGeneration,
  });

  const submit = (v: { prompt: string; size: ImageBody['size']; model_id?: number }) =>
    generate.mutate({ prompt: v.prompt.trim(), size: v.size, ...(v.model_id !== undefined ? { model_id: v.model_id } : {}) });

  return (
    <>
      <StudioTitle>{t('nav.studioImage')}</StudioTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card>
            <Form layout="vertical" initialValues={{ size: '1024x1024' }} onFinish={submit} disabled={generate.isPending} data-testid="image-form">
              <Form.Item name="prompt" label={t('creator.image.prompt')} rules={[{ required: true, whitespace: true, message: t('creator.image.promptRequired') }]}>
                <Input.TextArea autoSize={{ minRows: 4, maxRows: 10 }} placeholder={t('creator.image.promptPlaceholder')} />
              </Form.Item>
              <Form.Item name="size" label={t('creator.image.size')}>
                <Radio.Group optionType="button" options={IMAGE_SIZES.map((s) => ({ value: s, label: `${t(SIZE_LABELS[s])} ${s}` }))} />
              </Form.Item>
              <ModelField />
              <Button type="primary" htmlType="submit" icon={<PictureOutlined />} loading={generate.isPending} data-testid="generate">
                {t('creator.image.generate')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card title={t('creator.tools.output')}>
            {generate.isIdle && <Typography.Text type="secondary">{t('creator.image.hint')}</Typography.Text>}
            {generate.isPending && <Spin description={t('creator.image.working')}><div style={{ minHeight: 160 }} /></Spin>}
            {generate.isError && <GenerationError error={generate.error} />}
            {generate.data && (
              <Space orientation="vertical" size={12} style={{ width: '100%' }}>
                <AntImage src={generate.data.image_url} alt={generate.variables?.prompt} data-testid="image-result" style={{ maxWidth: '100%' }} />
                <Typography.Text data-testid="image-credits">{t('creator.media.creditsUsed', { credits: generate.data.credits_used })}</Typography.Text>
                <Space wrap>
                  <a href={generate.data.image_url} target="_blank" rel="noreferrer" download>
                    <Button icon={<DownloadOutlined />}>{t('creator.media.download')}</Button>
                  </a>
                  <Link to={creationPath(generate.data.creation_id)} data-testid="creation-link">{t('creator.tools.viewCreation')}</Link>
                </Space>
              </Space>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
