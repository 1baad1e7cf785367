import { z } from 'zod';

/** The body of a work message: only the charge id; everything else is read from the table. */
export interface WorkMessage {
  charge_id: string;
}

const workMessageSchema = z.object({ charge_id: z.string().regex(/^ch_[0-9A-Za-z]{22}$/) });

export function workMessageBody(chargeId: string): string {
  const message: WorkMessage = { charge_id: chargeId };
  return JSON.stringify(message);
}

/** The charge id a work message names, or `null` for anything that is not a work message. */
export function parseWorkMessage(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const message = workMessageSchema.safeParse(parsed);
  return message.success ? message.data.charge_id : null;
}
