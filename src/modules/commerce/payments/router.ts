import { AppError } from '../../../platform/errors.ts';
import type { PaymentMethod } from '../commerce.tables.ts';
import type { PaymentProvider } from './provider.ts';

/**
 * Which provider serves each payment method. A method whose real provider is not configured goes through the
 * sandbox, so the studio API stays the spec's in development (DESIGN.md §7).
 */
export function createPaymentRouter(providers: PaymentProvider[]) {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const sandbox = byName.get('sandbox');
  return {
    forMethod(method: Exclude<PaymentMethod, 'balance'>): PaymentProvider {
      const provider = byName.get(method) ?? sandbox;
      if (!provider) throw new AppError('PAYMENT_FAILED', `Payment method ${method} is not available`);
      return provider;
    },
    byName(name: string): PaymentProvider {
      const provider = byName.get(name);
      if (!provider) throw new AppError('PAYMENT_FAILED', `Payment provider ${name} is not configured`);
      return provider;
    },
    has: (name: string) => byName.has(name),
    /** Where each provider posts its notices (the sandbox uses the studio seed's callback route). */
    notifyPath: (name: string) => (name === 'sandbox' ? '/api/v1/credit/payment/callback' : `/api/v1/payments/${name}/notify`),
  };
}

export type PaymentRouter = ReturnType<typeof createPaymentRouter>;
