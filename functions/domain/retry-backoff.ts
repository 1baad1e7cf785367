/** How long a charge handed back waits before its next attempt. */
export interface RetryPolicy {
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

/** Exponential backoff for the n-th attempt (1-based), capped. */
export function backoffSeconds(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.max(0, attempt - 1));
}
