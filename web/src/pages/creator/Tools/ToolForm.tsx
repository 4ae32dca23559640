import { StopOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Row, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { idempotencyKey } from '../../../api/client.ts';
import { streamWriting, type WritingDone, type WritingTool } from '../../../api/studio.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { creationPath, GenerationError, ModelField, useAfterGeneration } from '../shared.tsx';
import { ToolFieldItem, writingBody } from './fields.tsx';

// One writing tool: its form (built from the server's field list) and the text as the model writes it. Stop aborts
// the request; the server keeps what was written as a `truncated` creation, never as a finished one.

type Run =
  | { phase: 'idle' }
  | { phase: 'streaming' }
  | { phase: 'done'; done: WritingDone }
  | { phase: 'stopped' }
  | { phase: 'failed'; error: unknown };

export function ToolForm({ tool }: { tool: WritingTool }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [run, setRun] = useState<Run>({ phase: 'idle' });
  const [text, setText] = useState('');
  const controller = useRef<AbortController | undefined>(undefined);
  const afterGeneration = useAfterGeneration();
  // Leaving the page stops the generation rather than paying for text nobody reads.
  useEffect(() => () => controller.current?.abort(), []);

  const generate = async (values: Record<string, unknown>) => {
    const abort = new AbortController();
    controller.current = abort;
    setText('');
    setRun({ phase: 'streaming' });
    try {
      const done = await streamWriting(tool.type, writingBody(tool.fields, values), {
        idempotencyKey: idempotencyKey(),
        signal: abort.signal,
        onDelta: (piece) => setText((sofar) => sofar + piece),
      });
      setRun({ phase: 'done', done });
    } catch (error) {
      setRun(abort.signal.aborted ? { phase: 'stopped' } : { phase: 'failed', error });
    } finally {
      afterGeneration();
    }
  };
  const streaming = run.phase === 'streaming';

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={10}>
        <Card>
          <Typography.Paragraph type="secondary">{tool.description}</Typography.Paragraph>
          <Form form={form} layout="vertical" onFinish={(v: Record<string, unknown>) => void generate(v)} disabled={streaming} data-testid="tool-form">
            {tool.fields.map((field) => <ToolFieldItem key={field.name} field={field} />)}
            <ModelField defaultModel={tool.default_model} />
            <Space wrap>
              <Button type="primary" htmlType="submit" icon={<ThunderboltOutlined />} loading={streaming} data-testid="generate">
                {t('creator.tools.generate', { credits: tool.credits_cost })}
              </Button>
            </Space>
          </Form>
          {streaming && (
            <Button danger icon={<StopOutlined />} onClick={() => controller.current?.abort()} data-testid="stop" style={{ marginTop: 12 }}>
              {t('creator.tools.stop')}
            </Button>
          )}
        </Card>
      </Col>
      <Col xs={24} lg={14}>
        <Card
          title={t('creator.tools.output')}
          extra={text && !streaming ? <Typography.Text copyable={{ text, tooltips: [t('common.copy'), t('common.copied')] }} /> : undefined}
        >
          {run.phase === 'idle' && <Typography.Text type="secondary">{t('creator.tools.outputHint')}</Typography.Text>}
          {streaming && !text && <Spin description={t('creator.tools.connecting')}><div style={{ minHeight: 80 }} /></Spin>}
          <div aria-live="polite" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', lineHeight: 1.8 }}>
            <span data-testid="writing-output">{text}</span>
            {streaming && text && <span aria-hidden>▍</span>}
          </div>
          <RunOutcome run={run} />
        </Card>
      </Col>
    </Row>
  );
}

function RunOutcome({ run }: { run: Run }) {
  const { t } = useI18n();
  if (run.phase === 'failed') return <GenerationError error={run.error} />;
  if (run.phase === 'stopped') {
    return <Alert type="warning" showIcon style={{ marginTop: 16 }} data-testid="writing-stopped" title={t('creator.tools.stopped')} description={<Link to="/studio/creations">{t('creator.tools.toCreations')}</Link>} />;
  }
  if (run.phase !== 'done') return null;
  const { done } = run;
  return (
    <Alert
      type="success"
      showIcon
      style={{ marginTop: 16 }}
      data-testid="writing-done"
      title={t('creator.tools.done', { credits: done.credits_used })}
      description={
        <Space wrap size={12}>
          <Tag>{t('creator.tools.tokens', { prompt: done.usage.prompt_tokens, completion: done.usage.completion_tokens })}</Tag>
          <Link to={creationPath(done.creation_id)} data-testid="creation-link">{t('creator.tools.viewCreation')}</Link>
        </Space>
      }
    />
  );
}
