import { KeyOutlined, ReadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Row, Space, Steps, Tabs, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n/i18n.tsx';
import { CopyButton, PageTitle } from './shared.tsx';

// How to call the gateway: its base URL, and chat-completion snippets (curl, Python, Node) with a key placeholder.

const KEY_PLACEHOLDER = 'sk-your-key';
const MODEL = 'gpt-4o-mini';

export function snippets(baseUrl: string) {
  return {
    curl: `curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${MODEL}",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
    python: `# pip install openai
from openai import OpenAI

client = OpenAI(base_url="${baseUrl}", api_key="${KEY_PLACEHOLDER}")

resp = client.chat.completions.create(
    model="${MODEL}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(resp.choices[0].message.content)`,
    node: `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${KEY_PLACEHOLDER}' });

const resp = await client.chat.completions.create({
  model: '${MODEL}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(resp.choices[0].message.content);`,
  };
}

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
  const baseUrl = `${window.location.origin}/v1`;
  const code = snippets(baseUrl);
  return (
    <>
      <PageTitle>{t('nav.quickstart')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <Card title={t('buyer.quick.steps')} style={{ height: '100%' }}>
            <Steps
              orientation="vertical"
              size="small"
              items={[
                {
                  title: t('buyer.quick.step1'),
                  content: (
                    <Space orientation="vertical">
                      <Typography.Text type="secondary">{t('buyer.quick.step1Body')}</Typography.Text>
                      <Link to="/keys"><Button type="primary" size="small" icon={<KeyOutlined />} data-testid="quick-create-key">{t('buyer.keys.create')}</Button></Link>
                    </Space>
                  ),
                },
                {
                  title: t('buyer.quick.step2'),
                  content: (
                    <Space orientation="vertical">
                      <Typography.Text type="secondary">{t('buyer.quick.step2Body')}</Typography.Text>
                      <Link to="/billing">{t('nav.billing')}</Link>
                    </Space>
                  ),
                },
                { title: t('buyer.quick.step3'), content: <Typography.Text type="secondary">{t('buyer.quick.step3Body')}</Typography.Text> },
              ].map((step) => ({ ...step, status: 'process' as const }))}
            />
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card title={t('buyer.quick.baseUrl')} style={{ marginBottom: 16 }}>
            <Space wrap>
              <Typography.Text code data-testid="base-url" style={{ fontSize: 15 }}>{baseUrl}</Typography.Text>
              <CopyButton text={baseUrl} testId="copy-base-url" />
            </Space>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>{t('buyer.quick.baseUrlBody')}</Typography.Paragraph>
          </Card>
          <Card title={t('buyer.quick.example')}>
            <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('buyer.quick.placeholder', { key: KEY_PLACEHOLDER, model: MODEL })} />
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
