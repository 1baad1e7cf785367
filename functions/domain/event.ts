import { isTerminal, toChargeObject, type Charge, type ChargeObject } from './charge.ts';
import { derivedId } from './derived-id.ts';
import { isDisputeClosed, toDisputeObject, type Dispute, type DisputeObject } from './dispute.ts';
import { isRefundTerminal, toRefundObject, type Refund, type RefundObject } from './refund.ts';

export const EVENT_TYPES = [
  'charge.succeeded',
  'charge.failed',
  'refund.succeeded',
  'refund.failed',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** How long events are kept, as Stripe keeps them: 30 days. */
export const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** An event as merchants receive it (webhooks) and read it: Stripe's shape. */
export interface EventObject {
  id: string;
  object: 'event';
  type: EventType;
  /** Unix seconds of the state change (not of the event's delivery). */
  created: number;
  data: { object: ChargeObject | RefundObject | DisputeObject };
}

/**
 * The id of the event a state change makes: derived from the object and the state it reached,
 * so a change's write seen twice (a stream retry, a replayed batch) gives the same event id. A
 * dispute may be updated more than once: its updates are told apart by the status reached.
 */
export function eventIdFor(objectId: string, type: EventType, status?: string): string {
  return derivedId('evt', status === undefined ? [objectId, type] : [objectId, type, status]);
}

/** The event of a charge's change, or `null` when the change did not make it final. */
export function chargeEvent(before: Charge | undefined, after: Charge): EventObject | null {
  if (!isTerminal(after.status) || (before !== undefined && isTerminal(before.status))) return null;
  const type: EventType = after.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed';
  return { id: eventIdFor(after.id, type), object: 'event', type, created: Math.floor(after.updatedAt / 1000), data: { object: toChargeObject(after) } };
}

/**
 * The event of a refund's change, or `null` when the change did not make it final (`canceled` is
 * `refund.failed`). A refund the processor fails after it succeeded makes `refund.failed` too: a
 * different change, a different event id from its `refund.succeeded`.
 */
export function refundEvent(before: Refund | undefined, after: Refund): EventObject | null {
  const becameFinal = isRefundTerminal(after.status) && (before === undefined || !isRefundTerminal(before.status));
  const failedLate = before?.status === 'succeeded' && after.status === 'failed';
  if (!becameFinal && !failedLate) return null;
  const type: EventType = after.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed';
  return { id: eventIdFor(after.id, type), object: 'event', type, created: Math.floor(after.updatedAt / 1000), data: { object: toRefundObject(after) } };
}

/**
 * The events of a dispute's change: `charge.dispute.created` when oncepay first records it,
 * `charge.dispute.updated` when it moves while open, `charge.dispute.closed` when it closes (its
 * `status` says won, lost, warning_closed or prevented; a lost one that is appealed closes again,
 * under an event of its own). A dispute first recorded already closed (its earlier events were
 * missed by the time oncepay looked) makes both `created` and `closed`.
 */
export function disputeEvents(before: Dispute | undefined, after: Dispute): EventObject[] {
  const object = toDisputeObject(after);
  const created = Math.floor(after.updatedAt / 1000);
  const event = (type: EventType, status?: string): EventObject => ({ id: eventIdFor(after.id, type, status), object: 'event', type, created, data: { object } });
  const closed = isDisputeClosed(after.status);
  if (before === undefined) return closed ? [event('charge.dispute.created'), event('charge.dispute.closed')] : [event('charge.dispute.created')];
  if (before.status === after.status) return [];
  if (!closed) return [event('charge.dispute.updated', after.status)];
  // An appeal closes a dispute a second time: that close is an event of its own.
  const appealed = before.status === 'lost' || before.status === 'appeal_needs_response' || before.status === 'appeal_under_review';
  return [appealed ? event('charge.dispute.closed', `appeal_${after.status}`) : event('charge.dispute.closed')];
}
