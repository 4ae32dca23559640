import { GiftOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Empty, Row, Space, Tag, theme, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../../../api/client.ts';
import { ACTIVITY_CLOSED, isJoinable, offerKind, participate, type Activity } from '../../../api/operations.ts';
import { useSession } from '../../../auth/session.tsx';
import { useFormat, wholeCredits, yuan } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// The activities on now: what each gives and how it applies. A credit gift given on taking part has a button; the
// rest (membership discounts, first-purchase offers, referral bonuses, gifts to new accounts) apply by themselves.

interface Outcome {
  ok: boolean;
  text: string;
}

/** The server's refusal in the user's words: 40010 says whether the window has not opened or has closed; 409 is a second time. */
function refusal(err: unknown, t: (key: string) => string): string {
  if (err instanceof ApiError && err.code === ACTIVITY_CLOSED) return t(/未开始|not (yet )?started/i.test(err.message) ? 'buyer.rewards.notStarted' : 'buyer.rewards.ended');
  if (err instanceof ApiError && err.status === 409) return t('buyer.rewards.already');
  return (err as Error).message;
}

function ActivityItem({ activity: a, outcome, busy, onJoin }: { activity: Activity; outcome?: Outcome; busy: boolean; onJoin(): void }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const { token } = theme.useToken();
  const kind = offerKind(a);
  const joined = a.participated || outcome?.ok;
  return (
    <div data-testid={`activity-${a.id}`} style={{ height: '100%', padding: 16, border: `1px solid ${token.colorBorderSecondary}`, borderRadius: token.borderRadiusLG }}>
      <Space orientation="vertical" size={6} style={{ width: '100%' }}>
        <Space wrap size={6}>
          <Tag color="blue">{t(`buyer.rewards.type.${a.type}`)}</Tag>
          <Typography.Text strong>{a.name}</Typography.Text>
        </Space>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {t(`buyer.rewards.offer.${kind}`, { credits: wholeCredits(a.config.credits), percent: a.config.percent ?? 0, amount: yuan(a.config.amount) })}
        </Typography.Text>
        {a.description && <Typography.Text type="secondary">{a.description}</Typography.Text>}
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t(`buyer.rewards.how.${kind}`)} {t('buyer.rewards.until', { date: dateTimeToMinute(a.end_time) })}
        </Typography.Text>
        {isJoinable(a) &&
          (joined ? (
            <Tag color="success" style={{ alignSelf: 'flex-start' }}>{t('buyer.rewards.joined')}</Tag>
          ) : (
            <Button type="primary" icon={<GiftOutlined />} loading={busy} onClick={onJoin} data-testid={`take-part-${a.id}`}>
              {t('buyer.rewards.takePart')}
            </Button>
          ))}
        {kind === 'membership_percent' || kind === 'membership_amount' ? <Link to="/billing">{t('buyer.rewards.toBilling')}</Link> : null}
        {outcome && <Alert type={outcome.ok ? 'success' : 'warning'} showIcon title={outcome.text} data-testid={`take-part-result-${a.id}`} />}
      </Space>
    </div>
  );
}

export function ActivitiesCard({ activities, loading }: { activities: Activity[]; loading: boolean }) {
  const { t } = useI18n();
  const { reload } = useSession();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState<number>();
  const [outcomes, setOutcomes] = useState<Record<number, Outcome>>({});

  // Not a mutation: the answer, good or not, is shown on the activity itself rather than as a toast.
  const join = async (a: Activity) => {
    setBusy(a.id);
    try {
      const done = await participate(a.id);
      const text = t('buyer.rewards.received', { credits: wholeCredits(done.reward_credits) });
      setOutcomes((o) => ({ ...o, [a.id]: { ok: true, text } }));
      toast.success(text);
      void queryClient.invalidateQueries({ queryKey: ['buyer', 'activities'] });
      void queryClient.invalidateQueries({ queryKey: ['buyer', 'balance'] });
      void reload();
    } catch (err) {
      setOutcomes((o) => ({ ...o, [a.id]: { ok: false, text: refusal(err, t) } }));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Card title={t('buyer.rewards.activitiesTitle')} loading={loading}>
      {activities.length === 0 ? (
        <Empty description={t('buyer.rewards.noActivities')} />
      ) : (
        <Row gutter={[16, 16]}>
          {activities.map((a) => (
            <Col xs={24} md={12} xl={8} key={a.id}>
              <ActivityItem activity={a} outcome={outcomes[a.id]} busy={busy === a.id} onJoin={() => void join(a)} />
            </Col>
          ))}
        </Row>
      )}
    </Card>
  );
}
