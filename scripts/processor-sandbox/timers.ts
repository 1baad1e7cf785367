/**
 * Every timer the sandbox starts goes through here, so that `stop()` can clear them all: a
 * pending `processing` settlement or request delay must not keep the test process alive.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `task` after `ms`; a task that throws is logged, never fatal to the process. */
  after(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      try {
        task();
      } catch (error) {
        console.error('processor sandbox: a timed task failed', error);
      }
    }, ms);
    this.pending.add(timer);
  }

  /** Resolves after `ms`; never resolves if the timers are cleared first. */
  sleep(ms: number): Promise<void> {
    return ms > 0 ? new Promise((resolve) => this.after(ms, resolve)) : Promise.resolve();
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
