import { Alert, Button, Modal, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CopyButton } from '../shared.tsx';

// The whole key, shown once right after it was created: the server keeps only its hash.
export function NewKeyModal({ value, name, onClose }: { value?: string; name?: string; onClose(): void }) {
  const { t } = useI18n();
  return (
    <Modal
      open={value !== undefined}
      title={t('buyer.keys.createdTitle', { name: name ?? '' })}
      onCancel={onClose}
      mask={{ closable: false }}
      footer={[
        <CopyButton key="copy" text={value ?? ''} testId="copy-new-key" type="primary" />,
        <Button key="done" onClick={onClose} data-testid="new-key-done">{t('buyer.keys.saved')}</Button>,
      ]}
    >
      <Alert type="warning" showIcon title={t('buyer.keys.onceWarning')} style={{ marginBottom: 16 }} />
      <Typography.Paragraph>
        <Typography.Text code data-testid="new-key-value" style={{ wordBreak: 'break-all', fontSize: 14 }}>{value}</Typography.Text>
      </Typography.Paragraph>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {t('buyer.keys.nextStep')} <Link to="/quickstart" onClick={onClose}>{t('nav.quickstart')}</Link>
      </Typography.Paragraph>
    </Modal>
  );
}
