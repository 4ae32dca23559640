import type { Messages } from '../i18n.tsx';
import { buyerEn } from './buyer.en.ts';
import { buyerZh } from './buyer.zh-CN.ts';
import { rewardsEn } from './rewards.en.ts';
import { rewardsZh } from './rewards.zh-CN.ts';

// The buyer pages' messages: overview, API keys, usage log, recharge & membership, coupons, quick start; the rewards
// page (referrals, activities) keeps its own in rewards.*.ts.
export const buyer: Messages = { 'zh-CN': { ...buyerZh, ...rewardsZh }, en: { ...buyerEn, ...rewardsEn } };
