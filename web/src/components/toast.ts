import type { MessageInstance } from 'antd/es/message/interface';

// Toasts from anywhere (query errors arrive outside React): AntD's message API of the mounted app.
let instance: MessageInstance | undefined;

export const toast = {
  attach(m: MessageInstance) {
    instance = m;
  },
  error: (text: string) => void instance?.error(text),
  success: (text: string) => void instance?.success(text),
};
