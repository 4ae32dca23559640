import type { Messages } from '../i18n.tsx';

// The supplier pages' messages.
export const supplier: Messages = {
  'zh-CN': {},
  en: {},
};
