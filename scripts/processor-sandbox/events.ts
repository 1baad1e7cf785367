import { stripeId } from './ids.ts';
import { unixTime } from './payment-intent.ts';
import { invalidRequest, noSuch } from './stripe-errors.ts';

/**
 * Stripe's Events, as the sandbox makes them: every change of a PaymentIntent, Refund or Dispute
 * makes one, holding the object as it was at that moment (API version 2023-08-16, the spec's),
 * listed newest first for 30 days and sent to the configured webhook endpoint (webhooks.ts).
 */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  /** The changed object's mode (a refund's: its payment's). */
  livemode: boolean;
  /** Deliveries to the endpoint not yet answered 2xx (0 or 1: the sandbox has one endpoint). */
  pending_webhooks: number;
  /** The API request that caused it; `id` is null for changes Stripe made on its own (a dispute, a refund failing). */
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** The request whose endpoint is running, for the events it causes. */
export interface CausingRequest {
  id: string;
  idempotencyKey: string | null;
}

export interface EventListParams {
  /** One type, or a group with `*` (`charge.dispute.*`). */
  type: string | null;
  /** Up to 20 exact types. */
  types: string[] | null;
  created: { gt?: number; gte?: number; lt?: number; lte?: number };
  limit: number;
  startingAfter: string | null;
  endingBefore: string | null;
}

/** Stripe keeps events 30 days: the list goes back no further, and a retrieve of an older one is a 404. */
export const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const API_VERSION = '2023-08-16';

interface Logged {
  index: number;
  createdMs: number;
  event: StripeEvent;
}

/** Every event in creation order, and who to tell of a new one. */
export class EventLog {
  private readonly events: Logged[] = [];
  /** Set while an API request's endpoint runs (endpoints are synchronous): the events it causes name it. */
  private causing: CausingRequest | null = null;

  constructor(private readonly onEvent: (event: StripeEvent) => void) {}

  /** Runs `work` as the request's: events made meanwhile carry its id and key. */
  during<T>(request: CausingRequest, work: () => T): T {
    this.causing = request;
    try {
      return work();
    } finally {
      this.causing = null;
    }
  }

  /**
   * Records the change of `object` (copied: later changes do not alter it) and tells the webhook
   * sender. The event is in the object's mode; a refund, which has no `livemode`, passes its payment's.
   */
  emit(type: string, object: object, previousAttributes?: Record<string, unknown>, livemode = (object as { livemode?: boolean }).livemode ?? false): StripeEvent {
    const createdMs = Date.now();
    const event: StripeEvent = {
      id: stripeId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: unixTime(createdMs),
      data: { object: structuredClone(object) as Record<string, unknown>, ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) },
      livemode,
      pending_webhooks: 0,
      request: { id: this.causing?.id ?? null, idempotency_key: this.causing?.idempotencyKey ?? null },
      type,
    };
    this.events.push({ index: this.events.length, createdMs, event });
    this.onEvent(event);
    return event;
  }

  retrieve(id: string): StripeEvent {
    const logged = this.kept().find(({ event }) => event.id === id);
    if (!logged) throw noSuch('event', id, 'id', 404);
    return logged.event;
  }

  /** A page of the events kept, newest first, filtered, after or before a cursor. */
  list({ type, types, created, limit, startingAfter, endingBefore }: EventListParams): { data: StripeEvent[]; has_more: boolean } {
    const kept = this.kept();
    const matching = kept.filter(({ event }) => matchesType(event.type, type, types) && inRange(event.created, created));
    const cursorOf = (id: string, param: 'starting_after' | 'ending_before') => {
      const logged = kept.find(({ event }) => event.id === id);
      if (!logged) throw noSuch('event', id, param, 400);
      return logged.index;
    };
    if (endingBefore !== null) {
      const cursor = cursorOf(endingBefore, 'ending_before');
      const newer = matching.filter(({ index }) => index > cursor);
      return { data: newer.slice(0, limit).reverse().map(({ event }) => event), has_more: newer.length > limit };
    }
    const cursor = startingAfter === null ? Infinity : cursorOf(startingAfter, 'starting_after');
    const older = matching.filter(({ index }) => index < cursor).reverse();
    return { data: older.slice(0, limit).map(({ event }) => event), has_more: older.length > limit };
  }

  private kept(): Logged[] {
    const oldest = Date.now() - EVENT_RETENTION_MS;
    return this.events.filter(({ createdMs }) => createdMs >= oldest);
  }
}

function matchesType(eventType: string, type: string | null, types: string[] | null): boolean {
  if (types !== null) return types.includes(eventType);
  if (type === null) return true;
  if (!type.includes('*')) return eventType === type;
  const pattern = new RegExp(`^${type.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return pattern.test(eventType);
}

function inRange(value: number, range: EventListParams['created']): boolean {
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}

const MAX_TYPES = 20;

/**
 * `GET /v1/events` and `GET /v1/disputes`'s shared `created` filter: an integer (exactly then), or
 * `created[gt|gte|lt|lte]`. Query keys arrive as the SDK writes them (`created[gte]=…`).
 */
export function createdRange(query: URLSearchParams): EventListParams['created'] {
  const range: EventListParams['created'] = {};
  for (const [name, raw] of query) {
    const match = /^created(?:\[(gt|gte|lt|lte)\])?$/.exec(name);
    if (!match) continue;
    if (!/^\d+$/.test(raw)) throw invalidRequest(`Invalid integer: ${raw}`, { code: 'parameter_invalid_integer', param: name });
    const value = Number(raw);
    const bound = match[1] as 'gt' | 'gte' | 'lt' | 'lte' | undefined;
    if (bound === undefined) {
      range.gte = value;
      range.lte = value;
    } else {
      range[bound] = value;
    }
  }
  return range;
}

/** `types[]`, `types[0]`, … as the SDK encodes arrays; `null` when absent. */
export function typesOf(query: URLSearchParams): string[] | null {
  const types = [...query].filter(([name]) => /^types(\[\d*\])?$/.test(name)).map(([, value]) => value);
  if (types.length === 0) return null;
  if (types.length > MAX_TYPES) throw invalidRequest(`Invalid array: types can have at most ${MAX_TYPES} items.`, { param: 'types' });
  return types;
}
