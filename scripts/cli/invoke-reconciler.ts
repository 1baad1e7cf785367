import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';

/** What a reconciler invocation answered: its payload, and whether the function failed. */
export interface ReconcilerAnswer {
  payload: string;
  failed: boolean;
}

/**
 * Runs one reconciliation pass now. The reconciler's reserved concurrency is 1, so while a
 * scheduled pass runs Lambda answers 429: wait for it to end (up to `patienceMs`), then run.
 * Throws the 429 when the turn never came.
 */
export async function invokeReconciler(lambda: LambdaClient, functionName: string, patienceMs = 70_000): Promise<ReconcilerAnswer> {
  const giveUpAt = Date.now() + patienceMs;
  for (;;) {
    try {
      const { Payload, FunctionError } = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: '{}' }));
      return { payload: Payload ? Buffer.from(Payload).toString('utf8') : '{}', failed: FunctionError !== undefined };
    } catch (error) {
      if (!(error instanceof TooManyRequestsException) || Date.now() >= giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
