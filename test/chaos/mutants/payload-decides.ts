// Mutant: processor events are decided from their payload (the event as Stripe rendered it when it
// happened) instead of a retrieve, and a dispute is written as the payload says, whatever is stored:
// events that arrive late or out of order leave the older state.
import type Stripe from 'stripe';
import { disputeIdFor, type DisputeStatus } from '../../../functions/domain/dispute.ts';
import type { ProcessorEventNotice } from '../../../functions/domain/ports.ts';
import { handleProcessorEvent as realHandle, objectKindOf, type HandledEvent, type HandleInput, type HandleProcessorEventDeps } from '../../../functions/domain/processor-events.ts';

export * from '../../../functions/domain/processor-events.ts';

export async function handleProcessorEvent(deps: HandleProcessorEventDeps, notice: ProcessorEventNotice, input: HandleInput): Promise<HandledEvent> {
  if (objectKindOf(notice.type) !== 'dispute') return realHandle(deps, notice, input);
  // The adapter's Stripe client for its current key (a private method: this is a mutant).
  const stripe = await (deps.source as unknown as { client(): Promise<Stripe> }).client();
  const event = await stripe.events.retrieve(notice.id);
  const payload = event.data.object as Stripe.Dispute;
  const disputeId = disputeIdFor(payload.id);
  const stored = await deps.disputes.get(disputeId);
  if (!stored) return realHandle(deps, notice, input);
  await deps.disputes.record({ ...stored, status: payload.status as DisputeStatus, isChargeRefundable: payload.is_charge_refundable, updatedAt: deps.now() }, stored.status);
  return { kind: 'done', effect: `dispute ${disputeId} → ${payload.status} (from the payload)` };
}
