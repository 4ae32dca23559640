import { KeyOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Space, Steps, Typography, type StepsProps } from 'antd';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { creditsToYuan, getBalance, listKeys, listUsage } from '../../../api/buyer.ts';
import { balanceYuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Where the user stands, from live data: a key? a request made with it? (usage count) credits or a plan? The last
// step is optional: free models need no credits.

type Done = boolean | undefined;

/** Done steps are finished, the first open one is current, later ones wait; unknown (still loading) ones wait too. */
export function stepStatuses(done: readonly Done[]): NonNullable<StepsProps['items']>[number]['status'][] {
  const current = done.findIndex((d) => d !== true);
  return done.map((d, i) => (d === true ? 'finish' : i === current && d === false ? 'process' : 'wait'));
}

export function Checklist() {
  const { t } = useI18n();
  // One row of each list is enough: the totals say whether there is anything.
  const keys = useQuery({ queryKey: ['buyer', 'keys', 1, 1], queryFn: () => listKeys(1, 1) });
  const usage = useQuery({ queryKey: ['buyer', 'usage', {}, 1, 1], queryFn: () => listUsage({}, 1, 1) });
  const balance = useQuery({ queryKey: ['buyer', 'balance'], queryFn: getBalance });

  const keyCount = keys.data?.total;
  const requestCount = usage.data?.total;
  const b = balance.data;
  const funded = b && (b.credit_balance > 0 || b.is_member || b.billing_mode === 'postpaid');
  const done: Done[] = [keyCount === undefined ? undefined : keyCount > 0, requestCount === undefined ? undefined : requestCount > 0, b && Boolean(funded)];
  const status = stepStatuses(done);

  const steps: { title: string; body: ReactNode }[] = [
    {
      title: t('buyer.quick.step1'),
      body: keyCount ? (
        <Link to="/keys">{t('buyer.quick.keysDone', { count: keyCount })}</Link>
      ) : (
        <Space orientation="vertical">
          <Typography.Text type="secondary">{t('buyer.quick.step1Body')}</Typography.Text>
          <Link to="/keys"><Button type="primary" size="small" icon={<KeyOutlined />} data-testid="quick-create-key">{t('buyer.keys.create')}</Button></Link>
        </Space>
      ),
    },
    {
      title: t('buyer.quick.step2'),
      body: requestCount ? (
        <Link to="/usage">{t('buyer.quick.requestsDone', { count: requestCount })}</Link>
      ) : (
        <Typography.Text type="secondary">{t('buyer.quick.step2Body')}</Typography.Text>
      ),
    },
    {
      title: t('buyer.quick.step3'),
      body: (
        <Space orientation="vertical">
          <Typography.Text type="secondary">
            {!b || !funded
              ? t('buyer.quick.step3Body')
              : b.billing_mode === 'postpaid'
                ? t('buyer.dash.owedPostpaid')
                : t('buyer.quick.fundedBody', { amount: balanceYuan(creditsToYuan(b.credit_balance)) })}
          </Typography.Text>
          <Link to="/billing">{t('nav.billing')}</Link>
        </Space>
      ),
    },
  ];

  return (
    <Card title={t('buyer.quick.steps')} style={{ height: '100%' }}>
      <div data-testid="quick-checklist">
        <Steps
          orientation="vertical"
          size="small"
          // The open step is the current one; with none open, none is (the index past the last).
          current={status.includes('process') ? status.indexOf('process') : steps.length}
          items={steps.map((s, i) => ({ title: s.title, content: s.body, status: status[i] }))}
        />
      </div>
    </Card>
  );
}
