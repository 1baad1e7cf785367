/**
 * The benchmark: drives an embedded stack through the HTTP API with autocannon at several
 * concurrency levels, new charges then replays, and accounts every DynamoDB and SQS call the
 * functions make (counted on the wire by the local stack's proxy, with DynamoDB's own
 * consumed-capacity figures) and every Lambda invocation.
 */
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateSecretKey, newStoredApiKey } from '#domain/api-key.ts';
import { mulberry32 } from '../chaos/random.ts';
import type { TrafficStats } from '../local/fault-proxy.ts';
import { LOCAL_CREDENTIALS, startLocalStack } from '../local/local-stack.ts';

export interface BenchOptions {
  /** New charges per concurrency level. */
  charges: number;
  concurrency: number[];
  /** Replays per level, as a share of the new charges. */
  replayRatio: number;
  seed: number;
  /** Test-only wiring: the baseline's bundle in place of the create-charge function. */
  bundleOverrides?: Record<string, string>;
  /** Creates the Powertools persistence table the baseline needs. */
  baseline?: boolean;
  progressBar?: boolean;
  onProgress?: (line: string) => void;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
}

export interface LevelResult {
  concurrency: number;
  newCharges: { requests: number; throughput: number; latencyMs: LatencySummary; errors: number };
  replays: { requests: number; throughput: number; latencyMs: LatencySummary; errors: number };
  /** From the 202 to `succeeded`, sampled. */
  acceptedToSucceededMs: { p50: number; p99: number; samples: number };
  /** Per new charge, API path and worker included (replays and client polling excluded). */
  callsPerCharge: Record<string, number>;
  capacityPerCharge: { write: number; read: number };
  lambda: { invocationsPerCharge: Record<string, number>; gbSecondsPerCharge: number };
  /** Share of one core used during the level (1 = one core busy). */
  cpu: { dynamodbLocal: number; nodeProcess: number };
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const MEMORY_GB = 0.5;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)) };
}

/** CPU seconds (user + system) of a process, from /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return 0;
  }
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta > 0) result[key] = delta;
  }
  return result;
}

export async function runBenchmark(options: BenchOptions): Promise<LevelResult[]> {
  const progress = options.onProgress ?? (() => undefined);
  const invocations: Array<{ fn: string; durationMs: number }> = [];
  const stack = await startLocalStack({
    port: 0,
    faultInjection: true,
    measureCapacity: true,
    runSchedules: false,
    seedDemoMerchants: false,
    onInvocation: (fn, durationMs) => invocations.push({ fn, durationMs }),
    ...(options.bundleOverrides ? { bundleOverrides: options.bundleOverrides } : {}),
  });
  const dynamodb = new DynamoDBClient({ region: stack.region, endpoint: stack.endpoints.dynamodb, credentials: LOCAL_CREDENTIALS });
  try {
    if (options.baseline) {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: `${stack.outputs['ChargesTableName']}-idempotency`,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      );
    }
    const store = new DynamoDbMerchantStore(dynamodb, stack.outputs['MerchantsTableName'] ?? '');
    const keys: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const key = generateSecretKey('test');
      await store.createMerchant({ merchantId: `mer_bench${i}`, name: `bench ${i}`, createdAt: Date.now() }, newStoredApiKey(key, `mer_bench${i}`, Date.now()));
      keys.push(key);
    }
    const random = mulberry32(options.seed);
    const stats = async (): Promise<TrafficStats> => (await (await fetch(`${stack.faultControlUrl}/stats`)).json()) as TrafficStats;

    /** Waits until the worker has recorded `count` more outcomes than `before` (two updates each). */
    const drain = async (before: TrafficStats, count: number) => {
      for (let round = 0; round < 600; round += 1) {
        const after = await stats();
        if ((after.calls['dynamodb:UpdateItem'] ?? 0) - (before.calls['dynamodb:UpdateItem'] ?? 0) >= 2 * count) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    // Warm-up, unmeasured: every function's first environments start here, not in level one.
    progress('warming up…');
    const warmupBefore = await stats();
    let warmupIndex = 0;
    await load(
      stack.apiUrl,
      4,
      20,
      () => ({ secret: keys[0] ?? '', key: `warmup-${options.seed}-${(warmupIndex += 1)}`, body: JSON.stringify({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa' }), tag: 0 }),
      () => undefined,
      false,
    );
    await drain(warmupBefore, 20);

    const results: LevelResult[] = [];
    for (const concurrency of options.concurrency) {
      progress(`concurrency ${concurrency}: ${options.charges} new charges…`);
      const before = await stats();
      const invocationsBefore = invocations.length;
      const cpuBefore = { java: processCpuSeconds(stack.dynamodbPid), node: process.cpuUsage() };
      const wallBefore = Date.now();

      const accepted: Array<{ id: string; key: string; secret: string; body: string }> = [];
      const samples: number[] = [];
      const polls: Array<Promise<void>> = [];
      let samplerGets = 0;
      const sampleEvery = Math.max(1, Math.floor(options.charges / 20));
      let next = 0;
      const bodies: string[] = [];
      const newPhase = await load(
        stack.apiUrl,
        concurrency,
        options.charges,
        () => {
          const index = next;
          next += 1;
          const secret = keys[Math.floor(random() * keys.length)] ?? '';
          const key = `bench-${options.seed}-${concurrency}-${index}`;
          const body = JSON.stringify({ amount: 100 + Math.floor(random() * 10_000), currency: 'usd', payment_method: 'pm_card_visa' });
          bodies[index] = body;
          return { secret, key, body, tag: index };
        },
        (status, responseBody, request) => {
          if (status !== 202) return;
          const { id } = JSON.parse(responseBody) as { id: string };
          accepted.push({ id, key: request.key, secret: request.secret, body: request.body });
          if (accepted.length % sampleEvery === 0) {
            const acceptedAt = Date.now();
            polls.push(
              (async () => {
                for (let i = 0; i < 500; i += 1) {
                  samplerGets += 1;
                  const response = await fetch(`${stack.apiUrl}/v1/charges/${id}`, { headers: { Authorization: `Bearer ${request.secret}` } });
                  if (((await response.json()) as { status: string }).status === 'succeeded') {
                    samples.push(Date.now() - acceptedAt);
                    return;
                  }
                  await new Promise((resolve) => setTimeout(resolve, 10));
                }
              })(),
            );
          }
        },
        options.progressBar ?? false,
      );
      await Promise.all(polls);
      // Drain: every accepted charge final, so the worker's calls are all counted.
      await drain(before, accepted.length);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the last batches' deletes
      const afterNew = await stats();
      const wallMs = Date.now() - wallBefore;
      const cpuNode = process.cpuUsage(cpuBefore.node);
      const cpu = {
        dynamodbLocal: (processCpuSeconds(stack.dynamodbPid) - cpuBefore.java) / (wallMs / 1000),
        nodeProcess: (cpuNode.user + cpuNode.system) / 1e6 / (wallMs / 1000),
      };
      const levelInvocations = invocations.slice(invocationsBefore).filter((invocation) => !invocation.fn.startsWith('ServiceGetCharge'));

      progress(`concurrency ${concurrency}: ${Math.round(options.charges * options.replayRatio)} replays…`);
      let replayIndex = 0;
      const replayCount = Math.max(1, Math.round(options.charges * options.replayRatio));
      const replayPhase = await load(
        stack.apiUrl,
        concurrency,
        replayCount,
        () => {
          const original = accepted[replayIndex % Math.max(1, accepted.length)];
          replayIndex += 1;
          return { secret: original?.secret ?? '', key: original?.key ?? '', body: original?.body ?? '', tag: replayIndex };
        },
        () => undefined,
        options.progressBar ?? false,
      );

      const n = Math.max(1, accepted.length);
      const calls = diff(afterNew.calls, before.calls);
      // The sampler's own polling is the client's, not the charge's.
      calls['dynamodb:GetItem'] = Math.max(0, (calls['dynamodb:GetItem'] ?? 0) - samplerGets);
      const capacity = diff(afterNew.capacityUnits, before.capacityUnits);
      const invocationsPerCharge: Record<string, number> = {};
      for (const invocation of levelInvocations) {
        const name = invocation.fn.replace(/^Service/, '').replace(/Function.*$/, '');
        invocationsPerCharge[name] = (invocationsPerCharge[name] ?? 0) + 1 / n;
      }
      const sortedSamples = [...samples].sort((a, b) => a - b);
      results.push({
        concurrency,
        newCharges: newPhase,
        replays: replayPhase,
        acceptedToSucceededMs: { p50: percentile(sortedSamples, 50), p99: percentile(sortedSamples, 99), samples: samples.length },
        callsPerCharge: Object.fromEntries(Object.entries(calls).filter(([, count]) => count > 0).map(([key, count]) => [key, count / n])),
        capacityPerCharge: {
          write: Object.entries(capacity).filter(([op]) => WRITE_OPERATIONS.has(op)).reduce((sum, [, units]) => sum + units, 0) / n,
          // GetItem is the client's polling and the authorizer's (cached) key lookups, not the charge's.
          read: Object.entries(capacity).filter(([op]) => !WRITE_OPERATIONS.has(op) && op !== 'GetItem').reduce((sum, [, units]) => sum + units, 0) / n,
        },
        lambda: {
          invocationsPerCharge,
          gbSecondsPerCharge: (levelInvocations.reduce((sum, invocation) => sum + invocation.durationMs, 0) / 1000) * MEMORY_GB / n,
        },
        cpu,
      });
    }
    return results;
  } finally {
    dynamodb.destroy();
    await stack.stop();
  }
}

interface LoadRequest {
  secret: string;
  key: string;
  body: string;
  tag: number;
}

/** One autocannon run: `amount` POSTs from `connections` clients; latencies from its response events. */
async function load(
  apiUrl: string,
  connections: number,
  amount: number,
  nextRequest: () => LoadRequest,
  onResponse: (status: number, body: string, request: LoadRequest) => void,
  progressBar: boolean,
): Promise<{ requests: number; throughput: number; latencyMs: LatencySummary; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const started = Date.now();
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url: apiUrl,
    // autocannon refuses more connections than requests (a short replay phase at 64 clients).
    connections: Math.min(connections, amount),
    amount,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/charges',
        setupRequest: (request, context) => {
          const next = nextRequest();
          (context as Record<string, unknown>)['request'] = next;
          return {
            ...request,
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${next.secret}`, 'Idempotency-Key': next.key },
            body: next.body,
          };
        },
        onResponse: (status, body, context) => {
          const request = (context as Record<string, unknown>)['request'] as LoadRequest;
          if (status !== 202) errors += 1;
          onResponse(status, body, request);
        },
      },
    ],
  }, (error, result) => (error ? fail(error as Error) : finish(result)));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  if (progressBar) autocannon.track(instance, { renderProgressBar: true, renderResultsTable: false, renderLatencyTable: false });
  const result = await finished;
  const seconds = (Date.now() - started) / 1000;
  return {
    requests: result.requests.total,
    throughput: result.requests.total / seconds,
    latencyMs: summarize(latencies),
    errors: errors + result.errors + result.timeouts,
  };
}
