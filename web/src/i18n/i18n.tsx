import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { buyer } from './messages/buyer.ts';
import { checkout } from './messages/checkout.ts';
import { common } from './messages/common.ts';
import { creator } from './messages/creator.ts';
import { operator } from './messages/operator.ts';
import { supplier } from './messages/supplier.ts';

// Two languages, zh-CN (default) and en. Messages live per area (messages/*.ts), each key in both languages; `t`
// fills `{name}` placeholders. The choice is remembered in localStorage.

export type Locale = 'zh-CN' | 'en';
export type Messages = Record<Locale, Record<string, string>>;

const ALL: Messages = {
  'zh-CN': { ...common['zh-CN'], ...buyer['zh-CN'], ...checkout['zh-CN'], ...creator['zh-CN'], ...supplier['zh-CN'], ...operator['zh-CN'] },
  en: { ...common.en, ...buyer.en, ...checkout.en, ...creator.en, ...supplier.en, ...operator.en },
};

const KEY = 'tollgate.locale';

export function translate(locale: Locale, key: string, vars?: Record<string, string | number>): string {
  const text = ALL[locale][key] ?? ALL['zh-CN'][key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (vars[name] === undefined ? m : String(vars[name]))) : text;
}

interface I18nValue {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: string, vars?: Record<string, string | number>): string;
}

const I18nContext = createContext<I18nValue | undefined>(undefined);

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(() => initial ?? ((localStorage.getItem(KEY) as Locale | null) === 'en' ? 'en' : 'zh-CN'));
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(KEY, next);
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);
  const value = useMemo(() => ({ locale, setLocale, t: (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars) }), [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
