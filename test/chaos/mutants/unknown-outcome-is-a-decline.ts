// Mutant: an unknown processor outcome (timeout, 5xx) of a confirmation is recorded as a decline instead of retried.
import { StripeCardProcessor as RealStripeCardProcessor } from '../../../functions/adapters/processor/stripe-card-processor.ts';
import { ProcessorUnavailableError } from '../../../functions/domain/errors.ts';
import type { PaymentState } from '../../../functions/domain/ports.ts';

export * from '../../../functions/adapters/processor/stripe-card-processor.ts';

export class StripeCardProcessor extends RealStripeCardProcessor {
  override async confirmPayment(paymentId: string, idempotencyKey: string): Promise<PaymentState> {
    try {
      return await super.confirmPayment(paymentId, idempotencyKey);
    } catch (error) {
      if (error instanceof ProcessorUnavailableError) return { kind: 'failed', paymentId, code: 'processing_error', declineCode: null, message: error.message };
      throw error;
    }
  }
}
