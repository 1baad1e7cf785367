// Mutant: a payment the processor has not decided (`processing`) is recorded as failed.
import { StripeCardProcessor as RealStripeCardProcessor } from '../../../functions/adapters/processor/stripe-card-processor.ts';
import type { PaymentState } from '../../../functions/domain/ports.ts';

export * from '../../../functions/adapters/processor/stripe-card-processor.ts';

const finalOrFailed = (state: PaymentState): PaymentState =>
  state.kind === 'not_final' ? { kind: 'failed', paymentId: state.paymentId, code: 'processing_error', declineCode: null, message: state.status } : state;

export class StripeCardProcessor extends RealStripeCardProcessor {
  override async confirmPayment(paymentId: string, idempotencyKey: string): Promise<PaymentState> {
    return finalOrFailed(await super.confirmPayment(paymentId, idempotencyKey));
  }

  override async retrievePayment(paymentId: string): Promise<PaymentState> {
    return finalOrFailed(await super.retrievePayment(paymentId));
  }
}
