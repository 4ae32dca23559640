import { ArrowLeftOutlined } from '@ant-design/icons';
import { Button, Card, Col, Empty, Result, Row, Skeleton, Tag, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router-dom';
import type { WritingTool } from '../../api/studio.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { StudioTitle, useWritingTools } from './shared.tsx';
import { ToolForm } from './Tools/ToolForm.tsx';

// The writing tools: a gallery of the server's tools (names and descriptions in the console's language), and one
// tool's form at `?tool=<type>`, so a tool can be bookmarked and the browser's back button returns to the gallery.

export default function Tools() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const tools = useWritingTools();
  const chosen = params.get('tool');
  const tool = chosen ? tools.data?.find((x) => x.type === chosen) : undefined;
  const back = (
    <Link to="/studio/tools">
      <Button icon={<ArrowLeftOutlined />} data-testid="all-tools">{t('creator.tools.all')}</Button>
    </Link>
  );

  if (chosen && tools.data && !tool) {
    return (
      <>
        <StudioTitle>{t('nav.studioTools')}</StudioTitle>
        <Result status="404" title={t('creator.tools.unknown', { type: chosen })} extra={back} />
      </>
    );
  }
  return (
    <>
      <StudioTitle extra={chosen ? back : undefined}>{tool?.name ?? t('nav.studioTools')}</StudioTitle>
      {tools.isLoading ? <Skeleton active /> : tool ? <ToolForm key={tool.type} tool={tool} /> : <Gallery tools={tools.data ?? []} />}
    </>
  );
}

function Gallery({ tools }: { tools: WritingTool[] }) {
  const { t } = useI18n();
  if (tools.length === 0) return <Card><Empty description={t('creator.tools.none')} /></Card>;
  return (
    <Row gutter={[16, 16]} data-testid="tool-gallery">
      {tools.map((tool) => (
        <Col key={tool.type} xs={24} sm={12} lg={8} xxl={6}>
          <Link to={`/studio/tools?tool=${encodeURIComponent(tool.type)}`} data-testid={`tool-${tool.type}`} aria-label={tool.name}>
            <Card hoverable style={{ height: '100%' }}>
              <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, alignItems: 'flex-start' }}>
                <Typography.Title level={5} style={{ margin: 0 }}>{tool.name}</Typography.Title>
                <Tag color="blue" style={{ marginInlineEnd: 0 }}>{t('common.credits', { credits: tool.credits_cost })}</Tag>
              </div>
              <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: '8px 0 0' }}>{tool.description}</Typography.Paragraph>
            </Card>
          </Link>
        </Col>
      ))}
    </Row>
  );
}
