import { useMutation } from '@tanstack/react-query';
import { Button } from 'antd';
import { useEffect, useState } from 'react';
import type { CodeSent } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// "Send code": asks the API for an SMS code, then counts down to the `resend_at` the API gave (one code a minute).

export function SendCodeButton({
  send,
  validate,
  onSent,
  testId,
  disabled,
}: {
  send(): Promise<CodeSent>;
  /** Checks the fields the request needs first; a rejection stops the send. */
  validate?(): Promise<unknown>;
  onSent?(sent: CodeSent): void;
  testId: string;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [resendAt, setResendAt] = useState<number>();
  const [now, setNow] = useState(() => Date.now());
  const wait = resendAt === undefined ? 0 : Math.max(0, Math.ceil((resendAt - now) / 1000));

  const counting = wait > 0;
  useEffect(() => {
    if (!counting) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [counting]);

  const mutation = useMutation({
    mutationFn: send,
    onSuccess: (sent) => {
      setResendAt(Date.parse(sent.resend_at));
      setNow(Date.now());
      onSent?.(sent);
    },
  });

  const onClick = async () => {
    if (validate) {
      const ok = await validate().then(
        () => true,
        () => false,
      );
      if (!ok) return;
    }
    mutation.mutate();
  };

  return (
    <Button data-testid={testId} onClick={onClick} loading={mutation.isPending} disabled={disabled || wait > 0}>
      {wait > 0 ? t('supply.sms.resendIn', { s: wait }) : mutation.isSuccess ? t('supply.sms.resend') : t('supply.sms.send')}
    </Button>
  );
}
