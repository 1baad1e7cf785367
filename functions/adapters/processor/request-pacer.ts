/**
 * Keeps one container's processor requests under its share of the account's rate limit:
 * requests are given start times at least `1000 / requestsPerSecond` ms apart, in order of
 * asking. Every container of a stage paces itself to `limit / containers`, so together they
 * stay under the limit, without talking to each other.
 */
export class RequestPacer {
  private nextStart = 0;
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be positive');
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /**
   * Waits for this request's turn and returns how long it waited, or `null` without taking a
   * turn when the wait would exceed `maxWaitMs` (the caller then treats the processor as busy).
   */
  async turn(maxWaitMs: number): Promise<number | null> {
    const now = this.now();
    const start = Math.max(now, this.nextStart);
    const waitMs = start - now;
    if (waitMs > maxWaitMs) return null;
    this.nextStart = start + this.intervalMs;
    if (waitMs > 0) await this.sleep(waitMs);
    return waitMs;
  }
}
