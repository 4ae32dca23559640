import type { Messages } from '../i18n.tsx';
import { creatorEn } from './creator.en.ts';
import { creatorZh } from './creator.zh-CN.ts';

// The creator studio's messages: writing tools, image, video, PPT, my creations.
export const creator: Messages = { 'zh-CN': creatorZh, en: creatorEn };
