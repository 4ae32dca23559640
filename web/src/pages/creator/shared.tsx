import { CrownOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Form, Select, Space, Tag, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { getBalance } from '../../api/buyer.ts';
import { ApiError } from '../../api/client.ts';
import { listStudioModels, listWritingTools, STREAM_CUT, STUDIO_ERROR, type CreationType, type StreamFailure } from '../../api/studio.ts';
import { PageTitle } from '../../components/PageTitle.tsx';
import { useFormat, wholeCredits } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';

// Pieces the creator pages share: the title with the creator's credits and membership, the model picker, what a
// failed generation means and what to do about it, and the queries a generation changes.

/** Where a creation opens (the list page opens its viewer from `?id=`). */
export const creationPath = (id: number) => `/studio/creations?id=${id}`;

/** The buyer pages' balance query: one cache for the credits everywhere. */
const BALANCE_KEY = ['buyer', 'balance'];

export function useWritingTools() {
  const { locale } = useI18n();
  return useQuery({ queryKey: ['creator', 'tools', locale], queryFn: () => listWritingTools(locale) });
}

/** After a generation (finished or not) the credits and the creations have changed. */
export function useAfterGeneration() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: BALANCE_KEY });
    void queryClient.invalidateQueries({ queryKey: ['creator', 'creations'] });
  };
}

export function StudioTitle({ children, extra }: { children: ReactNode; extra?: ReactNode }) {
  return (
    <PageTitle extra={<Space wrap size={12}>{extra}<CreditsBadge /></Space>}>
      {children}
    </PageTitle>
  );
}

/** The creator's credits and membership: members generate without paying credits. */
function CreditsBadge() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const balance = useQuery({ queryKey: BALANCE_KEY, queryFn: getBalance });
  const b = balance.data;
  if (!b) return null;
  const expired = !b.is_member && b.membership_end_date !== null;
  return (
    <Space size={8} data-testid="studio-balance">
      <Typography.Text strong data-testid="studio-credits">{t('common.credits', { credits: wholeCredits(b.credit_balance) })}</Typography.Text>
      {b.is_member ? (
        <Tooltip title={t('creator.balance.until', { date: dateTimeToMinute(b.membership_end_date) })}>
          <Tag color="gold" icon={<CrownOutlined />} data-testid="studio-membership">
            {t('creator.balance.member', { plan: t(`buyer.plan.${b.membership_type ?? 'monthly'}`) })}
          </Tag>
        </Tooltip>
      ) : (
        <Tag data-testid="studio-membership">{t(expired ? 'creator.balance.expired' : 'creator.balance.notMember')}</Tag>
      )}
      <Link to="/billing">{t(b.is_member ? 'creator.balance.recharge' : expired ? 'creator.balance.renew' : 'creator.balance.join')}</Link>
    </Space>
  );
}

/** An optional model from the registry; without one the server uses the tool's default. Hidden when none is offered. */
export function ModelField({ defaultModel }: { defaultModel?: string }) {
  const { t } = useI18n();
  const models = useQuery({ queryKey: ['creator', 'models'], queryFn: listStudioModels });
  if (!models.data?.length) return null;
  return (
    <Form.Item name="model_id" label={t('creator.model.label')}>
      <Select
        allowClear
        data-testid="model-select"
        placeholder={defaultModel ? t('creator.model.defaultNamed', { model: defaultModel }) : t('creator.model.default')}
        options={models.data.map((m) => ({ value: m.id, label: m.name }))}
      />
    </Form.Item>
  );
}

interface Explanation {
  title: string;
  action?: ReactNode;
}

function useExplain(): (code: string | number | undefined) => Explanation | undefined {
  const { t } = useI18n();
  const billing = (label: string) => <Link to="/billing" data-testid="error-billing-link">{t(label)}</Link>;
  return (code) => {
    switch (code) {
      case STUDIO_ERROR.creditsInsufficient: return { title: t('creator.error.credits'), action: billing('creator.error.recharge') };
      case STUDIO_ERROR.membershipExpired: return { title: t('creator.error.membership'), action: billing('creator.error.renew') };
      case STUDIO_ERROR.aiCallFailed: return { title: t('creator.error.ai') };
      case STUDIO_ERROR.generationFailed: return { title: t('creator.error.generation') };
      case STUDIO_ERROR.rateLimited: return { title: t('creator.error.rateLimited'), action: billing('creator.error.join') };
      case STREAM_CUT: return { title: t('creator.error.cut') };
      default: return undefined;
    }
  };
}

/** A failed generation in the creator's words: what happened, the server's own message, whether credits came back. */
export function GenerationError({ error }: { error: unknown }) {
  const { t } = useI18n();
  const explain = useExplain();
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  const known = explain(apiError?.code);
  const refunded = (apiError?.details as StreamFailure | undefined)?.refunded === true;
  const serverSays = apiError?.code === STREAM_CUT ? undefined : (error as Error).message;
  return (
    <Alert
      type="error"
      showIcon
      data-testid="generation-error"
      style={{ marginTop: 16 }}
      title={known?.title ?? t('creator.error.generic')}
      description={
        <Space orientation="vertical" size={4}>
          {serverSays && <Typography.Text type="secondary">{serverSays}</Typography.Text>}
          {refunded && <Typography.Text data-testid="error-refunded">{t('creator.error.refunded')}</Typography.Text>}
          {known?.action}
        </Space>
      }
    />
  );
}

export function TypeTag({ type }: { type: CreationType }) {
  const { t } = useI18n();
  const colors: Record<CreationType, string> = { writing: 'blue', image: 'magenta', video: 'purple', ppt: 'orange' };
  return <Tag color={colors[type]}>{t(`creator.type.${type}`)}</Tag>;
}

export function TruncatedTag() {
  const { t } = useI18n();
  return (
    <Tooltip title={t('creator.creations.truncatedHint')}>
      <Tag color="warning" data-testid="truncated-tag">{t('creator.creations.truncated')}</Tag>
    </Tooltip>
  );
}
