import { captureRequestFor, type ChargeStatus } from './charge.ts';
import { PoisonMessageError, ProcessorUnavailableError } from './errors.ts';
import type { CardProcessor, ChargeRepository } from './ports.ts';

export interface ProcessChargeDeps {
  charges: ChargeRepository;
  processor: CardProcessor;
  now: () => number;
}

export interface ProcessChargeInput {
  chargeId: string;
  /** Unique per attempt: who holds the lease. */
  leaseOwner: string;
  /** How long this attempt may run (the rest of the invocation); the lease lasts that long. */
  leaseDurationMs: number;
}

export type ProcessChargeOutcome =
  /** The charge reached a terminal status, now or earlier; the message is done. */
  | { kind: 'final'; status: ChargeStatus }
  /** Another attempt holds a live lease; look again once it has expired. */
  | { kind: 'busy'; retryAfterMs: number }
  /** The processor failed transiently or its outcome is unknown; retry with backoff. */
  | { kind: 'retry'; attempt: number; reason: string };

/**
 * The worker's use case: claim the charge under a lease, ask the processor to capture it
 * with the charge's stable idempotency key, record the outcome under the same lease.
 * Throws {@link PoisonMessageError} for a charge that does not exist.
 */
export async function processCharge(deps: ProcessChargeDeps, input: ProcessChargeInput): Promise<ProcessChargeOutcome> {
  const claimedAt = deps.now();
  const claim = await deps.charges.claim(
    input.chargeId,
    { owner: input.leaseOwner, expiresAt: claimedAt + input.leaseDurationMs },
    claimedAt,
  );
  switch (claim.kind) {
    case 'not_found':
      throw new PoisonMessageError(`No charge ${input.chargeId}`);
    case 'final':
      return { kind: 'final', status: claim.status };
    case 'leased':
      return { kind: 'busy', retryAfterMs: Math.max(0, claim.lease.expiresAt - claimedAt) };
    case 'claimed':
      break;
  }

  const { charge, attempts } = claim.record;
  let outcome;
  try {
    outcome = await deps.processor.capture(captureRequestFor(charge));
  } catch (error) {
    if (!(error instanceof ProcessorUnavailableError)) throw error;
    await deps.charges.release(charge.id, input.leaseOwner, deps.now());
    return { kind: 'retry', attempt: attempts, reason: error.message };
  }

  const completed = await deps.charges.complete(charge.id, input.leaseOwner, outcome, deps.now());
  if (completed.kind === 'lease_lost') {
    // Our lease expired and another attempt took over. It asks the processor the same
    // question with the same key, so it records the same outcome; nothing is lost.
    return { kind: 'busy', retryAfterMs: 0 };
  }
  return { kind: 'final', status: outcome.kind };
}
