import type { ProcessorEventNotice, WorkItem } from './ports.ts';

/** The body of a work message: only ids (of what to process, or where to look); everything else is read from the table or the processor. */
export type WorkMessage =
  | { charge_id: string }
  | { refund_id: string }
  | { processor_event: string; type: string; object: string; created: number };

const CHARGE_ID = /^ch_[0-9A-Za-z]{22}$/;
const REFUND_ID = /^re_[0-9A-Za-z]{22}$/;
/** Stripe's ids: a prefix and up to a few dozen base-62 characters. */
const PROCESSOR_EVENT_ID = /^evt_[0-9A-Za-z]{1,64}$/;
const PROCESSOR_OBJECT_ID = /^(pi|re|du|dp)_[0-9A-Za-z]{1,64}$/;
const EVENT_TYPE = /^[a-z_]+(\.[a-z_]+)+$/;

export function workMessageBody(chargeId: string): string {
  const message: WorkMessage = { charge_id: chargeId };
  return JSON.stringify(message);
}

export function refundWorkMessageBody(refundId: string): string {
  const message: WorkMessage = { refund_id: refundId };
  return JSON.stringify(message);
}

export function processorEventWorkMessageBody(notice: ProcessorEventNotice): string {
  const message: WorkMessage = { processor_event: notice.id, type: notice.type, object: notice.objectId, created: notice.created };
  return JSON.stringify(message);
}

/**
 * What a work message names, or `null` for anything that is not a work message.
 * Checked by hand rather than with the schema library: the worker's bundle stays small.
 */
export function parseWorkMessage(body: string): WorkItem | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const fields = parsed as Record<string, unknown>;
  const names = Object.keys(fields);
  const chargeId = fields['charge_id'];
  const refundId = fields['refund_id'];
  if (names.length === 1 && typeof chargeId === 'string' && CHARGE_ID.test(chargeId)) return { kind: 'charge', id: chargeId };
  if (names.length === 1 && typeof refundId === 'string' && REFUND_ID.test(refundId)) return { kind: 'refund', id: refundId };
  const { processor_event: id, type, object, created } = fields;
  if (
    names.length === 4 &&
    typeof id === 'string' &&
    PROCESSOR_EVENT_ID.test(id) &&
    typeof type === 'string' &&
    EVENT_TYPE.test(type) &&
    typeof object === 'string' &&
    PROCESSOR_OBJECT_ID.test(object) &&
    Number.isInteger(created)
  ) {
    return { kind: 'processor_event', notice: { id, type, objectId: object, created: created as number } };
  }
  return null;
}
