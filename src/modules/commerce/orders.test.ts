import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderRow } from './commerce.tables.ts';
import { orderDescription, paymentPostings } from './order-payment.ts';
import { newOrderNo } from './orders.service.ts';

// The pure parts of orders: order numbers, and the ledger postings that pay an order.

const order = (o: Partial<OrderRow>): OrderRow => ({
  id: 1, orderNo: 'R20260301120000000001', userId: 7, kind: 'recharge', status: 'pending', paymentMethod: 'alipay', provider: 'sandbox',
  listAmount: 10_000_000n, discount: 0n, payAmount: 10_000_000n, credits: 10_000_000n, bonusCredits: 0n, membershipType: null,
  couponClaimId: null, activityId: null, paymentUrl: null, providerTxnId: null, failureReason: null, createdAt: new Date(), updatedAt: new Date(),
  expiresAt: new Date(), paidAt: null, refundedAt: null, ...o,
});
const byAccount = (o: OrderRow) => Object.fromEntries(paymentPostings(o).map((p) => [p.account.code, p.amount]));

describe('newOrderNo', () => {
  it('is R or M, the UTC+8 wall time to the second, and 6 random digits', () => {
    const at = new Date('2026-01-22T02:00:00Z');
    expect(newOrderNo('recharge', at)).toMatch(/^R20260122100000\d{6}$/);
    expect(newOrderNo('membership', at)).toMatch(/^M20260122100000\d{6}$/);
  });

  it('takes the UTC+8 date across midnight UTC', () => {
    expect(newOrderNo('recharge', new Date('2026-12-31T16:30:00Z'))).toMatch(/^R20270101003000\d{6}$/);
  });
});

describe('paymentPostings', () => {
  it('credits the wallet of a provider-paid recharge from the provider clearing account', () => {
    expect(byAccount(order({}))).toEqual({ 'clearing:sandbox': -10_000_000n, 'user:7:wallet': 10_000_000n });
  });

  it('books a coupon discount and bonus credits as promotion expense', () => {
    const o = order({ discount: 1_000_000n, payAmount: 9_000_000n, bonusCredits: 2_000_000n });
    expect(byAccount(o)).toEqual({ 'clearing:sandbox': -9_000_000n, 'platform:promo_expense': -3_000_000n, 'user:7:wallet': 12_000_000n });
  });

  it('pays a balance membership from the wallet into platform revenue at list price', () => {
    const o = order({ kind: 'membership', provider: 'balance', paymentMethod: 'balance', membershipType: 'monthly', listAmount: 9_900_000n, payAmount: 9_900_000n, credits: 0n });
    expect(byAccount(o)).toEqual({ 'user:7:wallet': -9_900_000n, 'platform:revenue': 9_900_000n });
  });

  it('keeps every order balanced: the postings sum to zero and none is zero', () => {
    const arb = fc.record({
      kind: fc.constantFrom('recharge' as const, 'membership' as const),
      provider: fc.constantFrom('sandbox', 'alipay', 'wechat', 'balance'),
      list: fc.bigInt({ min: 10_000n, max: 50_000_000_000n }),
      discountShare: fc.integer({ min: 0, max: 100 }),
      bonus: fc.bigInt({ min: 0n, max: 10_000_000n }),
    });
    fc.assert(
      fc.property(arb, ({ kind, provider, list, discountShare, bonus }) => {
        const discount = ((list - 10_000n) * BigInt(discountShare)) / 100n;
        const o = order({
          kind, provider, listAmount: list, discount, payAmount: list - discount, bonusCredits: bonus,
          credits: kind === 'recharge' ? list : 0n, membershipType: kind === 'membership' ? 'monthly' : null,
        });
        const postings = paymentPostings(o);
        return postings.length >= 2 && postings.every((p) => p.amount !== 0n) && postings.reduce((s, p) => s + p.amount, 0n) === 0n;
      }),
    );
  });
});

describe('orderDescription', () => {
  it('names a recharge by its list price and a membership by its plan, with any bonus', () => {
    expect(orderDescription(order({}))).toBe('充值10.00元');
    expect(orderDescription(order({ bonusCredits: 2_000_000n }))).toBe('充值10.00元（赠送20积分）');
    expect(orderDescription(order({ kind: 'membership', membershipType: 'yearly' }))).toBe('购买年度会员');
  });
});
