import { isTerminal, toChargeObject, type Charge, type ChargeObject } from './charge.ts';
import { derivedId } from './derived-id.ts';
import { isRefundTerminal, toRefundObject, type Refund, type RefundObject } from './refund.ts';

export const EVENT_TYPES = ['charge.succeeded', 'charge.failed', 'refund.succeeded', 'refund.failed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as merchants receive it (webhooks) and read it: Stripe's shape. */
export interface EventObject {
  id: string;
  object: 'event';
  type: EventType;
  /** Unix seconds of the state change (not of the event's delivery). */
  created: number;
  data: { object: ChargeObject | RefundObject };
}

/**
 * The id of the event a state change makes: derived from the object and the state it reached,
 * so a change's write seen twice (a stream retry, a replayed batch) gives the same event id.
 */
export function eventIdFor(objectId: string, type: EventType): string {
  return derivedId('evt', [objectId, type]);
}

/** The event of a charge's change, or `null` when the change did not make it final. */
export function chargeEvent(before: Charge | undefined, after: Charge): EventObject | null {
  if (!isTerminal(after.status) || (before !== undefined && isTerminal(before.status))) return null;
  const type: EventType = after.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed';
  return { id: eventIdFor(after.id, type), object: 'event', type, created: Math.floor(after.updatedAt / 1000), data: { object: toChargeObject(after) } };
}

/** The event of a refund's change, or `null` when the change did not make it final (`canceled` is `refund.failed`). */
export function refundEvent(before: Refund | undefined, after: Refund): EventObject | null {
  if (!isRefundTerminal(after.status) || (before !== undefined && isRefundTerminal(before.status))) return null;
  const type: EventType = after.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed';
  return { id: eventIdFor(after.id, type), object: 'event', type, created: Math.floor(after.updatedAt / 1000), data: { object: toRefundObject(after) } };
}
