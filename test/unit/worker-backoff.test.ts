import { describe, expect, it } from 'vitest';
import { backoffSeconds } from '#domain/retry-backoff.ts';

describe('worker retry backoff', () => {
  it('doubles from the base per attempt and stops at the cap', () => {
    const policy = { baseDelaySeconds: 5, maxDelaySeconds: 60 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffSeconds(attempt, policy))).toEqual([5, 10, 20, 40, 60, 60]);
  });
});
