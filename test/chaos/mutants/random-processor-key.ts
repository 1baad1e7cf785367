// Mutant: the processor idempotency key is no longer stable per charge.
import { randomUUID } from 'node:crypto';
import { captureRequestFor as stableCaptureRequestFor, type Charge } from '../../../functions/domain/charge.ts';
import type { CaptureRequest } from '../../../functions/domain/ports.ts';

export * from '../../../functions/domain/charge.ts';

export function processorIdempotencyKey(chargeId: string): string {
  return `oncepay_${chargeId}_${randomUUID()}`;
}

export function captureRequestFor(charge: Charge): CaptureRequest {
  return { ...stableCaptureRequestFor(charge), idempotencyKey: processorIdempotencyKey(charge.id) };
}
