import type { Messages } from '../i18n.tsx';
import { supplierEn } from './supplier.en.ts';
import { supplierZh } from './supplier.zh-CN.ts';

// The supplier pages' messages: supply accounts, packages, earnings and settlement.
export const supplier: Messages = { 'zh-CN': supplierZh, en: supplierEn };
