import { isTerminal } from './charge.ts';
import { disputeCanMove, disputeIdFor, type Dispute } from './dispute.ts';
import { ProcessorConfigurationError, ProcessorUnavailableError } from './errors.ts';
import type {
  ChargeRepository,
  DisputeRepository,
  ProcessorEventInbox,
  ProcessorEventNotice,
  ProcessorEventSource,
  RefundRepository,
  WorkQueue,
} from './ports.ts';
import { isRefundTerminal } from './refund.ts';

/**
 * The processor events oncepay listens to, by what they name: a payment becoming final (so a
 * charge is final as soon as Stripe decides, not at the next reconciler pass), a refund changing
 * (Stripe fails some refunds after they succeeded), a dispute opening, moving or closing. Stripe's
 * endpoint is registered for exactly these; anything else is answered `200` and ignored.
 */
export const PROCESSOR_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.processing',
  'charge.refund.updated',
  'refund.updated',
  'refund.failed',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
] as const;

type ObjectKind = 'payment' | 'refund' | 'dispute';

/** What an event type names, or `null` for a type oncepay does not listen to. */
export function objectKindOf(type: string): ObjectKind | null {
  if (!(PROCESSOR_EVENT_TYPES as readonly string[]).includes(type)) return null;
  if (type.startsWith('payment_intent.')) return 'payment';
  return type.startsWith('charge.dispute.') ? 'dispute' : 'refund';
}

export interface ReceiveProcessorEventDeps {
  inbox: ProcessorEventInbox;
  queue: Pick<WorkQueue, 'enqueueProcessorEvent'>;
}

export type ReceiveOutcome = 'queued' | 'duplicate' | 'ignored';

/**
 * Takes in one processor event, from its webhook or from the reconciler's catch-up: records its id
 * once and queues it for the workers, so the receipt is quick and a slow or failing handler never
 * makes Stripe retry. A receipt that died between recording and queueing is finished by the next
 * receipt of the same id (Stripe's retry, or the catch-up). Throws if it could not queue: the
 * webhook then answers 5xx and Stripe sends the event again.
 */
export async function receiveProcessorEvent(deps: ReceiveProcessorEventDeps, notice: ProcessorEventNotice): Promise<ReceiveOutcome> {
  if (objectKindOf(notice.type) === null) return 'ignored';
  if ((await deps.inbox.record(notice)) === 'duplicate') return 'duplicate';
  await deps.queue.enqueueProcessorEvent(notice);
  await deps.inbox.markQueued(notice.id);
  return 'queued';
}

export interface HandleProcessorEventDeps {
  source: ProcessorEventSource;
  charges: Pick<ChargeRepository, 'get'>;
  refunds: Pick<RefundRepository, 'get' | 'failAfterSuccess'>;
  disputes: DisputeRepository;
  /**
   * Settles an open charge or refund an event names, and says what came of it: the worker passes
   * its own use cases; the reconciler (for a dead-lettered event) its own, which move no money.
   */
  settleCharge: (chargeId: string) => Promise<string>;
  settleRefund: (refundId: string) => Promise<string>;
  now: () => number;
}

export interface HandleInput {
  /** How many times this event's message was received: the backoff after a transient error grows with it. */
  attempt: number;
}

/** What looking into an event came to: done (with what it changed, for the log), or look again after a backoff. */
export type HandledEvent =
  | { kind: 'done'; effect: string }
  | { kind: 'retry' | 'misconfigured'; attempt: number; reason: string };

/** Attempts at writing a dispute when looks race: each conflict reads and asks again. */
const MAX_DISPUTE_WRITES = 3;

/**
 * Looks into what an event names and puts oncepay's books right. **The event's payload decides
 * nothing**: events arrive late, twice and out of order, so the object is retrieved by id
 * (strongly consistent) and oncepay moves only as far as the processor's state allows:
 *
 * - a payment: its charge, if still open, is settled (the worker's use case retrieves the
 *   recorded payment and records its outcome);
 * - a refund: an open one is settled the same way; a `succeeded` one the processor now calls
 *   `failed` fails, giving its amount back to the charge in one transaction;
 * - a dispute: written with its charge, compare-and-set on the status read before asking, so a
 *   look that raced a newer one never writes an older state.
 *
 * An event naming nothing of oncepay's (another system on the same account) is done with.
 * Transient processor errors leave the message to come back after a backoff.
 */
export async function handleProcessorEvent(deps: HandleProcessorEventDeps, notice: ProcessorEventNotice, input: HandleInput): Promise<HandledEvent> {
  try {
    switch (objectKindOf(notice.type)) {
      case 'payment':
        return await lookAtPayment(deps, notice.objectId);
      case 'refund':
        return await lookAtRefund(deps, notice.objectId, input.attempt);
      case 'dispute':
        return await lookAtDispute(deps, notice.objectId, input.attempt);
      case null:
        return done(`ignored: oncepay does not listen to ${notice.type}`);
    }
  } catch (error) {
    if (error instanceof ProcessorUnavailableError) return { kind: 'retry', attempt: input.attempt, reason: error.message };
    if (error instanceof ProcessorConfigurationError) return { kind: 'misconfigured', attempt: input.attempt, reason: error.message };
    throw error;
  }
}

const done = (effect: string): HandledEvent => ({ kind: 'done', effect });

async function lookAtPayment(deps: HandleProcessorEventDeps, paymentId: string): Promise<HandledEvent> {
  const owner = await deps.source.paymentOwner(paymentId);
  if (!owner) return done(`payment ${paymentId} is no oncepay charge's`);
  const record = await deps.charges.get(owner.chargeId);
  if (!record || record.charge.merchantId !== owner.merchantId) return done(`no charge ${owner.chargeId}`);
  if (isTerminal(record.charge.status)) return done(`charge ${owner.chargeId} is ${record.charge.status} already`);
  // Busy or not decided yet: the charge's own message and the reconciler look again.
  return done(`charge ${owner.chargeId}: ${await deps.settleCharge(owner.chargeId)}`);
}

async function lookAtRefund(deps: HandleProcessorEventDeps, processorRefundId: string, attempt: number): Promise<HandledEvent> {
  const { refundId, state } = await deps.source.refundOwner(processorRefundId);
  if (refundId === null) return done(`refund ${processorRefundId} is no oncepay refund's`);
  let record = await deps.refunds.get(refundId);
  if (!record) return done(`no refund ${refundId}`);
  if (record.processorRefundId !== null && record.processorRefundId !== processorRefundId) return done(`refund ${refundId} is ${record.processorRefundId}, not ${processorRefundId}`);
  if (!isRefundTerminal(record.refund.status)) {
    const settled = await deps.settleRefund(refundId);
    // Undecided at the processor: the refund stays open, and its next change makes another event.
    if (state.kind === 'not_final') return done(`refund ${refundId}: ${settled}`);
    // Decided, but another attempt still holds ours: it may record what it read before the
    // processor changed its mind (a success that has since failed), and nothing else would look
    // at a final refund again. Come back once it has let go.
    const after = await deps.refunds.get(refundId);
    if (!after || !isRefundTerminal(after.refund.status)) {
      return { kind: 'retry', attempt, reason: `refund ${refundId} is still open (${settled}); the processor says ${state.kind}` };
    }
    record = after;
  }
  if (record.refund.status === 'succeeded' && (state.kind === 'failed' || state.kind === 'canceled')) {
    const failed = await deps.refunds.failAfterSuccess(refundId, processorRefundId, state.reason, deps.now());
    return done(failed ? `refund ${refundId} failed after it succeeded (${state.reason}); its amount went back to the charge` : `refund ${refundId} failed already`);
  }
  if (record.refund.status === 'failed' && state.kind === 'succeeded') {
    return done(`DISAGREEMENT: refund ${refundId} is failed in oncepay, but the processor's ${processorRefundId} succeeded: a person must look`);
  }
  return done(`refund ${refundId} is ${record.refund.status}; the processor says ${state.kind}`);
}

async function lookAtDispute(deps: HandleProcessorEventDeps, processorDisputeId: string, attempt: number): Promise<HandledEvent> {
  const disputeId = disputeIdFor(processorDisputeId);
  for (let write = 1; write <= MAX_DISPUTE_WRITES; write += 1) {
    // Read ours before asking: what the processor answers is at least as new as what we hold.
    const stored = await deps.disputes.get(disputeId);
    const now = await deps.source.retrieveDispute(processorDisputeId);
    if (stored && stored.status !== now.status && !disputeCanMove(stored.status, now.status)) {
      return done(`dispute ${disputeId} is ${stored.status}; the processor's ${now.status} is not newer`);
    }
    let owner = stored ? { chargeId: stored.chargeId, merchantId: stored.merchantId } : null;
    if (!owner) {
      if (now.paymentId === null) return done(`dispute ${processorDisputeId} names no payment`);
      owner = await deps.source.paymentOwner(now.paymentId);
      if (!owner) return done(`dispute ${processorDisputeId} is of payment ${now.paymentId}, no oncepay charge's`);
      const charge = await deps.charges.get(owner.chargeId);
      if (!charge || charge.processorPaymentId !== now.paymentId) return done(`dispute ${processorDisputeId}: charge ${owner.chargeId} did not make payment ${now.paymentId}`);
    }
    const next: Dispute = {
      id: disputeId,
      processorDisputeId,
      merchantId: owner.merchantId,
      chargeId: owner.chargeId,
      amount: now.amount,
      currency: now.currency,
      reason: now.reason,
      status: now.status,
      isChargeRefundable: now.isChargeRefundable,
      evidenceDueBy: now.evidenceDueBy,
      createdAt: stored?.createdAt ?? now.createdAt,
      updatedAt: deps.now(),
    };
    if (stored && sameState(stored, next)) return done(`dispute ${disputeId} is ${stored.status} already`);
    const written = await deps.disputes.record(next, stored?.status ?? null);
    if (written === 'recorded') return done(`dispute ${disputeId} of charge ${owner.chargeId}: ${stored?.status ?? 'new'} → ${next.status}`);
    if (written === 'no_charge') return done(`dispute ${disputeId}: charge ${owner.chargeId} is gone`);
  }
  return { kind: 'retry', attempt, reason: `dispute ${disputeId} kept changing under concurrent looks` };
}

function sameState(a: Dispute, b: Dispute): boolean {
  return a.status === b.status && a.isChargeRefundable === b.isChargeRefundable && a.amount === b.amount && a.evidenceDueBy === b.evidenceDueBy;
}
