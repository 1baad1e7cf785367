/**
 * Polls `probe` until it returns a value accepted by `done`, or fails after `timeoutMs`
 * with the last value seen. Tests wait on conditions with a deadline, never on fixed sleeps.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  throw new Error(`Timed out waiting for ${options.what ?? 'a condition'}; last value: ${JSON.stringify(last)}`);
}
