// Mutant: the processor idempotency key is no longer stable per charge.
import { randomUUID } from 'node:crypto';

export * from '../../../functions/domain/charge.ts';

export function processorIdempotencyKey(chargeId: string): string {
  return `oncepay_${chargeId}_${randomUUID()}`;
}
