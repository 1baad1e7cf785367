/**
 * When the client tries a request again, and how long it waits first. Pure: the clock, the
 * random source and the sleep are the caller's, so the policy is tested with a fake clock.
 *
 * Retried: a network error or timeout (the request may or may not have arrived), 409 (the same
 * key is still in flight), 429 and any 5xx. Never retried: any other 4xx, which the same request
 * would get again. Every retry of one logical call carries the same Idempotency-Key and body, so
 * the server does the work at most once however many times the client asks.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  maxRetries: number;
  /** The first retry's ceiling; each later one doubles it, up to {@link maxDelayMs}. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No attempt starts later than this after the first one did (ms). */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 8_000, deadlineMs: 60_000 };

/** What one attempt came to, as the policy sees it. */
export type AttemptResult = { kind: 'answer'; status: number; retryAfter: string | null } | { kind: 'network_error' };

/** Whether an answer (or the lack of one) is worth asking again, with the same key. */
export function isRetryable(result: AttemptResult): boolean {
  if (result.kind === 'network_error') return true;
  return result.status === 409 || result.status === 429 || result.status >= 500;
}

/**
 * The wait before retry number `retry` (1 for the first): full jitter, a uniform draw between 0
 * and min(maxDelayMs, baseDelayMs × 2^(retry−1)), so that many clients that failed together do
 * not come back together. A `Retry-After` (seconds, or an HTTP date) is honoured as a floor.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, retryAfter: string | null, random: () => number, nowMs: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.floor(random() * ceiling);
  const floor = retryAfterMs(retryAfter, nowMs);
  return Math.max(jittered, floor ?? 0);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); `null` when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/**
 * The decision after an attempt: stop (with why), or wait this long and try again. It stops when
 * the result is not retryable, the retries are used up, or the wait would start the next attempt
 * past the deadline.
 */
export function nextStep(
  policy: RetryPolicy,
  result: AttemptResult,
  retriesDone: number,
  startedAtMs: number,
  nowMs: number,
  random: () => number,
): { kind: 'retry'; delayMs: number } | { kind: 'stop'; reason: 'not_retryable' | 'retries_exhausted' | 'deadline' } {
  if (!isRetryable(result)) return { kind: 'stop', reason: 'not_retryable' };
  if (retriesDone >= policy.maxRetries) return { kind: 'stop', reason: 'retries_exhausted' };
  const delayMs = retryDelayMs(policy, retriesDone + 1, result.kind === 'answer' ? result.retryAfter : null, random, nowMs);
  if (nowMs + delayMs - startedAtMs > policy.deadlineMs) return { kind: 'stop', reason: 'deadline' };
  return { kind: 'retry', delayMs };
}
