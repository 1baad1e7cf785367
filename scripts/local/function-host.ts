import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

/** A Lambda function as the template declares it, resolved for this machine. */
export interface LocalFunction {
  logicalId: string;
  functionName: string;
  functionArn: string;
  /**
   * Its aliases' names. Locally an alias is the function itself: there is one version (the
   * code just built), so no traffic is shifted between versions.
   */
  aliases: string[];
  /** Absolute path of the bundled module (e.g. `…/asset.<hash>/index.mjs`). */
  bundlePath: string;
  exportName: string;
  timeoutMs: number;
  memoryMb: number;
  environment: Record<string, string>;
  /** `ReservedConcurrentExecutions`: invocations beyond it are throttled, not queued. */
  reservedConcurrency: number | null;
}

/**
 * Each function by every name a caller may give it, as Lambda takes them: its name and ARN, each
 * also qualified by an alias (`name:live`, `arn:…:function:name:live`). Integrations, event
 * sources, schedules and the Invoke API all look functions up here.
 */
export function hostsByReference(hosts: Iterable<FunctionHost>): Map<string, FunctionHost> {
  const byReference = new Map<string, FunctionHost>();
  for (const host of hosts) {
    for (const qualifier of ['', ...host.fn.aliases.map((alias) => `:${alias}`)]) {
      byReference.set(host.fn.functionName + qualifier, host);
      byReference.set(host.fn.functionArn + qualifier, host);
    }
  }
  return byReference;
}

/**
 * Lambda refused the invocation: the function's reserved concurrency is in use. Lambda's
 * Invoke API answers 429 `TooManyRequestsException`; an asynchronous event (a schedule) is
 * retried no longer than its maximum event age, then dropped.
 */
export class ThrottledError extends Error {
  constructor(readonly fn: LocalFunction) {
    super(`Rate Exceeded: ${fn.logicalId} is at its reserved concurrency (${fn.reservedConcurrency})`);
  }
}

/** Lambda's limit for an execution environment's init phase (the cold start), apart from the function's timeout. */
const INIT_LIMIT_MS = 10_000;

/** How Lambda reports a failed invocation. */
interface RuntimeError {
  errorType: string;
  errorMessage: string;
}

export type InvocationResult =
  | { ok: true; result: unknown; durationMs: number }
  | { ok: false; error: RuntimeError; timedOut: boolean; durationMs: number };

export interface FunctionHostOptions {
  /** AWS plumbing every environment gets: region, credentials, emulator endpoints. */
  baseEnvironment: Record<string, string>;
  /** Environments kept per function; further invocations wait for one (as if throttled). */
  maxEnvironments: number;
  /** Receives each line the function writes to stdout or stderr. */
  onLog: (fn: LocalFunction, line: string) => void;
  /** Told of every finished invocation, whoever triggered it. */
  onInvocation?: (fn: LocalFunction, result: InvocationResult) => void;
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
}

/**
 * Runs a function's bundle as Lambda does: each execution environment is a worker thread
 * handling one invocation at a time, reused while warm; a cold start has its own 10 s limit and
 * the function's timeout counts the handler only. An invocation that runs past the function's
 * timeout is abandoned and its environment destroyed, so nothing it was doing (no catch, no
 * finally, no late write) happens afterwards — as on Lambda. Past the reserved concurrency an
 * invocation is throttled, as on Lambda; past `maxEnvironments` (this machine's own limit) it
 * waits for an environment, and the wait counts against no timeout of the function's.
 */
export class FunctionHost {
  private readonly idle: Environment[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly all = new Set<Environment>();
  private busy = 0;
  private closed = false;

  constructor(
    readonly fn: LocalFunction,
    private readonly options: FunctionHostOptions,
  ) {}

  async invoke(event: unknown): Promise<InvocationResult> {
    const result = await this.invokeOnce(event);
    this.options.onInvocation?.(this.fn, result);
    return result;
  }

  private async invokeOnce(event: unknown): Promise<InvocationResult> {
    if (this.closed) throw new Error(`${this.fn.logicalId} is shut down`);
    // Invocations waiting for one of this machine's environments count too: on Lambda each would be running.
    if (this.fn.reservedConcurrency !== null && this.busy + this.waiting.length >= this.fn.reservedConcurrency) throw new ThrottledError(this.fn);
    // Waiting for a free environment here is the runner's, not Lambda's (which gives every
    // invocation its own): it counts against nothing but the caller's own limit (API Gateway's 29 s).
    await this.acquireSlot();
    const started = Date.now();
    let environment: Environment | undefined;
    try {
      environment = this.idle.pop() ?? this.spawn();
      // A cold start has Lambda's own limit for the init phase; the function's timeout counts
      // its handler only. Counting both would make a burst of cold starts sharing this machine's
      // CPUs time out where Lambda, a CPU each, would not.
      const init = await this.initialized(environment);
      if (init !== 'ready') {
        await this.destroy(environment);
        return { ok: false, error: init.error, timedOut: init.timedOut, durationMs: Date.now() - started };
      }
      const deadlineMs = Date.now() + this.fn.timeoutMs;
      const outcome = await this.run(environment, event, deadlineMs);
      const durationMs = Date.now() - started;
      if (outcome.type === 'result') {
        this.idle.push(environment);
        return { ok: true, result: outcome.result, durationMs };
      }
      if (outcome.type === 'error') {
        this.idle.push(environment);
        return { ok: false, error: outcome.error, timedOut: false, durationMs };
      }
      await this.destroy(environment);
      return { ok: false, error: outcome.error, timedOut: outcome.type === 'timeout', durationMs };
    } finally {
      this.releaseSlot();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((environment) => this.destroy(environment)));
  }

  private async run(
    environment: Environment,
    event: unknown,
    deadlineMs: number,
  ): Promise<
    | { type: 'result'; result: unknown }
    | { type: 'error' | 'timeout' | 'crash'; error: RuntimeError }
  > {
    const timeout = (): { type: 'timeout'; error: RuntimeError } => ({
      type: 'timeout',
      error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(this.fn.timeoutMs / 1000).toFixed(2)} seconds` },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ReturnType<typeof timeout>>((resolve) => {
      timer = setTimeout(() => resolve(timeout()), Math.max(0, deadlineMs - Date.now()));
    });
    const finished = new Promise<{ type: 'result'; result: unknown } | { type: 'error' | 'crash'; error: RuntimeError }>((resolve) => {
      const onMessage = (message: { type: string; result?: unknown; error?: RuntimeError }) => {
        cleanup();
        if (message.type === 'result') resolve({ type: 'result', result: message.result });
        else resolve({ type: 'error', error: message.error ?? { errorType: 'Error', errorMessage: 'unknown' } });
      };
      const onError = (error: Error) => {
        cleanup();
        resolve({ type: 'crash', error: { errorType: 'Runtime.ExitError', errorMessage: error.message } });
      };
      const onExit = (code: number) => onError(new Error(`The runtime exited with code ${code}`));
      const cleanup = () => {
        environment.worker.off('message', onMessage);
        environment.worker.off('error', onError);
        environment.worker.off('exit', onExit);
      };
      environment.worker.on('message', onMessage);
      environment.worker.on('error', onError);
      environment.worker.on('exit', onExit);
      environment.worker.postMessage({ event, context: this.context(deadlineMs) });
    });
    try {
      return await Promise.race([finished, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the environment's init phase, within Lambda's 10 s limit for it. */
  private async initialized(environment: Environment): Promise<'ready' | { error: RuntimeError; timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<{ error: RuntimeError; timedOut: boolean }>((resolve) => {
      timer = setTimeout(
        () => resolve({ error: { errorType: 'Runtime.InitError', errorMessage: `The init phase did not finish within ${INIT_LIMIT_MS / 1000} s` }, timedOut: true }),
        INIT_LIMIT_MS,
      );
    });
    try {
      return await Promise.race([
        environment.ready.then(
          () => 'ready' as const,
          (error: Error) => ({ error: { errorType: 'Runtime.InitError', errorMessage: error.message }, timedOut: false }),
        ),
        limit,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private context(deadlineMs: number) {
    return {
      functionName: this.fn.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.fn.functionArn,
      memoryLimitInMB: String(this.fn.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.fn.functionName}`,
      logStreamName: 'local',
      deadlineMs,
    };
  }

  private spawn(): Environment {
    const worker = new Worker(new URL('./lambda-runtime.worker.mjs', import.meta.url), {
      workerData: { bundlePath: this.fn.bundlePath, exportName: this.fn.exportName },
      env: {
        ...this.options.baseEnvironment,
        ...this.fn.environment,
        AWS_LAMBDA_FUNCTION_NAME: this.fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        TZ: 'UTC',
      },
      // A fresh thread without the parent's TypeScript loader: the bundle is plain JS.
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.fn.memoryMb },
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.options.onLog(this.fn, line));
    }
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string; error?: { errorMessage: string } }) => {
        worker.off('message', onMessage);
        if (message.type === 'ready') resolve();
        else reject(new Error(message.error?.errorMessage ?? 'init failed'));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    ready.catch(() => undefined);
    const environment = { worker, ready };
    this.all.add(environment);
    return environment;
  }

  private async destroy(environment: Environment): Promise<void> {
    this.all.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    await environment.worker.terminate();
  }

  private async acquireSlot(): Promise<void> {
    if (this.busy < this.options.maxEnvironments) {
      this.busy += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy += 1;
  }

  private releaseSlot(): void {
    this.busy -= 1;
    this.waiting.shift()?.();
  }
}
