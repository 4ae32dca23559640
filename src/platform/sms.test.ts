import { describe, expect, it } from 'vitest';
import { maskPhone, normalizeMainlandPhone, SMS_TEMPLATES } from './sms.ts';

describe('mainland phone numbers', () => {
  it('accepts 11-digit mobile numbers, with or without +86', () => {
    expect(normalizeMainlandPhone('13812345678')).toBe('13812345678');
    expect(normalizeMainlandPhone('+8613812345678')).toBe('13812345678');
    expect(normalizeMainlandPhone('8619912345678')).toBe('19912345678');
    expect(normalizeMainlandPhone(' 15012345678 ')).toBe('15012345678');
  });

  it('refuses landlines, wrong lengths, a second digit below 3 and other text', () => {
    for (const bad of ['12812345678', '1381234567', '138123456789', '+8612812345678', '+1 13812345678', '138-1234-5678', '', 'abc']) {
      expect(normalizeMainlandPhone(bad), bad).toBeUndefined();
    }
  });

  it('masks the middle four digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
});

describe('SMS templates', () => {
  it('put the code and its lifetime in the text', () => {
    const text = SMS_TEMPLATES.withdraw_verification({ code: '024681', minutes: '5' });
    expect(text).toContain('024681');
    expect(text).toContain('5 分钟');
    expect(SMS_TEMPLATES.phone_verification({ code: '135790', minutes: '5' })).toContain('135790');
  });
});
