/**
 * Fault injection for AWS SDK v3 clients, for the faults an emulator cannot produce.
 * The middleware sits in the `deserialize` step, inside the SDK's retry loop, so each
 * attempt meets it and the SDK's own retries behave as they would in production.
 */
interface MiddlewareClient {
  middlewareStack: {
    // Method syntax: parameters are checked bivariantly, so any SDK client fits.
    add(middleware: unknown, options: { step: 'deserialize'; name: string }): void;
  };
}

type Fault = 'fail-before-send' | 'lose-response-after-send';

export interface InjectedFault {
  /** How many times the fault fired. */
  fired(): number;
}

/**
 * Makes the next `times` calls of `commandName` fail: before the request is sent, or after
 * it succeeded with the response lost (a timeout the SDK treats as retryable).
 */
export function injectFault(
  client: MiddlewareClient,
  commandName: string,
  fault: Fault,
  options: { times?: number; error?: () => Error } = {},
): InjectedFault {
  let remaining = options.times ?? 1;
  let fired = 0;
  const timeout = () => Object.assign(new Error('socket timed out after the request was sent'), { name: 'TimeoutError', $metadata: {} });
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName !== commandName || remaining === 0) return next(args);
      remaining -= 1;
      fired += 1;
      if (fault === 'fail-before-send') throw (options.error ?? timeout)();
      await next(args);
      throw timeout();
    },
    { step: 'deserialize', name: `fault-${commandName}-${fault}-${Math.random()}` },
  );
  return { fired: () => fired };
}
