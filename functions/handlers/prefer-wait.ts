import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { WaitSlots } from '#domain/ports.ts';
import { headerValue } from '#shared/http.ts';

/** The longest `Prefer: wait=N` honoured, in seconds. */
export const MAX_WAIT_SECONDS = 20;
/** How often an object is read again while a request waits for it to be final. */
const POLL_INTERVAL_MS = 250;
/** Kept back from the invocation's remaining time to answer. */
const ANSWER_MARGIN_MS = 1_000;

/**
 * The seconds a `Prefer: wait=N` header asks for (RFC 7240 §4.3), at most {@link MAX_WAIT_SECONDS};
 * `null` without one. A malformed preference is ignored, as RFC 7240 says.
 */
export function preferredWaitSeconds(event: APIGatewayProxyEvent): number | null {
  const header = headerValue(event, 'Prefer');
  if (!header) return null;
  for (const preference of header.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*(;.*)?$/i.exec(preference);
    if (match?.[1]) return Math.min(MAX_WAIT_SECONDS, Number(match[1]));
  }
  return null;
}

/**
 * Reads with `read` until `isFinal` holds or `seconds` have passed (never past what the
 * invocation has left), starting from `first` (already read), and answers the last read. Each read is strongly consistent.
 */
export async function readUntilFinal<T>(
  first: T,
  read: () => Promise<T>,
  isFinal: (value: T) => boolean,
  seconds: number,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  const started = Date.now();
  const budgetMs = Math.min(seconds * 1000, context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS);
  let value = first;
  while (!isFinal(value) && Date.now() - started + POLL_INTERVAL_MS < budgetMs) {
    await sleep(POLL_INTERVAL_MS);
    value = await read();
  }
  return value;
}

/**
 * `Prefer: wait` within the stage's budget of waiting reads: an object already final is answered
 * at once (the preference holds trivially); otherwise the read waits only if it gets a slot.
 * Without one it answers the current state at once and `applied` is false, so the answer carries
 * no `Preference-Applied` (RFC 7240: a preference the server did not honour is not echoed).
 */
export async function waitWithinBudget<T>(
  first: T,
  read: () => Promise<T>,
  isFinal: (value: T) => boolean,
  seconds: number,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  slots: WaitSlots,
  /** Told when the budget could not be read (DynamoDB throttling, say): the read then answers at once. */
  onBudgetError: (error: unknown) => void,
): Promise<{ value: T; applied: boolean }> {
  if (isFinal(first)) return { value: first, applied: true };
  let slot;
  try {
    slot = await slots.take(Math.min(seconds * 1000, context.getRemainingTimeInMillis()));
  } catch (error) {
    onBudgetError(error);
    return { value: first, applied: false };
  }
  if (!slot) return { value: first, applied: false };
  try {
    return { value: await readUntilFinal(first, read, isFinal, seconds, context), applied: true };
  } finally {
    // A slot not freed lapses at the end of its lease; the answer is not lost for it.
    await slot.release().catch(() => undefined);
  }
}
