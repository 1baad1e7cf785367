import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, isRetryable, nextStep, retryAfterMs, retryDelayMs, type RetryPolicy } from '../../../client/retry.ts';

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, deadlineMs: 10_000 };
const answer = (status: number, retryAfter: string | null = null) => ({ kind: 'answer' as const, status, retryAfter });

describe('which answers the client asks again, with the same key', () => {
  it.each([409, 429, 500, 502, 503, 504])('retries %i', (status) => expect(isRetryable(answer(status))).toBe(true));
  it('retries a network error or timeout (the request may have arrived)', () => expect(isRetryable({ kind: 'network_error' })).toBe(true));
  it.each([400, 401, 403, 404, 413, 415, 422])('never retries %i: the same request would get it again', (status) => expect(isRetryable(answer(status))).toBe(false));
});

describe('how long it waits', () => {
  it('draws each wait uniformly below a ceiling that doubles, capped (full jitter)', () => {
    expect(retryDelayMs(policy, 1, null, () => 0.999999, 0)).toBe(99);
    expect(retryDelayMs(policy, 2, null, () => 0.5, 0)).toBe(100);
    expect(retryDelayMs(policy, 4, null, () => 0.999999, 0)).toBe(799);
    expect(retryDelayMs(policy, 9, null, () => 0.999999, 0)).toBe(999);
    expect(retryDelayMs(policy, 3, null, () => 0, 0)).toBe(0);
  });

  it('honours Retry-After, in seconds or as an HTTP date, as a floor', () => {
    expect(retryDelayMs(policy, 1, '2', () => 0.5, 0)).toBe(2_000);
    const now = Date.parse('Thu, 03 Dec 2026 18:00:00 GMT');
    expect(retryAfterMs('Thu, 03 Dec 2026 18:00:03 GMT', now)).toBe(3_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 17:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe('when it stops', () => {
  it('stops at once on an answer that is not retryable', () => {
    expect(nextStep(policy, answer(422), 0, 0, 0, () => 0.5)).toEqual({ kind: 'stop', reason: 'not_retryable' });
  });

  it('stops after maxRetries retries', () => {
    expect(nextStep(policy, answer(503), 2, 0, 0, () => 0.5)).toMatchObject({ kind: 'retry' });
    expect(nextStep(policy, answer(503), 3, 0, 0, () => 0.5)).toEqual({ kind: 'stop', reason: 'retries_exhausted' });
  });

  it('stops when the wait would start the next attempt past the deadline', () => {
    expect(nextStep(policy, answer(503, '5'), 0, 0, 4_000, () => 0)).toMatchObject({ kind: 'retry', delayMs: 5_000 });
    expect(nextStep(policy, answer(503, '7'), 0, 0, 4_000, () => 0)).toEqual({ kind: 'stop', reason: 'deadline' });
  });

  it('has defaults that retry a few times within a minute', () => {
    expect(DEFAULT_RETRY_POLICY.maxRetries).toBeGreaterThanOrEqual(3);
    expect(DEFAULT_RETRY_POLICY.deadlineMs).toBeLessThanOrEqual(60_000);
  });
});
