import { ReloadOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Tabs } from 'antd';
import { useState } from 'react';
import { listCircuits } from '../../api/operator.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { ChannelsTab } from './Channels/ChannelsTab.tsx';
import { ModelsTab } from './Channels/ModelsTab.tsx';
import { PricesTab } from './Channels/PricesTab.tsx';
import { PageTitle } from './shared.tsx';

// Channels & models: the platform channels (added, changed, tested and deleted here; the same ones as the legacy
// `/1/keys`) with their circuit state, the studio's model registry, and the price list API buyers pay. Circuit states
// refresh every 10 s.

const REFRESH_MS = 10_000;

export default function Channels() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState('channels');
  // Registry models' circuits (`model:<id>`) come from the router's snapshot; channels carry their own.
  const circuits = useQuery({ queryKey: ['operator', 'circuits'], queryFn: listCircuits, refetchInterval: REFRESH_MS });

  return (
    <>
      <PageTitle
        extra={
          <Button
            icon={<ReloadOutlined />}
            onClick={() => void queryClient.invalidateQueries({ queryKey: ['operator'] })}
            data-testid="channels-refresh"
          >
            {t('common.refresh')}
          </Button>
        }
      >
        {t('nav.channels')}
      </PageTitle>
      <Card>
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            { key: 'channels', label: t('op.channels.tab'), children: <ChannelsTab /> },
            { key: 'models', label: t('op.models.tab'), children: <ModelsTab circuits={circuits.data} /> },
            { key: 'prices', label: t('op.prices.tab'), children: <PricesTab /> },
          ]}
        />
      </Card>
    </>
  );
}
