import type { Messages } from '../i18n.tsx';

// The operator pages' messages.
export const operator: Messages = {
  'zh-CN': {},
  en: {},
};
