import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, ipAllowed, maskKey, parseIpRule } from './api-keys.service.ts';

describe('parseIpRule', () => {
  it.each([
    ['10.1.2.3', { address: '10.1.2.3', prefix: 32, family: 'ipv4' }],
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['10.0.0.5/8', { address: '10.0.0.5', prefix: 8, family: 'ipv4' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
    ['::ffff:10.0.0.0/104', { address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' }],
  ])('reads %s', (rule, expected) => {
    expect(parseIpRule(rule)).toEqual(expected);
  });

  it.each([
    '',
    'localhost',
    '10.0.0',
    '256.0.0.1',
    '010.0.0.1',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '10.0.0.0/8/16',
    '10.0.0.0/8.0',
    '10.0.0.0/+8',
    '10.0.0.0/ 8',
    '10.0.0.0/0x8',
    '2001:db8::/129',
    '2001:db8:::1',
    '/8',
  ])('refuses %j', (rule) => {
    expect(parseIpRule(rule)).toBeUndefined();
  });
});

describe('ipAllowed', () => {
  it.each([
    [['10.0.0.0/8'], '10.255.255.255', true],
    [['10.0.0.0/8'], '11.0.0.0', false],
    [['10.0.0.0/8'], '9.255.255.255', false],
    [['192.168.1.7'], '192.168.1.7', true],
    [['192.168.1.7'], '192.168.1.8', false],
    [['172.16.0.0/12'], '172.31.255.1', true],
    [['172.16.0.0/12'], '172.32.0.1', false],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['10.0.0.0/8'], '::ffff:10.1.2.3', true],
    [['10.0.0.0/8'], '::ffff:11.1.2.3', false],
    [['::ffff:10.0.0.0/104'], '10.1.2.3', true],
    [['127.0.0.1'], '::ffff:127.0.0.1', true],
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['::1'], '::1', true],
    [['::1'], '127.0.0.1', false],
    [['10.0.0.0/8', '2001:db8::/32'], '2001:db8::5', true],
    [['10.0.0.0/8', '2001:db8::/32'], '192.0.2.1', false],
  ])('rules %j and caller %s → %s', (rules, ip, expected) => {
    expect(ipAllowed(rules, ip)).toBe(expected);
  });

  it('refuses everything for an empty list (callers skip the check when no list is set)', () => {
    expect(ipAllowed([], '10.0.0.1')).toBe(false);
  });

  it('refuses a caller address that is not an IP', () => {
    expect(ipAllowed(['0.0.0.0/0'], 'unknown')).toBe(false);
    expect(ipAllowed(['0.0.0.0/0'], '')).toBe(false);
  });

  it('ignores stored rules that no longer parse instead of throwing', () => {
    expect(ipAllowed(['garbage', '10.0.0.0/8'], '10.0.0.1')).toBe(true);
    expect(ipAllowed(['garbage'], '10.0.0.1')).toBe(false);
  });
});

describe('key format', () => {
  it('masks a key as sk-… plus its last 4 characters', () => {
    expect(maskKey('Ab12')).toBe('sk-…Ab12');
  });

  it.each([
    [`sk-${'a'.repeat(48)}`, true],
    [`sk-${'A1'.repeat(24)}`, true],
    [`sk-${'a'.repeat(47)}`, false],
    [`sk-${'a'.repeat(49)}`, false],
    [`sk-${'a'.repeat(47)}-`, false],
    [`pk-${'a'.repeat(48)}`, false],
    [`sk-${'a'.repeat(48)}\n`, false],
  ])('recognises %j as a key: %s', (text, expected) => {
    expect(API_KEY_PATTERN.test(text)).toBe(expected);
  });
});
