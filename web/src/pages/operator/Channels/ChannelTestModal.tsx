import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Modal, Select, Space, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { listPrices, testChannel, type AdminChannel } from '../../../api/operator.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { chatModelsOf, pricedModelsOf } from './channelModels.ts';

// "Send one request": one small chat completion through the channel, as the gateway would send it. It runs when the
// dialog opens (with the first model the channel serves); another model can be chosen and sent again. The message is
// the server's, built only from what may be shown of the upstream's answer (never its key).

export function ChannelTestModal({ channel, onClose }: { channel?: AdminChannel; onClose(): void }) {
  const { t } = useI18n();
  const [model, setModel] = useState<string>();
  const prices = useQuery({ queryKey: ['operator', 'prices'], queryFn: listPrices, enabled: channel !== undefined });
  const run = useMutation({ mutationFn: (v: { id: number; model?: string }) => testChannel(v.id, v.model) });
  const { mutate, reset } = run;

  useEffect(() => {
    setModel(undefined);
    reset();
    if (channel) mutate({ id: channel.id });
  }, [channel, mutate, reset]);

  const served = channel?.models ?? chatModelsOf(pricedModelsOf(prices.data, channel?.provider));
  const result = run.data;

  return (
    <Modal
      open={channel !== undefined}
      title={channel ? t('op.channels.testTitle', { name: channel.name }) : undefined}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('common.confirm')}</Button>}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('op.channels.testHint')}</Typography.Paragraph>
      <Space.Compact style={{ width: '100%', marginBottom: 16 }}>
        <Select
          allowClear
          value={model}
          onChange={setModel}
          options={served.map((m) => ({ value: m, label: m }))}
          placeholder={t('op.channels.testModelDefault')}
          aria-label={t('op.channels.testModel')}
          style={{ flex: 1, minWidth: 0 }}
          data-testid="channel-test-model"
        />
        <Button type="primary" loading={run.isPending} disabled={!channel} onClick={() => channel && mutate({ id: channel.id, model })} data-testid="channel-test-send">
          {t('op.channels.testSend')}
        </Button>
      </Space.Compact>
      <div aria-live="polite" data-testid="channel-test-result">
        {run.isPending && <Spin />}
        {result && (
          <Alert
            type={result.ok ? 'success' : 'error'}
            showIcon
            title={result.ok ? t('op.channels.testOk') : t('op.channels.testFailed')}
            description={
              <Space orientation="vertical" size={4} style={{ width: '100%' }}>
                <Typography.Text type="secondary">
                  {t('op.channels.testFacts', {
                    model: result.model,
                    status: result.status === null ? t('op.channels.testNoStatus') : `HTTP ${result.status}`,
                    ms: result.latency_ms,
                  })}
                </Typography.Text>
                <Typography.Text style={{ wordBreak: 'break-word' }}>{result.message}</Typography.Text>
              </Space>
            }
          />
        )}
        {run.isError && <Alert type="error" showIcon title={t('op.channels.testFailed')} description={run.error.message} />}
      </div>
    </Modal>
  );
}
