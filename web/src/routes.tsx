import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from './auth/session.tsx';

// Every page of the console: where it lives, who sees it, its menu label. Pages load lazily (one chunk each).

export type Group = 'buyer' | 'creator' | 'supplier' | 'operator';

export interface PageRoute {
  path: string;
  label: string;
  group: Group;
  icon: string;
  /** Who may open it; everyone signed in when absent. */
  roles?: Role[];
  component: LazyExoticComponent<ComponentType>;
}

const page = (load: () => Promise<{ default: ComponentType }>) => lazy(load);

export const ROUTES: PageRoute[] = [
  { path: '/', label: 'nav.dashboard', group: 'buyer', icon: 'dashboard', component: page(() => import('./pages/buyer/Dashboard.tsx')) },
  { path: '/keys', label: 'nav.keys', group: 'buyer', icon: 'key', component: page(() => import('./pages/buyer/Keys.tsx')) },
  { path: '/usage', label: 'nav.usage', group: 'buyer', icon: 'usage', component: page(() => import('./pages/buyer/Usage.tsx')) },
  { path: '/billing', label: 'nav.billing', group: 'buyer', icon: 'wallet', component: page(() => import('./pages/buyer/Billing.tsx')) },
  { path: '/rewards', label: 'nav.rewards', group: 'buyer', icon: 'rewards', component: page(() => import('./pages/buyer/Rewards.tsx')) },
  { path: '/quickstart', label: 'nav.quickstart', group: 'buyer', icon: 'code', component: page(() => import('./pages/buyer/QuickStart.tsx')) },
  { path: '/studio/tools', label: 'nav.studioTools', group: 'creator', icon: 'write', component: page(() => import('./pages/creator/Tools.tsx')) },
  { path: '/studio/image', label: 'nav.studioImage', group: 'creator', icon: 'image', component: page(() => import('./pages/creator/Image.tsx')) },
  { path: '/studio/video', label: 'nav.studioVideo', group: 'creator', icon: 'video', component: page(() => import('./pages/creator/Video.tsx')) },
  { path: '/studio/ppt', label: 'nav.studioPpt', group: 'creator', icon: 'slides', component: page(() => import('./pages/creator/Ppt.tsx')) },
  { path: '/studio/creations', label: 'nav.creations', group: 'creator', icon: 'creations', component: page(() => import('./pages/creator/Creations.tsx')) },
  { path: '/studio/publishing', label: 'nav.publishing', group: 'creator', icon: 'publish', component: page(() => import('./pages/creator/Publishing.tsx')) },
  { path: '/supply/accounts', label: 'nav.accounts', group: 'supplier', icon: 'cloud', component: page(() => import('./pages/supplier/Accounts.tsx')) },
  { path: '/supply/packages', label: 'nav.packages', group: 'supplier', icon: 'package', component: page(() => import('./pages/supplier/Packages.tsx')) },
  { path: '/supply/earnings', label: 'nav.earnings', group: 'supplier', icon: 'money', component: page(() => import('./pages/supplier/Earnings.tsx')) },
  { path: '/admin/statistics', label: 'nav.statistics', group: 'operator', icon: 'chart', roles: ['admin'], component: page(() => import('./pages/operator/Statistics.tsx')) },
  { path: '/admin/users', label: 'nav.users', group: 'operator', icon: 'team', roles: ['admin'], component: page(() => import('./pages/operator/Users.tsx')) },
  { path: '/admin/channels', label: 'nav.channels', group: 'operator', icon: 'api', roles: ['admin'], component: page(() => import('./pages/operator/Channels.tsx')) },
  { path: '/admin/supply-review', label: 'nav.review', group: 'operator', icon: 'audit', roles: ['admin'], component: page(() => import('./pages/operator/SupplyReview.tsx')) },
  { path: '/admin/withdrawals', label: 'nav.withdrawals', group: 'operator', icon: 'bank', roles: ['admin'], component: page(() => import('./pages/operator/Withdrawals.tsx')) },
  { path: '/admin/coupons', label: 'nav.coupons', group: 'operator', icon: 'gift', roles: ['admin'], component: page(() => import('./pages/operator/Coupons.tsx')) },
  { path: '/admin/activities', label: 'nav.activities', group: 'operator', icon: 'activity', roles: ['admin'], component: page(() => import('./pages/operator/Activities.tsx')) },
  { path: '/admin/referrals', label: 'nav.referrals', group: 'operator', icon: 'referral', roles: ['admin'], component: page(() => import('./pages/operator/Referrals.tsx')) },
  { path: '/admin/orders', label: 'nav.orders', group: 'operator', icon: 'orders', roles: ['admin'], component: page(() => import('./pages/operator/Orders.tsx')) },
  { path: '/admin/health', label: 'nav.health', group: 'operator', icon: 'health', roles: ['admin'], component: page(() => import('./pages/operator/Health.tsx')) },
];

export const allowed = (route: PageRoute, role: Role | undefined) => !route.roles || (role !== undefined && route.roles.includes(role));
