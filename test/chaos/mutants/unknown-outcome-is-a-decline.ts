// Mutant: an unknown processor outcome (timeout, 5xx) is recorded as a decline instead of retried.
import { StripeCardProcessor as RealStripeCardProcessor } from '../../../functions/adapters/processor/stripe-card-processor.ts';
import { ProcessorUnavailableError } from '../../../functions/domain/errors.ts';
import type { CaptureRequest, ProcessorOutcome } from '../../../functions/domain/ports.ts';

export * from '../../../functions/adapters/processor/stripe-card-processor.ts';

export class StripeCardProcessor extends RealStripeCardProcessor {
  override async capture(request: CaptureRequest): Promise<ProcessorOutcome> {
    try {
      return await super.capture(request);
    } catch (error) {
      if (error instanceof ProcessorUnavailableError) return { kind: 'failed', paymentId: null, code: 'processing_error', message: error.message };
      throw error;
    }
  }
}
