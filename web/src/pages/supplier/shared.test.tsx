import { describe, expect, it } from 'vitest';
import { accountActions, decimalPlaces, packageActions, sellingAccount, validUnitPrice, withdrawFee } from './shared.tsx';

describe('supplier page rules', () => {
  it('offers account actions only where the API allows them', () => {
    expect(accountActions({ status: 'pending', review_status: 'not_required' })).toEqual({ activate: true, suspend: false, remove: true });
    expect(accountActions({ status: 'pending', review_status: 'required' })).toEqual({ activate: false, suspend: false, remove: true });
    expect(accountActions({ status: 'suspended', review_status: 'approved' })).toEqual({ activate: true, suspend: false, remove: true });
    expect(accountActions({ status: 'active', review_status: 'not_required' })).toEqual({ activate: false, suspend: true, remove: false });
    expect(accountActions({ status: 'disabled', review_status: 'rejected' })).toEqual({ activate: false, suspend: false, remove: true });
    expect(sellingAccount({ status: 'active', review_status: 'approved' })).toBe(true);
    expect(sellingAccount({ status: 'active', review_status: 'required' })).toBe(false);
  });

  it('offers package actions only where the API allows them', () => {
    const on = (status: Parameters<typeof packageActions>[0]['status']) =>
      Object.entries(packageActions({ status })).filter(([, v]) => v).map(([k]) => k);
    expect(on('draft')).toEqual(['publish', 'reprice']);
    expect(on('active')).toEqual(['pause', 'unlist', 'reprice']);
    expect(on('paused')).toEqual(['publish', 'unlist', 'reprice']);
    expect(on('sold_out')).toEqual([]);
    expect(on('expired')).toEqual(['clone']);
  });

  it('checks unit prices as the API does: ≥ 0, ≤ 1 000 000, at most 4 decimals', () => {
    expect([1.2345, 0, 1_000_000, 0.0001].every(validUnitPrice)).toBe(true);
    expect([1.23456, -0.01, 1_000_001, null, Number.NaN, 1e-7].some(validUnitPrice)).toBe(false);
    expect(decimalPlaces(2)).toBe(0);
    expect(decimalPlaces(0.1 + 0.2)).toBe(17);
  });

  it('previews the withdrawal fee: 1 % rounded half-up to the fen', () => {
    expect(withdrawFee(1000)).toEqual({ fee: 10, net: 990 });
    expect(withdrawFee(0.5)).toEqual({ fee: 0.01, net: 0.49 });
    expect(withdrawFee(0.49)).toEqual({ fee: 0, net: 0.49 });
    expect(withdrawFee(123.45)).toEqual({ fee: 1.23, net: 122.22 });
    expect(withdrawFee(50_000)).toEqual({ fee: 500, net: 49_500 });
  });
});
