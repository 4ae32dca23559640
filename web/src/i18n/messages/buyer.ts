import type { Messages } from '../i18n.tsx';

// The buyer pages' messages.
export const buyer: Messages = {
  'zh-CN': {},
  en: {},
};
