// Mutant: the worker confirms the payment it has just created, not the one recorded on the charge.
import { confirmKeyFor, isTerminal, paymentRequestFor, prepareKeyFor } from '../../../functions/domain/charge.ts';
import { PoisonMessageError, ProcessorUnavailableError } from '../../../functions/domain/errors.ts';
import type { ProcessChargeDeps, ProcessChargeInput, ProcessChargeOutcome } from '../../../functions/domain/process-charge.ts';

export * from '../../../functions/domain/process-charge.ts';

export async function processCharge(deps: ProcessChargeDeps, input: ProcessChargeInput): Promise<ProcessChargeOutcome> {
  const current = await deps.charges.get(input.chargeId);
  if (!current) throw new PoisonMessageError(`No charge ${input.chargeId}`);
  if (isTerminal(current.charge.status)) return { kind: 'final', status: current.charge.status };
  const now = deps.now();
  try {
    const prepared = await deps.processor.preparePayment(paymentRequestFor(current.charge), prepareKeyFor(current.charge.id, current.prepareKeyAttempt));
    if (prepared.kind !== 'prepared') return { kind: 'retry', attempt: 1, reason: prepared.code };
    const claim = await deps.charges.claim(input.chargeId, { owner: input.leaseOwner, expiresAt: now + input.leaseDurationMs }, now, prepared.paymentId);
    if (claim.kind === 'final') return { kind: 'final', status: claim.status };
    if (claim.kind !== 'claimed') return { kind: 'busy', retryAfterMs: 1000 };
    try {
      const state = await deps.processor.confirmPayment(prepared.paymentId, confirmKeyFor(current.charge.id, claim.record.attempts));
      if (state.kind === 'succeeded' || state.kind === 'failed') {
        await deps.charges.complete(input.chargeId, input.leaseOwner, state, deps.now());
        return { kind: 'final', status: state.kind };
      }
      await deps.charges.release(input.chargeId, input.leaseOwner, deps.now());
      return { kind: 'retry', attempt: claim.record.attempts, reason: state.kind };
    } catch (error) {
      await deps.charges.release(input.chargeId, input.leaseOwner, deps.now());
      throw error;
    }
  } catch (error) {
    if (error instanceof ProcessorUnavailableError) return { kind: 'retry', attempt: current.attempts + 1, reason: error.message };
    throw error;
  }
}
