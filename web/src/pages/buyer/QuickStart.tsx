import { ReadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Row, Space, Tabs, Typography } from 'antd';
import { listCallableModels } from '../../api/buyer.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Checklist } from './QuickStart/Checklist.tsx';
import { ModelsCard } from './QuickStart/ModelsCard.tsx';
import { exampleModel, KEY_PLACEHOLDER, MODEL_PLACEHOLDER, snippets } from './QuickStart/snippets.ts';
import { CopyButton, PageTitle } from './shared.tsx';

// How to call the gateway: where the user stands (key, first request, credits), the models they can call, the base
// URL, and chat-completion snippets (curl, Python, Node) written with a model they can call.

function Snippet({ code, lang }: { code: string; lang: string }) {
  return (
    <div style={{ position: 'relative' }}>
      <pre
        data-testid={`snippet-${lang}`}
        style={{ margin: 0, padding: 16, paddingTop: 44, borderRadius: 8, background: '#0f172a', color: '#e2e8f0', overflowX: 'auto', fontSize: 13, lineHeight: 1.6 }}
      >
        <code>{code}</code>
      </pre>
      <div style={{ position: 'absolute', top: 8, right: 8 }}>
        <CopyButton text={code} testId={`copy-${lang}`} />
      </div>
    </div>
  );
}

export default function QuickStart() {
  const { t } = useI18n();
  const models = useQuery({ queryKey: ['buyer', 'callable-models'], queryFn: listCallableModels });
  const baseUrl = `${window.location.origin}/v1`;
  const model = exampleModel(models.data);
  const code = snippets(baseUrl, model);
  return (
    <>
      <PageTitle>{t('nav.quickstart')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <Checklist />
        </Col>
        <Col xs={24} lg={16}>
          <ModelsCard models={models.data} loading={models.isLoading} />
          <Card title={t('buyer.quick.baseUrl')} style={{ marginBottom: 16 }}>
            <Space wrap>
              <Typography.Text code data-testid="base-url" style={{ fontSize: 15 }}>{baseUrl}</Typography.Text>
              <CopyButton text={baseUrl} testId="copy-base-url" />
            </Space>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>{t('buyer.quick.baseUrlBody')}</Typography.Paragraph>
          </Card>
          <Card title={t('buyer.quick.example')}>
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 16 }}
              title={model === MODEL_PLACEHOLDER ? t('buyer.quick.placeholder', { key: KEY_PLACEHOLDER, model }) : t('buyer.quick.usesModel', { key: KEY_PLACEHOLDER, model })}
            />
            <Tabs
              items={[
                { key: 'curl', label: 'curl', children: <Snippet code={code.curl} lang="curl" /> },
                { key: 'python', label: 'Python', children: <Snippet code={code.python} lang="python" /> },
                { key: 'node', label: 'Node.js', children: <Snippet code={code.node} lang="node" /> },
              ]}
            />
            <Space wrap style={{ marginTop: 16 }}>
              <Button icon={<ReadOutlined />} href="/docs" target="_blank" rel="noreferrer" data-testid="quick-docs">{t('buyer.quick.docs')}</Button>
              <Typography.Text type="secondary">{t('buyer.quick.models')}</Typography.Text>
            </Space>
          </Card>
        </Col>
      </Row>
    </>
  );
}
