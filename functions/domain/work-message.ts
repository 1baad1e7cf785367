import type { WorkItem } from './ports.ts';

/** The body of a work message: only the id of what to process; everything else is read from the table. */
export type WorkMessage = { charge_id: string } | { refund_id: string };

const CHARGE_ID = /^ch_[0-9A-Za-z]{22}$/;
const REFUND_ID = /^re_[0-9A-Za-z]{22}$/;

export function workMessageBody(chargeId: string): string {
  const message: WorkMessage = { charge_id: chargeId };
  return JSON.stringify(message);
}

export function refundWorkMessageBody(refundId: string): string {
  const message: WorkMessage = { refund_id: refundId };
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
  const chargeId = fields['charge_id'];
  const refundId = fields['refund_id'];
  if (typeof chargeId === 'string' && refundId === undefined && CHARGE_ID.test(chargeId)) return { kind: 'charge', id: chargeId };
  if (typeof refundId === 'string' && chargeId === undefined && REFUND_ID.test(refundId)) return { kind: 'refund', id: refundId };
  return null;
}
