import type { Messages } from '../i18n.tsx';
import { operationsEn } from './operations.en.ts';
import { operationsZh } from './operations.zh-CN.ts';
import { operatorEn } from './operator.en.ts';
import { operatorZh } from './operator.zh-CN.ts';

// The operator pages' messages (`op.*`); activities and statistics keep theirs in operations.*.ts.
export const operator: Messages = { 'zh-CN': { ...operatorZh, ...operationsZh }, en: { ...operatorEn, ...operationsEn } };
