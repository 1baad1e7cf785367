// Mutant: an event's id is random instead of derived from the state change, so a change the
// stream delivers twice (a retry after the events function failed) reaches the merchant as two events.
import { randomBytes } from 'node:crypto';
import * as real from '../../../functions/domain/event.ts';

export * from '../../../functions/domain/event.ts';

const randomId = () => `evt_${randomBytes(16).toString('base64url').replace(/[^0-9A-Za-z]/g, 'x').slice(0, 22)}`;

export function chargeEvent(...args: Parameters<typeof real.chargeEvent>): ReturnType<typeof real.chargeEvent> {
  const event = real.chargeEvent(...args);
  return event && { ...event, id: randomId() };
}

export function refundEvent(...args: Parameters<typeof real.refundEvent>): ReturnType<typeof real.refundEvent> {
  const event = real.refundEvent(...args);
  return event && { ...event, id: randomId() };
}
