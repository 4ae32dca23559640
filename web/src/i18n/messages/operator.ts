import type { Messages } from '../i18n.tsx';
import { operatorEn } from './operator.en.ts';
import { operatorZh } from './operator.zh-CN.ts';

// The operator pages' messages (`op.*`).
export const operator: Messages = { 'zh-CN': operatorZh, en: operatorEn };
