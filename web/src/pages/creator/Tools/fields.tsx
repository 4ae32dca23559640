import { Form, Input, InputNumber, Select } from 'antd';
import type { Rule } from 'antd/es/form';
import type { ReactElement } from 'react';
import type { ToolField, WritingBody } from '../../../api/studio.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// A writing tool's inputs as the server describes them (`fields`): one form item per field, its rules from the same
// description, so a new tool or a changed limit needs no console release.

function useRules(field: ToolField): Rule[] {
  const { t } = useI18n();
  const rules: Rule[] = [];
  const label = field.label;
  if (field.kind === 'tags') {
    if (field.required) rules.push({ required: true, type: 'array', min: 1, message: t('creator.form.required', { label }) });
    if (field.max_items !== undefined) rules.push({ type: 'array', max: field.max_items, message: t('creator.form.maxItems', { label, max: field.max_items }) });
    if (field.max_length !== undefined) {
      const max = field.max_length;
      rules.push({
        validator: (_, value?: string[]) =>
          (value ?? []).every((v) => v.length <= max) ? Promise.resolve() : Promise.reject(new Error(t('creator.form.maxLength', { label, max }))),
      });
    }
    return rules;
  }
  if (field.kind === 'number') {
    if (field.required) rules.push({ required: true, type: 'number', message: t('creator.form.required', { label }) });
    return rules;
  }
  if (field.required) rules.push({ required: true, whitespace: true, message: t('creator.form.required', { label }) });
  if (field.max_length !== undefined) rules.push({ max: field.max_length, message: t('creator.form.maxLength', { label, max: field.max_length }) });
  return rules;
}

/** The control for a field; Form.Item gives it its value and onChange. */
function fieldControl(field: ToolField): ReactElement {
  switch (field.kind) {
    case 'textarea':
      return <Input.TextArea autoSize={{ minRows: 3, maxRows: 10 }} maxLength={field.max_length} showCount={field.max_length !== undefined} />;
    case 'tags':
      return <Select mode="tags" maxCount={field.max_items} tokenSeparators={[',', '，', '、']} notFoundContent={null} />;
    case 'select':
      return <Select options={field.options ?? []} />;
    case 'number':
      return <InputNumber min={field.min} max={field.max} style={{ width: '100%' }} />;
    default:
      return <Input maxLength={field.max_length} />;
  }
}

export function ToolFieldItem({ field }: { field: ToolField }) {
  const { t } = useI18n();
  const rules = useRules(field);
  const extra =
    field.kind === 'tags' ? t('creator.form.tagsHint')
      : field.kind === 'number' && field.min !== undefined && field.max !== undefined ? t('creator.form.range', { min: field.min, max: field.max })
        : undefined;
  return (
    <Form.Item name={field.name} label={field.label} rules={rules} required={field.required} extra={extra}>
      {fieldControl(field)}
    </Form.Item>
  );
}

/** The request body: what the creator filled in, trimmed, without the fields left empty. */
export function writingBody(fields: ToolField[], values: Record<string, unknown>): WritingBody {
  const body: WritingBody = {};
  for (const field of fields) {
    const value = values[field.name];
    if (typeof value === 'string' && value.trim() !== '') body[field.name] = value.trim();
    else if (typeof value === 'number') body[field.name] = value;
    else if (Array.isArray(value)) {
      const items = value.map((v) => String(v).trim()).filter((v) => v !== '');
      if (items.length > 0) body[field.name] = items;
    }
  }
  if (typeof values.model_id === 'number') body.model_id = values.model_id;
  return body;
}
