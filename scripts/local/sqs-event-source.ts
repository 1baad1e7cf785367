import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { InvocationResult } from './function-host.ts';

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  /** Concurrent pollers = the mapping's maximum concurrency. */
  concurrency: number;
  reportBatchItemFailures: boolean;
  invoke: (event: SQSEvent) => Promise<InvocationResult>;
  onBatch: (summary: BatchSummary) => void;
}

export interface BatchSummary {
  records: number;
  deleted: number;
  failed: number;
  result: InvocationResult;
}

export interface RunningEventSource {
  stop(): Promise<void>;
}

/**
 * An SQS event source mapping with Lambda's semantics: long-poll up to `batchSize`
 * messages, invoke the function with them, then delete what succeeded. A throw or timeout
 * fails the whole batch; with `ReportBatchItemFailures` only the listed records stay, and a
 * malformed response fails the whole batch. Nothing is deleted for a failed record: it
 * returns after its visibility timeout and, past `maxReceiveCount`, the queue's own redrive
 * policy moves it to the DLQ.
 */
export function startSqsEventSource(options: SqsEventSourceOptions): RunningEventSource {
  const abort = new AbortController();
  const pollers = Array.from({ length: options.concurrency }, () => poll(options, abort.signal));
  return {
    stop: async () => {
      abort.abort();
      await Promise.all(pollers);
    },
  };
}

async function poll(options: SqsEventSourceOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let messages: Message[];
    try {
      messages = await receiveBatch(options, signal);
    } catch {
      if (signal.aborted) return;
      await sleep(200, signal); // the emulator hiccuped; poll again, as Lambda's pollers do
      continue;
    }
    if (messages.length === 0) continue;
    const records = messages.map((message) => toRecord(message, options));
    const result = await options.invoke({ Records: records });
    const failedIds = failedRecordIds(result, records, options.reportBatchItemFailures);
    const succeeded = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    if (succeeded.length > 0) {
      try {
        await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: succeeded.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
          }),
        );
      } catch {
        // Not deleted: the messages are delivered again, which at-least-once allows.
      }
    }
    options.onBatch({ records: records.length, deleted: succeeded.length, failed: failedIds.size, result });
  }
}

async function receiveBatch(options: SqsEventSourceOptions, signal: AbortSignal): Promise<Message[]> {
  const messages: Message[] = [];
  const windowEnds = Date.now() + options.maxBatchingWindowSeconds * 1000;
  do {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize - messages.length,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    messages.push(...Messages);
  } while (messages.length > 0 && messages.length < options.batchSize && Date.now() < windowEnds);
  return messages;
}

/** The ids Lambda would leave on the queue after this invocation. */
function failedRecordIds(result: InvocationResult, records: SQSRecord[], reportBatchItemFailures: boolean): Set<string> {
  const all = new Set(records.map((record) => record.messageId));
  if (!result.ok) return all;
  if (!reportBatchItemFailures) return new Set();
  const response = result.result as { batchItemFailures?: unknown } | null;
  if (response === null || response.batchItemFailures === undefined) return new Set();
  if (!Array.isArray(response.batchItemFailures)) return all;
  const failed = new Set<string>();
  for (const failure of response.batchItemFailures as Array<{ itemIdentifier?: unknown }>) {
    const id = failure?.itemIdentifier;
    // Lambda treats an empty, missing or unknown identifier as a failure of the whole batch.
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

function toRecord(message: Message, options: SqsEventSourceOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: [],
          binaryListValues: [],
          dataType: value.DataType ?? 'String',
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn,
    awsRegion: options.region,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
