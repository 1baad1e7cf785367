import type { ProcessorEventCursor, ProcessorEventCursorStore, ProcessorEventSource } from './ports.ts';
import { PROCESSOR_EVENT_TYPES, receiveProcessorEvent, type ReceiveProcessorEventDeps } from './processor-events.ts';

export interface CatchUpDeps extends ReceiveProcessorEventDeps {
  source: Pick<ProcessorEventSource, 'listEvents'>;
  cursors: ProcessorEventCursorStore;
  now: () => number;
  /** Pages of the processor's event list read per pass at most (each one request against its rate limit). */
  maxPages: number;
}

export interface CatchUpReport {
  /** Events the list showed this pass (most were received by webhook already). */
  listed: number;
  /** Events this pass received that no webhook had brought (or whose receipt had not queued them). */
  caughtUp: number;
  /** Seconds between now and the cursor: events older than that have all been received. */
  cursorLagSeconds: number;
  /** False when the pages or the time ran out before the list was read to the cursor. */
  completed: boolean;
}

/**
 * Every pass re-reads the last minute: an event may show in the processor's list a little after
 * it was created, and receiving one twice costs only a read (its id is recorded).
 */
export const LISTING_LAG_SECONDS = 60;
const PAGE_SIZE = 100;

/**
 * The reconciler's catch-up: webhooks get lost and endpoints go down, so each pass pages the
 * processor's Events API (newest first, the types oncepay listens to, created since a stored
 * cursor) and feeds every event through the same receipt as the webhook. A missed webhook is
 * caught within one pass; the cursor only moves past what has been read. A backlog too long for
 * one pass is read in windows: the top of the window is kept, and the next pass reads below it.
 * Stripe keeps events 30 days: the cursor lagging past an hour is alarmed.
 */
export async function catchUpProcessorEvents(deps: CatchUpDeps, deadline: number): Promise<CatchUpReport> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  const cursor: ProcessorEventCursor = (await deps.cursors.get()) ?? { from: nowSeconds - LISTING_LAG_SECONDS, backfillTo: null, sweepTop: null };
  let listed = 0;
  let caughtUp = 0;
  let oldestSeen: number | null = null;
  let startingAfter: string | null = null;
  let completed = false;
  for (let page = 0; page < deps.maxPages && deps.now() < deadline; page += 1) {
    const { events, hasMore } = await deps.source.listEvents({
      types: PROCESSOR_EVENT_TYPES,
      createdFrom: cursor.from,
      createdTo: cursor.backfillTo,
      startingAfter,
      limit: PAGE_SIZE,
    });
    const unreceived = await deps.inbox.notYetQueued(events.map((event) => event.id));
    // Oldest first, as they happened.
    for (const event of [...events].reverse()) {
      if (unreceived.has(event.id) && (await receiveProcessorEvent(deps, event)) === 'queued') caughtUp += 1;
    }
    listed += events.length;
    const last = events.at(-1);
    if (last) oldestSeen = last.created;
    if (!hasMore || !last) {
      completed = true;
      break;
    }
    startingAfter = last.id;
  }
  const sweepTop = cursor.sweepTop ?? nowSeconds;
  const next: ProcessorEventCursor = completed
    ? // Everything from the cursor up to where the sweep began (or now) is received.
      { from: Math.max(cursor.from, sweepTop - LISTING_LAG_SECONDS), backfillTo: null, sweepTop: null }
    : // The newest part is received; the part below the oldest event seen is next (that second read again).
      { from: cursor.from, backfillTo: oldestSeen ?? cursor.backfillTo, sweepTop };
  await deps.cursors.put(next);
  return { listed, caughtUp, cursorLagSeconds: nowSeconds - next.from, completed };
}
