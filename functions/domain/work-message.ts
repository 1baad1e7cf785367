/** The body of a work message: only the charge id; everything else is read from the table. */
export interface WorkMessage {
  charge_id: string;
}

const CHARGE_ID = /^ch_[0-9A-Za-z]{22}$/;

export function workMessageBody(chargeId: string): string {
  const message: WorkMessage = { charge_id: chargeId };
  return JSON.stringify(message);
}

/**
 * The charge id a work message names, or `null` for anything that is not a work message.
 * Checked by hand rather than with the schema library: the worker's bundle stays small.
 */
export function parseWorkMessage(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const chargeId = (parsed as Record<string, unknown>)['charge_id'];
  return typeof chargeId === 'string' && CHARGE_ID.test(chargeId) ? chargeId : null;
}
