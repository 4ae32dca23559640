import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { AutoComplete, Button, DatePicker, Form, Grid, Select, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { getUsageDaily, listKeys, USAGE_STATUSES, type UsageFilter, type UsageStatus } from '../../../api/buyer.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// The usage log's filters: a day range (UTC+8 days, as the API reads them), model, status, key.

interface Values {
  range?: [Dayjs | null, Dayjs | null] | null;
  model?: string;
  status?: UsageStatus;
  key_id?: number;
}

export function toFilter(v: Values): UsageFilter {
  const model = v.model?.trim();
  return {
    start_date: v.range?.[0]?.format('YYYY-MM-DD'),
    end_date: v.range?.[1]?.format('YYYY-MM-DD'),
    model: model ? model : undefined,
    status: v.status,
    key_id: v.key_id,
  };
}

export function UsageFilters({ onApply, onExport, exporting }: { onApply(f: UsageFilter): void; onExport(f: UsageFilter): void; exporting: boolean }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  // On a phone the filters stack, each as wide as the screen.
  const narrow = !Grid.useBreakpoint().md;
  const wide = (px: number) => ({ width: narrow ? '100%' : px });
  // Suggestions only: the models this user called lately and their keys (the first 100).
  const daily = useQuery({ queryKey: ['buyer', 'usage-daily'], queryFn: () => getUsageDaily() });
  const keys = useQuery({ queryKey: ['buyer', 'keys', 1, 100], queryFn: () => listKeys(1, 100) });

  return (
    <Form form={form} layout={narrow ? 'vertical' : 'inline'} onFinish={(v) => onApply(toFilter(v))} style={{ rowGap: 12 }} data-testid="usage-filters">
      <Form.Item name="range" label={t('buyer.usage.dates')}>
        <DatePicker.RangePicker allowEmpty={[true, true]} style={narrow ? { width: '100%' } : undefined} />
      </Form.Item>
      <Form.Item name="model" label={t('buyer.usage.model')}>
        <AutoComplete
          allowClear
          style={wide(200)}
          placeholder={t('buyer.usage.anyModel')}
          options={(daily.data?.by_model ?? []).map((m) => ({ value: m.model }))}
          filterOption={(input, o) => String(o?.value ?? '').toLowerCase().includes(input.toLowerCase())}
          data-testid="usage-model"
        />
      </Form.Item>
      <Form.Item name="status" label={t('common.status')}>
        <Select
          allowClear
          style={wide(140)}
          placeholder={t('buyer.usage.anyStatus')}
          options={USAGE_STATUSES.map((s) => ({ value: s, label: t(`buyer.status.${s}`) }))}
          data-testid="usage-status"
        />
      </Form.Item>
      <Form.Item name="key_id" label={t('buyer.usage.key')}>
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          style={wide(200)}
          placeholder={t('buyer.usage.anyKey')}
          loading={keys.isLoading}
          options={(keys.data?.items ?? []).map((k) => ({ value: k.id, label: `${k.name} (${k.key_mask})` }))}
          data-testid="usage-key"
        />
      </Form.Item>
      <Form.Item>
        <Space wrap>
          <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="usage-search">{t('common.search')}</Button>
          <Button
            onClick={() => {
              form.resetFields();
              onApply({});
            }}
          >
            {t('buyer.usage.reset')}
          </Button>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={() => onExport(toFilter(form.getFieldsValue()))} data-testid="usage-export">
            {t('buyer.usage.export')}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}
