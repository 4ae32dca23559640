import { useQueryClient } from '@tanstack/react-query';
import { Card, Tabs } from 'antd';
import { useState } from 'react';
import { decideAccount, type AccountDecision, type SupplyAccount } from '../../api/operator.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { PageTitle, TextPromptModal, type TextPrompt } from './shared.tsx';
import { AccountsTable } from './SupplyReview/AccountsTable.tsx';

// Supply review: approve or reject the accounts whose verification asked for a person, and disable or re-enable any
// account. Every decision names a reason (2–500 characters), which the audit log keeps.

export default function SupplyReview() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [deciding, setDeciding] = useState<{ account: SupplyAccount; decision: AccountDecision; prompt: TextPrompt }>();

  const decide = (account: SupplyAccount, decision: AccountDecision) =>
    setDeciding({
      account,
      decision,
      prompt: {
        title: t(`op.review.${decision}Title`, { id: account.account_id }),
        description: t(`op.review.${decision}Hint`),
        label: t('common.reason'),
        min: 2,
        max: 500,
        inputTestId: 'review-reason',
        confirmTestId: 'review-confirm',
        okText: t(`op.review.${decision}`),
        danger: decision === 'reject' || decision === 'disable',
      },
    });

  return (
    <>
      <PageTitle>{t('nav.review')}</PageTitle>
      <Card>
        <Tabs
          destroyOnHidden
          items={[
            { key: 'queue', label: t('op.review.queue'), children: <AccountsTable queue onDecide={decide} /> },
            { key: 'all', label: t('op.review.all'), children: <AccountsTable queue={false} onDecide={decide} /> },
          ]}
        />
      </Card>
      <TextPromptModal
        prompt={deciding?.prompt}
        onClose={() => setDeciding(undefined)}
        onSubmit={async (text) => {
          const d = deciding as NonNullable<typeof deciding>;
          const r = await decideAccount(d.account.account_id, d.decision, text);
          toast.success(t('op.review.decided', { id: r.account_id, status: t(`op.status.${r.status}`) }));
          await queryClient.invalidateQueries({ queryKey: ['operator', 'supply-accounts'] });
        }}
      />
    </>
  );
}
