import type { Messages } from '../i18n.tsx';
import { buyerEn } from './buyer.en.ts';
import { buyerZh } from './buyer.zh-CN.ts';

// The buyer pages' messages: overview, API keys, usage log, recharge & membership, coupons, quick start.
export const buyer: Messages = { 'zh-CN': buyerZh, en: buyerEn };
