import { SearchOutlined } from '@ant-design/icons';
import { Button, Form, Input, Modal, Segmented, Space, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useState, type ReactNode } from 'react';
import type { Circuit, CircuitState } from '../../api/operator.ts';
import { percent } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';

// Pieces the operator pages share: the page title, status and circuit tags, a paging state, and the dialog that asks
// for a reason (or a reference) before an action.

export { PageTitle } from '../../components/PageTitle.tsx';
export { useActionsFixed } from '../../components/rows.ts';

/** A toolbar of filters that wraps on phones. */
export function Filters({ children }: { children: ReactNode }) {
  return <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 16 }}>{children}</div>;
}

/** "All" and each status as a segmented filter; it scrolls sideways on phones rather than overflowing the card. */
/**
 * A search field with its button: `onSearch` gets the trimmed text on Enter or the button, and '' when the field is
 * cleared (the whole list again).
 */
export function SearchBox(p: { placeholder: string; onSearch(text: string): void; testId: string; maxWidth?: number }) {
  const { t } = useI18n();
  const [typed, setTyped] = useState('');
  const search = (text: string) => p.onSearch(text.trim());
  return (
    <Space.Compact style={{ maxWidth: p.maxWidth ?? 360, width: '100%' }}>
      <Input
        allowClear
        prefix={<SearchOutlined />}
        placeholder={p.placeholder}
        aria-label={p.placeholder}
        maxLength={100}
        value={typed}
        onChange={(e) => {
          setTyped(e.target.value);
          if (!e.target.value) search('');
        }}
        onPressEnter={() => search(typed)}
        data-testid={p.testId}
      />
      <Button type="primary" onClick={() => search(typed)} data-testid={`${p.testId}-submit`}>{t('common.search')}</Button>
    </Space.Compact>
  );
}

/** `messages`: the prefix of the statuses' message keys (`op.status` unless a page names its own). */
export function StatusFilter<S extends string>(p: { value: S | 'all'; statuses: readonly S[]; onChange(v: S | 'all'): void; testId: string; messages?: string }) {
  const { t } = useI18n();
  return (
    <Segmented
      className="tg-status-filter"
      style={{ maxWidth: '100%' }}
      value={p.value}
      onChange={(v) => p.onChange(v as S | 'all')}
      options={[{ value: 'all', label: t('op.withdrawals.all') }, ...p.statuses.map((s) => ({ value: s, label: t(`${p.messages ?? 'op.status'}.${s}`) }))]}
      data-testid={p.testId}
    />
  );
}

const STATUS_COLORS: Record<string, string> = {
  active: 'success', paid: 'success', completed: 'success', approved: 'success', pass: 'success', ready: 'success', ok: 'success',
  pending: 'processing', processing: 'processing', required: 'warning', review_required: 'warning', suspended: 'warning', upcoming: 'blue',
  failed: 'error', rejected: 'error', reject: 'error', disabled: 'default', expired: 'default', used_up: 'default', not_required: 'default',
  refunded: 'purple', unavailable: 'error',
  admin: 'red', supplier: 'gold', user: 'default',
};

/** A status (or role) word in its colour, translated under `op.status.<status>`. */
export function StatusTag({ status, messages = 'op.status' }: { status: string; messages?: string }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLORS[status] ?? 'default'}>{t(`${messages}.${status}`)}</Tag>;
}

const CIRCUIT_COLORS: Record<CircuitState, string> = { closed: 'success', open: 'error', half_open: 'warning' };

const isFull = (c: Circuit | { state: CircuitState }): c is Circuit => 'key' in c;

/** A circuit breaker's state; the tooltip tells its recent failures. */
export function CircuitTag({ circuit, testId }: { circuit?: Circuit | { state: CircuitState }; testId?: string }) {
  const { t } = useI18n();
  const c = circuit ?? { state: 'closed' as const };
  const tag = <Tag color={CIRCUIT_COLORS[c.state]} data-testid={testId}>{t(`op.circuit.${c.state}`)}</Tag>;
  if (!isFull(c)) return tag;
  return <Tooltip title={t('op.circuit.detail', { failures: c.consecutive_failures, rate: percent(c.error_rate) })}>{tag}</Tooltip>;
}

export { usePaging } from '../../components/rows.ts';

export interface TextPrompt {
  title: string;
  description?: ReactNode;
  label: string;
  /** The server's bounds for the text (reasons: 2–500; references: 1–128). */
  min: number;
  max: number;
  inputTestId: string;
  confirmTestId: string;
  okText?: string;
  danger?: boolean;
  multiline?: boolean;
}

/**
 * Asks for a text (a reason, a payout reference) and runs `onSubmit` with it (a plain promise, not a mutation); stays
 * open, with the server's message in a toast, when the action fails. While it fades out it keeps its text but drops
 * its test ids, so the next dialog's are the only ones on the page.
 */
export function TextPromptModal({ prompt, onSubmit, onClose }: {
  prompt?: TextPrompt;
  onSubmit(text: string): Promise<unknown>;
  onClose(): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ text: string }>();
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState(prompt);
  const open = prompt !== undefined;
  useEffect(() => {
    if (!prompt) return;
    setShown(prompt);
    form.resetFields();
  }, [prompt, form]);

  const submit = async () => {
    let values;
    try {
      values = await form.validateFields();
    } catch {
      return; // the form shows what to correct
    }
    setBusy(true);
    try {
      await onSubmit(values.text.trim());
      onClose();
    } catch (err) {
      // The server's own message; the dialog stays open for a correction.
      toast.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const p = prompt ?? shown;
  const inputProps = { 'aria-label': p?.label, 'data-testid': open ? p?.inputTestId : undefined, maxLength: p?.max };
  return (
    <Modal
      open={open}
      title={p?.title}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={p?.okText ?? t('common.confirm')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ danger: p?.danger, ...(open && p ? { 'data-testid': p.confirmTestId } : {}) }}
      destroyOnHidden
    >
      {p?.description && <Typography.Paragraph type="secondary">{p.description}</Typography.Paragraph>}
      <Form form={form} layout="vertical" onFinish={() => void submit()}>
        <Form.Item
          name="text"
          label={p?.label}
          rules={[
            { required: true, whitespace: true, message: t('op.form.required') },
            { min: p?.min ?? 0, max: p?.max, transform: (v: string) => v?.trim(), message: t('op.form.length', { min: p?.min ?? 0, max: p?.max ?? 0 }) },
          ]}
        >
          {p?.multiline === false ? <Input {...inputProps} /> : <Input.TextArea {...inputProps} rows={3} />}
        </Form.Item>
      </Form>
    </Modal>
  );
}
