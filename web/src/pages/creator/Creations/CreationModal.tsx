import { DownloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Form, Input, Modal, Skeleton, Space, Typography } from 'antd';
import { useEffect } from 'react';
import { getCreation, updateCreation, type Creation, type CreationFile } from '../../../api/studio.ts';
import { useFormat } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { TruncatedTag, TypeTag } from '../shared.tsx';

// One creation, read fresh from the server (its file links are signed and expire): its text and files, or a form for
// its title and text.

const fileSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

function FileView({ file }: { file: CreationFile }) {
  const { t } = useI18n();
  if (file.content_type.startsWith('image/')) return <img src={file.url} alt="" data-testid="creation-image" style={{ maxWidth: '100%', borderRadius: 8 }} />;
  if (file.content_type.startsWith('video/')) return <video controls src={file.url} data-testid="creation-video" style={{ width: '100%', maxHeight: 420 }} />;
  return (
    <a href={file.url} download data-testid="creation-file">
      <Button icon={<DownloadOutlined />}>{t('creator.creations.downloadFile', { size: fileSize(file.size) })}</Button>
    </a>
  );
}

function CreationView({ creation }: { creation: Creation }) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }} data-testid="creation-view">
      <Space size={6} wrap>
        <TypeTag type={creation.type} />
        {creation.status === 'truncated' && <TruncatedTag />}
        <Typography.Text type="secondary">{t('creator.creations.updated', { at: dateTime(creation.updated_at) })}</Typography.Text>
      </Space>
      {creation.files.map((f) => <FileView key={f.url} file={f} />)}
      {creation.content && (
        <Typography.Paragraph copyable={{ text: creation.content }} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: '55vh', overflowY: 'auto', lineHeight: 1.8 }} data-testid="creation-content">
          {creation.content}
        </Typography.Paragraph>
      )}
    </Space>
  );
}

export function CreationModal({ id, editing, onEdit, onClose, onSaved }: {
  id: number | undefined;
  editing: boolean;
  onEdit(editing: boolean): void;
  onClose(): void;
  onSaved(): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ title: string; content: string }>();
  const queryClient = useQueryClient();
  const creation = useQuery({ queryKey: ['creator', 'creation', id], queryFn: () => getCreation(id as number), enabled: id !== undefined });
  const data = creation.data;
  useEffect(() => {
    if (editing && data) form.setFieldsValue({ title: data.title, content: data.content });
  }, [editing, data, form]);

  const save = useMutation({
    mutationFn: (v: { title: string; content: string }) => updateCreation(id as number, { title: v.title.trim(), content: v.content }),
    onSuccess: () => {
      toast.success(t('common.done'));
      void queryClient.invalidateQueries({ queryKey: ['creator', 'creation', id] });
      onSaved();
      onEdit(false);
    },
  });

  const footer = editing
    ? [
        <Button key="cancel" onClick={() => onEdit(false)}>{t('common.cancel')}</Button>,
        <Button key="save" type="primary" loading={save.isPending} onClick={() => form.submit()} data-testid="save-creation">{t('common.save')}</Button>,
      ]
    : [
        <Button key="edit" onClick={() => onEdit(true)} disabled={!data} data-testid="modal-edit">{t('common.edit')}</Button>,
        <Button key="close" type="primary" onClick={onClose}>{t('creator.creations.close')}</Button>,
      ];

  return (
    <Modal
      open={id !== undefined}
      onCancel={onClose}
      title={editing ? t('creator.creations.editTitle') : (data?.title || t('creator.creations.untitled'))}
      footer={footer}
      width={760}
      destroyOnHidden
    >
      {!data ? (
        <Skeleton active />
      ) : editing ? (
        <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} data-testid="creation-form">
          <Form.Item name="title" label={t('creator.creations.title')} rules={[{ required: true, whitespace: true, message: t('creator.creations.titleRequired') }]}>
            <Input />
          </Form.Item>
          <Form.Item name="content" label={t('creator.creations.content')}>
            <Input.TextArea autoSize={{ minRows: 8, maxRows: 20 }} />
          </Form.Item>
        </Form>
      ) : (
        <CreationView creation={data} />
      )}
    </Modal>
  );
}
