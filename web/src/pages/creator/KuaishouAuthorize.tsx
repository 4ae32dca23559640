import { SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client.ts';
import { PUBLISH_ERROR } from '../../api/publishing.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { PLATFORMS_KEY } from './PublishStatus.tsx';

// Binding Kuaishou by its OAuth authorisation, on the Kuaishou account card: the button asks the server for Kuaishou's
// authorise URL and goes there; Kuaishou sends the browser back through the server to this page with
// `?kuaishou=bound` or `?kuaishou=error&reason=…[&code=…]`, which is said here once and then taken off the address.
// A server without a Kuaishou app answers 40008: the manual bind form below stays the way to bind.

/** Each reason the server gives, and the words for it (keys written out, so the messages test finds them). */
const REASON_KEYS = {
  denied: 'creator.publishing.kuaishou.reason.denied',
  invalid_state: 'creator.publishing.kuaishou.reason.invalid_state',
  refused: 'creator.publishing.kuaishou.reason.refused',
  no_publish_scope: 'creator.publishing.kuaishou.reason.no_publish_scope',
  unavailable: 'creator.publishing.kuaishou.reason.unavailable',
} as const;
type Reason = keyof typeof REASON_KEYS;
const MARKERS = ['kuaishou', 'reason', 'code'];

interface Landing {
  reason: Reason;
  code?: string;
}

/** `?kuaishou=error&reason=…&code=…` as this page understands it; anything unknown reads as "could not finish". */
function landingOf(params: URLSearchParams): Landing {
  const reason = params.get('reason');
  const code = params.get('code') ?? '';
  return {
    reason: reason !== null && Object.hasOwn(REASON_KEYS, reason) ? (reason as Reason) : 'unavailable',
    ...(/^\d{1,12}$/.test(code) ? { code } : {}),
  };
}

export default function KuaishouAuthorize({ bound, openUrl = (url: string) => window.location.assign(url) }: { bound: boolean; openUrl?: (url: string) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [landing, setLanding] = useState<Landing>();
  const handled = useRef<string>(undefined);

  useEffect(() => {
    const outcome = params.get('kuaishou');
    if (!outcome || handled.current === params.toString()) return;
    handled.current = params.toString();
    if (outcome === 'bound') {
      setLanding(undefined);
      toast.success(t('creator.publishing.kuaishou.bound'));
      void queryClient.invalidateQueries({ queryKey: PLATFORMS_KEY });
    } else {
      setLanding(landingOf(params));
    }
    const rest = new URLSearchParams(params);
    for (const m of MARKERS) rest.delete(m);
    setParams(rest, { replace: true });
    // Not on `t`: a language switch must not say the marker again, and the marker is said once whatever the language.
  }, [params, setParams, queryClient]);

  const start = useMutation({
    mutationFn: () => api.get<{ url: string; expires_in: number }>('/api/v1/publish/platforms/kuaishou/authorize'),
    onSuccess: (answer) => openUrl(answer.url),
  });
  const notConfigured = start.error instanceof ApiError && start.error.code === PUBLISH_ERROR.notBound;

  return (
    <Space orientation="vertical" size={8} style={{ width: '100%' }} data-testid="kuaishou-authorize">
      {landing && (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setLanding(undefined)}
          title={t('creator.publishing.kuaishou.failed')}
          description={t(REASON_KEYS[landing.reason], { code: landing.code ? ` (${landing.code})` : '' })}
          data-testid="kuaishou-authorize-failed"
        />
      )}
      <Button
        type={bound ? 'default' : 'primary'}
        size={bound ? 'small' : 'middle'}
        icon={<SafetyCertificateOutlined />}
        loading={start.isPending || start.isSuccess}
        disabled={notConfigured}
        onClick={() => start.mutate()}
        data-testid="kuaishou-authorize-start"
      >
        {t(bound ? 'creator.publishing.kuaishou.reauthorize' : 'creator.publishing.kuaishou.authorize')}
      </Button>
      {notConfigured ? (
        <Alert type="info" showIcon title={t('creator.publishing.kuaishou.notConfigured')} data-testid="kuaishou-authorize-unavailable" />
      ) : (
        !bound && <Typography.Text type="secondary">{t('creator.publishing.kuaishou.hint')}</Typography.Text>
      )}
    </Space>
  );
}
