import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionHost, ThrottledError, type LocalFunction } from '../../scripts/local/function-host.ts';
import { startLambdaApi } from '../../scripts/local/lambda-api.ts';
import { startSqsEmulator, type RunningSqsEmulator } from '../../scripts/local/sqs-emulator.ts';
import { startSqsEventSource, type BatchSummary, type RunningEventSource } from '../../scripts/local/sqs-event-source.ts';
import { eventually } from '../support/eventually.ts';

const bundlePath = fileURLToPath(new URL('../fixtures/functions/scripted-batch-handler.mjs', import.meta.url));

function scriptedFunction(timeoutMs: number): LocalFunction {
  return {
    logicalId: 'Scripted',
    functionName: 'scripted',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:scripted',
    aliases: [],
    bundlePath,
    exportName: 'handler',
    timeoutMs,
    memoryMb: 128,
    environment: {},
    reservedConcurrency: null,
  };
}

describe('local runner: SQS event source mapping and function host', () => {
  let emulator: RunningSqsEmulator;
  let sqs: SQSClient;
  const running: Array<RunningEventSource | FunctionHost> = [];

  beforeAll(async () => {
    emulator = await startSqsEmulator('us-east-1');
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      useQueueUrlAsEndpoint: false,
    });
  });
  afterEach(async () => {
    for (const item of running.splice(0)) {
      await (item instanceof FunctionHost ? item.close() : item.stop());
    }
  });
  afterAll(async () => {
    sqs.destroy();
    await emulator.stop();
  });

  async function queueWith(bodies: unknown[], visibilityTimeoutSeconds = 1) {
    const { QueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `runner-${Math.random().toString(36).slice(2)}`,
        Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: JSON.stringify(body) })),
      }),
    );
    return QueueUrl;
  }

  function run(queueUrl: string, options: { reportBatchItemFailures?: boolean } = {}) {
    const host = new FunctionHost(scriptedFunction(3000), { baseEnvironment: {}, maxEnvironments: 2, onLog: () => undefined });
    const batches: BatchSummary[] = [];
    const source = startSqsEventSource({
      sqs,
      queueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:runner',
      region: 'us-east-1',
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      concurrency: 1,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      invoke: (event) => host.invoke(event),
      onBatch: (summary) => batches.push(summary),
    });
    running.push(source, host);
    return batches;
  }

  async function messagesLeft(queueUrl: string): Promise<number> {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  }

  it('deletes the records that succeeded and redelivers only the reported failures', async () => {
    const queueUrl = await queueWith([{}, { fail: 'first-receive' }, {}]);
    const batches = run(queueUrl);
    await eventually(async () => batches.length, (count) => count >= 2, { timeoutMs: 10_000, what: 'the redelivery' });
    expect(batches[0]).toMatchObject({ records: 3, deleted: 2, failed: 1 });
    expect(batches[1]).toMatchObject({ records: 1, deleted: 1, failed: 0 });
    await eventually(() => messagesLeft(queueUrl), (left) => left === 0, { what: 'an empty queue' });
  });

  it('fails the whole batch when the function throws', async () => {
    const queueUrl = await queueWith([{}, { throw: true }], 30);
    const batches = run(queueUrl);
    await eventually(async () => batches.length, (count) => count >= 1, { what: 'one batch' });
    expect(batches[0]).toMatchObject({ records: 2, deleted: 0, failed: 2 });
    expect(batches[0]?.result.ok).toBe(false);
    expect(await messagesLeft(queueUrl)).toBe(2);
  });

  it('fails the whole batch when a reported itemIdentifier is not in the batch', async () => {
    const queueUrl = await queueWith([{}, { badReport: true }], 30);
    const batches = run(queueUrl);
    await eventually(async () => batches.length, (count) => count >= 1, { what: 'one batch' });
    expect(batches[0]).toMatchObject({ records: 2, deleted: 0, failed: 2 });
  });

  it('deletes the whole batch when batch item failures are not enabled', async () => {
    const queueUrl = await queueWith([{}, { fail: 'always' }], 30);
    const batches = run(queueUrl, { reportBatchItemFailures: false });
    await eventually(async () => batches.length, (count) => count >= 1, { what: 'one batch' });
    expect(batches[0]).toMatchObject({ records: 2, deleted: 2, failed: 0 });
  });

  it('abandons an invocation that outlives its timeout: it fails, and nothing it does later happens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncepay-runner-'));
    const lateFile = join(dir, 'late.txt');
    const host = new FunctionHost(scriptedFunction(300), { baseEnvironment: {}, maxEnvironments: 1, onLog: () => undefined });
    running.push(host);
    const event = { Records: [{ messageId: 'm1', body: JSON.stringify({ sleepMs: 1000, thenWrite: lateFile }), attributes: {} }] };
    const result = await host.invoke(event);
    expect(result).toMatchObject({ ok: false, timedOut: true });
    // A witness with a long enough timeout runs the same script; once it has written, the
    // abandoned invocation's moment to write has passed too.
    const witnessFile = join(dir, 'witness.txt');
    const witness = new FunctionHost(scriptedFunction(3000), { baseEnvironment: {}, maxEnvironments: 1, onLog: () => undefined });
    running.push(witness);
    await witness.invoke({ Records: [{ messageId: 'w1', body: JSON.stringify({ sleepMs: 1000, thenWrite: witnessFile }), attributes: {} }] });
    expect(existsSync(witnessFile)).toBe(true);
    expect(existsSync(lateFile)).toBe(false);
    const next = await host.invoke({ Records: [{ messageId: 'm2', body: '{}', attributes: { ApproximateReceiveCount: '1' } }] });
    expect(next).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
  });

  it('throttles an invocation beyond the reserved concurrency (Invoke API: 429 TooManyRequestsException) instead of queueing it', async () => {
    const host = new FunctionHost({ ...scriptedFunction(3000), reservedConcurrency: 1 }, { baseEnvironment: {}, maxEnvironments: 16, onLog: () => undefined });
    running.push(host);
    const api = await startLambdaApi([host]);
    try {
      const slow = host.invoke({ Records: [{ messageId: 's1', body: JSON.stringify({ sleepMs: 500 }), attributes: {} }] });
      await expect(host.invoke({ Records: [] })).rejects.toBeInstanceOf(ThrottledError);
      const overHttp = await fetch(`${api.endpoint}/2015-03-31/functions/scripted/invocations`, { method: 'POST', body: '{"Records":[]}' });
      expect(overHttp.status).toBe(429);
      expect(overHttp.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
      expect(await slow).toMatchObject({ ok: true });
      expect(await host.invoke({ Records: [] })).toMatchObject({ ok: true });
    } finally {
      await api.stop();
    }
  });
});
