import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider, type Locale } from '../i18n/i18n.tsx';
import { balanceYuan, dateTime, money, percent, useFormat, wholeCredits, yuan } from './format.ts';

describe('format', () => {
  it('renders CNY and ratios', () => {
    expect(yuan(12.5)).toBe('¥12.50');
    expect(yuan(1.23456, 4)).toBe('¥1.2346');
    expect(yuan(undefined)).toBe('—');
    expect(percent(0.9876)).toBe('98.8%');
  });

  it('shows a charge or a debt with 2 decimals, and one under a fen as "<¥0.01", not as free', () => {
    expect(money(12.345678)).toBe('¥12.35');
    expect(money(5)).toBe('¥5.00');
    expect(money(0.000058)).toBe('<¥0.01');
    expect(money(0.004999)).toBe('<¥0.01');
    expect(money(0.005)).toBe('¥0.01');
    expect(money(0)).toBe('¥0.00');
    expect(money(null)).toBe('—');
  });

  it('cuts a balance to the fen instead of rounding it up, without float noise', () => {
    expect(balanceYuan(12.345678)).toBe('¥12.34');
    expect(balanceYuan(12.349999)).toBe('¥12.34');
    expect(balanceYuan(0.29)).toBe('¥0.29');
    expect(balanceYuan(0)).toBe('¥0.00');
    expect(balanceYuan(undefined)).toBe('—');
  });

  it('shows credits as whole numbers, as the studio spec does', () => {
    expect(wholeCredits(123.45678)).toBe('123');
    expect(wholeCredits(1234567.9)).toBe('1,234,567');
    expect(wholeCredits(0)).toBe('0');
    expect(wholeCredits(undefined)).toBe('—');
  });
});

describe('dates in the console’s language', () => {
  // Noon in Beijing: the same calendar day in every time zone from UTC−4 to UTC+12.
  const iso = '2026-11-26T12:00:00';

  it('renders the same server time differently in zh-CN and en', () => {
    const zh = dateTime(iso, 'zh-CN');
    const en = dateTime(iso, 'en');
    expect(zh).toMatch(/^2026\/11\/26 \d\d:\d\d:\d\d$/);
    expect(en).toMatch(/^Nov 26, 2026, \d\d:\d\d:\d\d$/);
    expect(dateTime(`${iso}+08:00`, 'en')).toBe(en);
    expect(dateTime(iso, 'en', 'minute')).toBe(en.slice(0, -3));
    expect(dateTime(iso, 'zh-CN', 'minute')).toBe(zh.slice(0, -3));
    expect(dateTime(null, 'en')).toBe('—');
  });

  function Shown({ at }: { at: string }) {
    return <span data-testid="shown">{useFormat().dateTime(at)}</span>;
  }

  it.each<[Locale, RegExp]>([
    ['zh-CN', /^2026\/11\/26 /],
    ['en', /^Nov 26, 2026, /],
  ])('useFormat follows the i18n provider’s language (%s)', (locale, expected) => {
    render(
      <I18nProvider initial={locale}>
        <Shown at={iso} />
      </I18nProvider>,
    );
    expect(screen.getByTestId('shown').textContent).toMatch(expected);
  });
});
