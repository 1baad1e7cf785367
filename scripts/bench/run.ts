/**
 * The benchmark: drives an embedded stack through the HTTP API with autocannon at several
 * concurrency levels — new charges, replays, then the client's status read of each charge —
 * and accounts every DynamoDB and SQS call the functions make (counted on the wire by the
 * local stack's proxy, with DynamoDB's own consumed-capacity figures), every Lambda
 * invocation, every line the functions log, every Secrets Manager call and every API
 * request; then runs idle reconciler passes, the fixed cost of its schedule.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import autocannon from 'autocannon';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateApiKey, newStoredApiKey } from '#domain/api-key.ts';
import { mulberry32 } from '../chaos/random.ts';
import type { TrafficStats } from '../local/fault-proxy.ts';
import { LOCAL_CREDENTIALS, startLocalStack } from '../local/local-stack.ts';
import { addVolume, emfMetrics, emptyLogVolume, lambdaLineBytes, lambdaPlatformVolume, shortFunctionName, type ApiRequestGroup, type LogVolume } from './aws-logs.ts';
import { measureStorage, type StoredKind } from './storage.ts';

export interface BenchOptions {
  /** New charges per concurrency level. */
  charges: number;
  concurrency: number[];
  /** Replays per level, as a share of the new charges. */
  replayRatio: number;
  seed: number;
  /** Measured idle reconciler passes after the levels (default 3). */
  reconcilerPasses?: number;
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

export interface PhaseResult {
  requests: number;
  throughput: number;
  latencyMs: LatencySummary;
  errors: number;
}

export interface LevelResult {
  concurrency: number;
  newCharges: PhaseResult;
  replays: PhaseResult;
  /** From the 202 to `succeeded`, sampled. */
  acceptedToSucceededMs: { p50: number; p99: number; samples: number };
  /** Per new charge, API path and worker included (replays and client polling excluded). */
  callsPerCharge: Record<string, number>;
  capacityPerCharge: { write: number; read: number };
  /** Write units each GSI took per charge (part of `capacityPerCharge.write`): what each index costs. */
  indexWritesPerCharge: Record<string, number>;
  /** The API path's share of the calls: item puts outside the webhooks table (the events function's and Stripe's events'), and work-queue sends other than Stripe's events'. */
  apiPathPerCharge: { dynamodbWrites: number; sqsSends: number };
  /**
   * Learning the outcome by webhook, per charge (one endpoint per merchant): the delivery path's
   * calls on the deliveries queue and the webhooks table, its capacity, the delivery function.
   * Not in the charge's figures above (the events function, which runs for every charge, is).
   */
  webhook: {
    deliveriesPerCharge: number;
    callsPerCharge: Record<string, number>;
    capacityPerCharge: { write: number; read: number };
    lambda: { invocationsPerCharge: Record<string, number>; gbSecondsPerCharge: number };
    logsPerCharge: Record<string, LogVolume>;
    platformLogsPerCharge: LogVolume;
  };
  lambda: { invocationsPerCharge: Record<string, number>; gbSecondsPerCharge: number };
  /** Per new charge, by function: the lines the functions wrote, captured from the runner (see `lambdaLineBytes`). */
  logsPerCharge: Record<string, LogVolume>;
  /** Per new charge: Lambda's own START/END/REPORT lines for the measured invocations, rendered. */
  platformLogsPerCharge: LogVolume;
  /** Per new charge: the API requests of the new-charge phase (each one access-log line). */
  apiRequestsPerCharge: ApiRequestGroup[];
  /** Per new charge: `GetSecretValue` requests, counted on the wire. */
  secretsManagerCallsPerCharge: number;
  /** The client learning the outcome: one `GET /v1/charges/{id}` per accepted charge, once final. */
  statusRead: StatusReadResult;
  /**
   * Share of one core used during the level's new charges (1 = one core busy): by DynamoDB Local,
   * by this node process, and by every other process on the machine (not the benchmark's).
   */
  cpu: { dynamodbLocal: number; nodeProcess: number; otherProcesses: number };
}

export interface StatusReadResult extends PhaseResult {
  callsPerRead: Record<string, number>;
  capacityPerRead: { write: number; read: number };
  lambda: { invocationsPerRead: Record<string, number>; gbSecondsPerRead: number };
  logsPerRead: Record<string, LogVolume>;
  platformLogsPerRead: LogVolume;
  apiRequestsPerRead: ApiRequestGroup[];
  secretsManagerCallsPerRead: number;
}

/** Idle reconciler passes (nothing stuck, no dead letter), invoked as the schedule invokes them. */
export interface ReconcilerPassResult {
  passes: number;
  /** Mean measured duration of a pass. */
  durationMs: number;
  callsPerPass: Record<string, number>;
  capacityPerPass: { write: number; read: number };
  logsPerPass: LogVolume;
  platformLogsPerPass: LogVolume;
  secretsManagerCallsPerPass: number;
  /** Custom metrics (`namespace/name{dimensions}`) every pass publishes through EMF: billed all month. */
  metrics: string[];
  /** What the measured passes found, per pass, from their reports: all 0 for idle passes. */
  foundPerPass: { stuck: number; inReview: number; deadLetters: number };
}

export interface BenchRun {
  levels: LevelResult[];
  reconcilerPass: ReconcilerPassResult;
  /**
   * Custom metrics (`namespace/name{dimensions}`) the functions published through EMF anywhere
   * in the run, the reconciler's passes included (some only when something went wrong).
   */
  customMetrics: string[];
  /** The whole run, warm-up included; KMS requests counted on the wire (the KMS stand-in's). */
  totals: { charges: number; secretsManagerCalls: number; workerInvocations: number; kmsRequests: number; webhookDeliveries: number };
  /** What the run's charges left in the charges and webhooks tables, by kind of item (divide by `totals.charges`). */
  storage: StoredKind[];
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
/** Every function of the stack has 512 MB (infra/service.ts). */
export const MEMORY_MB = 512;
const MEMORY_GB = MEMORY_MB / 1024;

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

/** CPU seconds this process and its waited-for children have used, from /proc. */
export function selfCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100; // utime stime cutime cstime
  } catch {
    return 0;
  }
}

/** CPU seconds every process on the machine has used (all cores), from /proc/stat. */
export function machineCpuSeconds(): number {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    return ((fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0) + (fields[7] ?? 0)) / 100;
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

/** Calls by operation: a processor path's object id (`/v1/payment_intents/pi_…/confirm`) becomes `{id}`. */
function byOperation(calls: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, count] of Object.entries(calls)) {
    const operation = key.replace(/\/[a-z]{2,4}_[A-Za-z0-9]+/g, '/{id}');
    result[operation] = (result[operation] ?? 0) + count;
  }
  return result;
}

const perUnit = (values: Record<string, number>, n: number) =>
  Object.fromEntries(Object.entries(values).filter(([, count]) => count > 0).map(([key, count]) => [key, count / n]));

/** `ServiceWorkerFunctionA257E550` → `Worker`. */

interface Invocation {
  fn: string;
  durationMs: number;
}

/** Lambda invocations, GB-seconds and rendered platform lines of some invocations, per unit. */
function lambdaAccounting(invocations: Invocation[], n: number) {
  const invocationsPerUnit: Record<string, number> = {};
  const platform = emptyLogVolume();
  let seconds = 0;
  for (const invocation of invocations) {
    const name = shortFunctionName(invocation.fn);
    invocationsPerUnit[name] = (invocationsPerUnit[name] ?? 0) + 1 / n;
    addVolume(platform, lambdaPlatformVolume(invocation.durationMs, MEMORY_MB), 1 / n);
    seconds += invocation.durationMs / 1000;
  }
  return { invocations: invocationsPerUnit, gbSeconds: (seconds * MEMORY_GB) / n, platform };
}

/**
 * Read and write units per unit. GetItem capacity is shared with other readers: attributed by
 * call count. A Query is billed at least half a read unit on AWS even when it finds nothing
 * (DynamoDB Local reports 0 for an empty one): floored at that.
 */
function capacityAccounting(capacity: Record<string, number>, getItemCalls: { total: number; attributed: number }, n: number, queries = 0) {
  const measured = { ...capacity, Query: Math.max(capacity['Query'] ?? 0, 0.5 * queries) };
  let read = Object.entries(measured).filter(([op]) => !WRITE_OPERATIONS.has(op) && op !== 'GetItem').reduce((sum, [, units]) => sum + units, 0);
  if (getItemCalls.total > 0) read += ((capacity['GetItem'] ?? 0) * getItemCalls.attributed) / getItemCalls.total;
  return {
    write: Object.entries(capacity).filter(([op]) => WRITE_OPERATIONS.has(op)).reduce((sum, [, units]) => sum + units, 0) / n,
    read: read / n,
  };
}

/** Write units per unit by index name, from the proxy's `<operation>:<index>` counts. */
function indexWrites(byOperationAndIndex: Record<string, number>, n: number): Record<string, number> {
  const perIndex: Record<string, number> = {};
  for (const [key, units] of Object.entries(byOperationAndIndex)) {
    const [operation = '', index = ''] = key.split(':');
    if (WRITE_OPERATIONS.has(operation)) perIndex[index] = (perIndex[index] ?? 0) + units / n;
  }
  return perIndex;
}

/** Adds one response to request groups keyed by method, resource, status and response length. */
function recordRequest(groups: Map<string, ApiRequestGroup>, request: Omit<ApiRequestGroup, 'count'>): void {
  const key = `${request.method} ${request.resourcePath} ${request.status} ${request.responseBytes}`;
  const group = groups.get(key);
  if (group) group.count += 1;
  else groups.set(key, { ...request, count: 1 });
}

const requestsPerUnit = (groups: Map<string, ApiRequestGroup>, n: number): ApiRequestGroup[] =>
  [...groups.values()].map((group) => ({ ...group, count: group.count / n }));

export async function runBenchmark(options: BenchOptions): Promise<BenchRun> {
  const progress = options.onProgress ?? (() => undefined);
  const invocations: Invocation[] = [];
  /** Cumulative log volume per function logical id, as Lambda would write it. */
  const logs = new Map<string, LogVolume>();
  const customMetrics = new Set<string>();
  /** Set while the idle reconciler passes run: the metrics they publish. */
  let passMetrics: Set<string> | null = null;
  // Secrets Manager calls, counted on the wire: every request the emulator (in this process) receives.
  let secretsManagerCalls = 0;
  let kmsRequests = 0;
  const onHttpRequest = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    const target = String(request.headers['x-amz-target'] ?? '');
    if (target === 'secretsmanager.GetSecretValue') secretsManagerCalls += 1;
    if (target.startsWith('TrentService.')) kmsRequests += 1;
  };
  subscribe('http.server.request.start', onHttpRequest);

  const stack = await startLocalStack({
    port: 0,
    faultInjection: true,
    measureCapacity: true,
    runSchedules: false,
    seedDemoMerchants: false,
    onInvocation: (fn, durationMs) => invocations.push({ fn, durationMs }),
    onFunctionLog: (fn, line) => {
      const volume = logs.get(fn) ?? emptyLogVolume();
      volume.events += 1;
      volume.bytes += lambdaLineBytes(line);
      logs.set(fn, volume);
      for (const metric of emfMetrics(line)) {
        customMetrics.add(metric);
        if (shortFunctionName(fn) === 'Reconciler') passMetrics?.add(metric);
      }
    },
    ...(options.bundleOverrides ? { bundleOverrides: options.bundleOverrides } : {}),
  }).catch((error: unknown) => {
    unsubscribe('http.server.request.start', onHttpRequest);
    throw error;
  });
  const dynamodb = new DynamoDBClient({ region: stack.region, endpoint: stack.endpoints.dynamodb, credentials: LOCAL_CREDENTIALS });
  const lambda = new LambdaClient({ region: stack.region, endpoint: stack.endpoints.lambda, credentials: LOCAL_CREDENTIALS });
  /** Log volume per short function name between two snapshots, per unit; `keep` selects functions. */
  const logSnapshot = () => new Map([...logs].map(([fn, volume]) => [fn, { ...volume }]));
  const logsBetween = (before: Map<string, LogVolume>, after: Map<string, LogVolume>, n: number, keep: (name: string) => boolean) => {
    const result: Record<string, LogVolume> = {};
    for (const [fn, volume] of after) {
      const name = shortFunctionName(fn);
      if (!keep(name)) continue;
      const earlier = before.get(fn) ?? emptyLogVolume();
      const delta = { events: volume.events - earlier.events, bytes: volume.bytes - earlier.bytes };
      if (delta.events <= 0) continue;
      result[name] = { events: delta.events / n, bytes: delta.bytes / n };
    }
    return result;
  };
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // The merchants' webhook receiver: every charge's event is delivered once, answered 200 at once.
  let deliveries = 0;
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      deliveries += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  /** The delivery path's resources: its queue, and the webhooks table's reads and attempt records. */
  const deliveriesQueue = String(stack.outputs['DeliveriesQueueUrl'] ?? '').split('/').pop() ?? '';
  const webhooksTable = stack.outputs['WebhooksTableName'] ?? '';
  const isWebhookCall = (key: string) => {
    const [call = '', resource = ''] = key.split('@');
    return resource === deliveriesQueue || (resource === webhooksTable && ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'].includes(call));
  };
  /** Calls (or capacity) between two snapshots, split into the charge's and the webhook delivery's. */
  const splitByPath = (after: Record<string, number>, before: Record<string, number>) => {
    const charge: Record<string, number> = {};
    const webhook: Record<string, number> = {};
    const delta = diff(after, before);
    // Empty long-poll receives are the pollers idling: priced in the fixed costs, not per charge.
    for (const [key, count] of Object.entries(delta)) {
      if (!key.startsWith('sqs:ReceiveMessage(empty)@')) continue;
      const receives = key.replace('(empty)', '');
      delta[receives] = Math.max(0, (delta[receives] ?? 0) - count);
      delete delta[key];
    }
    for (const [key, count] of Object.entries(delta)) {
      const into = isWebhookCall(key.includes(':') ? key : `dynamodb:${key}`) ? webhook : charge;
      const operation = key.split('@')[0] ?? key;
      into[operation] = (into[operation] ?? 0) + count;
    }
    return { charge, webhook };
  };
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
      const key = generateApiKey('secret', 'test');
      await store.createMerchant({ merchantId: `mer_bench${i}`, name: `bench ${i}`, createdAt: Date.now() }, newStoredApiKey(key, `mer_bench${i}`, Date.now()));
      keys.push(key);
      const endpoint = await fetch(`${stack.apiUrl}/v1/webhook_endpoints`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: receiverUrl, enabled_events: ['*'] }),
      });
      if (endpoint.status !== 201) throw new Error(`Could not register the bench's webhook endpoint: ${endpoint.status}`);
    }
    const random = mulberry32(options.seed);
    const stats = async (): Promise<TrafficStats> => (await (await fetch(`${stack.faultControlUrl}/stats`)).json()) as TrafficStats;

    /** Waits until the worker has recorded `count` more outcomes than `before` (two updates each) and their events were delivered. */
    const drain = async (before: TrafficStats, count: number, deliveredBefore: number) => {
      for (let round = 0; round < 600; round += 1) {
        const after = await stats();
        const outcomes = (after.callsByResource[`dynamodb:UpdateItem@${stack.outputs['ChargesTableName'] ?? ''}`] ?? 0) - (before.callsByResource[`dynamodb:UpdateItem@${stack.outputs['ChargesTableName'] ?? ''}`] ?? 0);
        if (outcomes >= 2 * count && deliveries - deliveredBefore >= count) return;
        await settle(100);
      }
    };

    // Each key's first use stamps its last use (then at most hourly): do it here, unmeasured.
    for (const key of keys) {
      await fetch(`${stack.apiUrl}/v1/charges/ch_0000000000000000000000`, { headers: { Authorization: `Bearer ${key}` } });
    }
    // Warm-up, unmeasured: every function's first environments start here, not in level one.
    progress('warming up…');
    const warmupBefore = await stats();
    let warmupIndex = 0;
    const warmupCharges = 20;
    await load(
      stack.apiUrl,
      4,
      warmupCharges,
      () => ({ method: 'POST', path: '/v1/charges', secret: keys[0] ?? '', key: `warmup-${options.seed}-${(warmupIndex += 1)}`, body: JSON.stringify({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa' }) }),
      () => undefined,
      false,
    );
    await drain(warmupBefore, warmupCharges, 0);
    let chargesSent = warmupCharges;

    const levels: LevelResult[] = [];
    for (const concurrency of options.concurrency) {
      progress(`concurrency ${concurrency}: ${options.charges} new charges…`);
      const before = await stats();
      const deliveredBefore = deliveries;
      const invocationsBefore = invocations.length;
      const logsBefore = logSnapshot();
      const secretsBefore = secretsManagerCalls;
      const cpuBefore = { java: processCpuSeconds(stack.dynamodbPid), node: process.cpuUsage(), machine: machineCpuSeconds() };
      const wallBefore = Date.now();

      const accepted: Array<{ id: string; key: string; secret: string; body: string }> = [];
      const newRequests = new Map<string, ApiRequestGroup>();
      const samples: number[] = [];
      const polls: Array<Promise<void>> = [];
      let samplerGets = 0;
      const sampleEvery = Math.max(1, Math.floor(options.charges / 20));
      let next = 0;
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
          return { method: 'POST', path: '/v1/charges', secret, key, body };
        },
        (status, responseBody, request) => {
          recordRequest(newRequests, { method: 'POST', resourcePath: '/v1/charges', status, responseBytes: Buffer.byteLength(responseBody, 'utf8') });
          if (status !== 202) return;
          const { id } = JSON.parse(responseBody) as { id: string };
          accepted.push({ id, key: request.key ?? '', secret: request.secret, body: request.body ?? '' });
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
                  await settle(10);
                }
              })(),
            );
          }
        },
        options.progressBar ?? false,
      );
      chargesSent += options.charges;
      await Promise.all(polls);
      // Drain: every accepted charge final, so the worker's calls are all counted.
      await drain(before, accepted.length, deliveredBefore);
      await settle(1500); // the last batches' deletes and log lines
      const afterNew = await stats();
      const logsAfterNew = logSnapshot();
      const secretsAfterNew = secretsManagerCalls;
      const invocationsAfterNew = invocations.length;
      const wallMs = Date.now() - wallBefore;
      const cpuNode = process.cpuUsage(cpuBefore.node);
      const javaSeconds = processCpuSeconds(stack.dynamodbPid) - cpuBefore.java;
      const nodeSeconds = (cpuNode.user + cpuNode.system) / 1e6;
      const cpu = {
        dynamodbLocal: javaSeconds / (wallMs / 1000),
        nodeProcess: nodeSeconds / (wallMs / 1000),
        otherProcesses: Math.max(0, machineCpuSeconds() - cpuBefore.machine - javaSeconds - nodeSeconds) / (wallMs / 1000),
      };
      // The sampler's polling (GetCharge) is the benchmark's, not the charge's.
      const isChargePath = (name: string) => name !== 'GetCharge' && name !== 'Deliver';
      const isDeliveryPath = (name: string) => name === 'Deliver';
      const levelInvocations = invocations.slice(invocationsBefore, invocationsAfterNew).filter((invocation) => isChargePath(shortFunctionName(invocation.fn)));
      const deliveryInvocations = invocations.slice(invocationsBefore, invocationsAfterNew).filter((invocation) => isDeliveryPath(shortFunctionName(invocation.fn)));

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
          return { method: 'POST', path: '/v1/charges', secret: original?.secret ?? '', key: original?.key ?? '', body: original?.body ?? '' };
        },
        () => undefined,
        options.progressBar ?? false,
      );

      progress(`concurrency ${concurrency}: one status read per charge…`);
      await settle(200); // the replays' log lines
      const beforeRead = await stats();
      const logsBeforeRead = logSnapshot();
      const secretsBeforeRead = secretsManagerCalls;
      const invocationsBeforeRead = invocations.length;
      const readRequests = new Map<string, ApiRequestGroup>();
      let readIndex = 0;
      const readPhase = await load(
        stack.apiUrl,
        concurrency,
        Math.max(1, accepted.length),
        () => {
          const charge = accepted[readIndex % Math.max(1, accepted.length)];
          readIndex += 1;
          return { method: 'GET', path: `/v1/charges/${charge?.id ?? 'none'}`, secret: charge?.secret ?? '' };
        },
        (status, responseBody) =>
          recordRequest(readRequests, { method: 'GET', resourcePath: '/v1/charges/{id}', status, responseBytes: Buffer.byteLength(responseBody, 'utf8') }),
        options.progressBar ?? false,
        200,
      );
      await settle(300); // the reads' log lines
      const afterRead = await stats();
      const reads = Math.max(1, readPhase.requests);
      const readInvocations = lambdaAccounting(invocations.slice(invocationsBeforeRead), reads);
      const logsAfterRead = logSnapshot();
      // The event source's pollers keep receiving while the reads run; the reads themselves call DynamoDB only.
      const readCalls = Object.fromEntries(Object.entries(byOperation(diff(afterRead.calls, beforeRead.calls))).filter(([key]) => !key.startsWith('sqs:')));

      const n = Math.max(1, accepted.length);
      const callsByPath = splitByPath(afterNew.callsByResource, before.callsByResource);
      const capacityByPath = splitByPath(afterNew.capacityByResource, before.capacityByResource);
      const calls = byOperation(callsByPath.charge);
      const getItemCalls = calls['dynamodb:GetItem'] ?? 0;
      calls['dynamodb:GetItem'] = Math.max(0, getItemCalls - samplerGets);
      const charge = lambdaAccounting(levelInvocations, n);
      const sortedSamples = [...samples].sort((a, b) => a - b);
      levels.push({
        concurrency,
        newCharges: newPhase,
        replays: replayPhase,
        acceptedToSucceededMs: { p50: percentile(sortedSamples, 50), p99: percentile(sortedSamples, 99), samples: samples.length },
        callsPerCharge: perUnit(calls, n),
        capacityPerCharge: capacityAccounting(capacityByPath.charge, { total: getItemCalls, attributed: calls['dynamodb:GetItem'] ?? 0 }, n, calls['dynamodb:Query'] ?? 0),
        webhook: {
          deliveriesPerCharge: (deliveries - deliveredBefore) / n,
          callsPerCharge: perUnit(byOperation(callsByPath.webhook), n),
          capacityPerCharge: capacityAccounting(capacityByPath.webhook, { total: 1, attributed: 1 }, n),
          lambda: (() => {
            const accounting = lambdaAccounting(deliveryInvocations, n);
            return { invocationsPerCharge: accounting.invocations, gbSecondsPerCharge: accounting.gbSeconds };
          })(),
          logsPerCharge: logsBetween(logsBefore, logsAfterNew, n, isDeliveryPath),
          platformLogsPerCharge: lambdaAccounting(deliveryInvocations, n).platform,
        },
        indexWritesPerCharge: indexWrites(diff(afterNew.indexCapacityUnits, before.indexCapacityUnits), n),
        apiPathPerCharge: (() => {
          const delta = diff(afterNew.callsByResource, before.callsByResource);
          const count = (match: (call: string, resource: string) => boolean) =>
            Object.entries(delta).filter(([key]) => match(key.split('@')[0] ?? '', key.split('@')[1] ?? '')).reduce((total, [, value]) => total + value, 0) / n;
          // Stripe's events come in through POST /webhooks/stripe, whose function queues each one on the
          // work queue (one send per invocation in a run without faults): part of the charge's cost, not the API path's.
          const processorEventSends = levelInvocations.filter((invocation) => shortFunctionName(invocation.fn) === 'ProcessorWebhook').length / n;
          return {
            dynamodbWrites: count((call, resource) => call === 'dynamodb:PutItem' && resource !== webhooksTable),
            sqsSends: count((call, resource) => call === 'sqs:SendMessage' && resource !== deliveriesQueue) - processorEventSends,
          };
        })(),
        lambda: { invocationsPerCharge: charge.invocations, gbSecondsPerCharge: charge.gbSeconds },
        logsPerCharge: logsBetween(logsBefore, logsAfterNew, n, isChargePath),
        platformLogsPerCharge: charge.platform,
        apiRequestsPerCharge: requestsPerUnit(newRequests, n),
        secretsManagerCallsPerCharge: (secretsAfterNew - secretsBefore) / n,
        statusRead: {
          ...readPhase,
          callsPerRead: perUnit(readCalls, reads),
          capacityPerRead: capacityAccounting(diff(afterRead.capacityUnits, beforeRead.capacityUnits), { total: 1, attributed: 1 }, reads, readCalls['dynamodb:Query'] ?? 0),
          lambda: { invocationsPerRead: readInvocations.invocations, gbSecondsPerRead: readInvocations.gbSeconds },
          logsPerRead: logsBetween(logsBeforeRead, logsAfterRead, reads, () => true),
          platformLogsPerRead: readInvocations.platform,
          apiRequestsPerRead: requestsPerUnit(readRequests, reads),
          secretsManagerCallsPerRead: (secretsManagerCalls - secretsBeforeRead) / reads,
        },
        cpu,
      });
    }

    const reconcilerPass = await measureReconcilerPasses(options.reconcilerPasses ?? 3);
    progress('sizing what the charges left in the tables…');
    const storage = await measureStorage(dynamodb, { charges: stack.outputs['ChargesTableName'] ?? '', webhooks: webhooksTable });
    return {
      levels,
      reconcilerPass,
      customMetrics: [...customMetrics].sort(),
      totals: {
        charges: chargesSent,
        secretsManagerCalls,
        workerInvocations: invocations.filter((invocation) => shortFunctionName(invocation.fn) === 'Worker').length,
        kmsRequests,
        webhookDeliveries: deliveries,
      },
      storage,
    };

    /** Idle passes as the EventBridge schedule runs them; one unmeasured pass first (its environment's cold start). */
    async function measureReconcilerPasses(passes: number): Promise<ReconcilerPassResult> {
      progress(`${passes} idle reconciler passes…`);
      const invoke = async () => {
        const response = await lambda.send(
          new InvokeCommand({
            FunctionName: stack.outputs['ReconcilerFunctionName'],
            Payload: JSON.stringify({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} }),
          }),
        );
        const payload = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
        if (response.FunctionError) throw new Error(`The reconciler failed: ${payload}`);
        return JSON.parse(payload) as { found: number; inReview: number; deadLetters: { received: number } };
      };
      await invoke();
      // The worker's event source keeps polling its (empty) queue meanwhile: measure that idle rate
      // first, and take it out of the passes' SQS receives.
      const idleBefore = await stats();
      const idleStarted = Date.now();
      await settle(3000);
      const idleAfter = await stats();
      const idleReceivesPerMs = ((idleAfter.calls['sqs:ReceiveMessage'] ?? 0) - (idleBefore.calls['sqs:ReceiveMessage'] ?? 0)) / (Date.now() - idleStarted);
      const before = idleAfter;
      const started = Date.now();
      const logsBefore = logSnapshot();
      const secretsBefore = secretsManagerCalls;
      const invocationsBefore = invocations.length;
      const metrics = new Set<string>();
      passMetrics = metrics;
      const found = { stuck: 0, inReview: 0, deadLetters: 0 };
      for (let i = 0; i < passes; i += 1) {
        const report = await invoke();
        found.stuck += report.found / passes;
        found.inReview += report.inReview / passes;
        found.deadLetters += report.deadLetters.received / passes;
      }
      await settle(300);
      passMetrics = null;
      const after = await stats();
      const passInvocations = invocations.slice(invocationsBefore).filter((invocation) => shortFunctionName(invocation.fn) === 'Reconciler');
      const accounting = lambdaAccounting(passInvocations, passes);
      const calls = byOperation(diff(after.calls, before.calls));
      // Whole requests per pass: the subtraction of the idle rate is not exact.
      const receives = (calls['sqs:ReceiveMessage'] ?? 0) - idleReceivesPerMs * (Date.now() - started);
      calls['sqs:ReceiveMessage'] = Math.max(0, Math.round(receives / passes)) * passes;
      return {
        passes,
        durationMs: passInvocations.reduce((sum, invocation) => sum + invocation.durationMs, 0) / Math.max(1, passInvocations.length),
        callsPerPass: perUnit(calls, passes),
        capacityPerPass: capacityAccounting(diff(after.capacityUnits, before.capacityUnits), { total: 1, attributed: 1 }, passes, calls['dynamodb:Query'] ?? 0),
        logsPerPass: logsBetween(logsBefore, logSnapshot(), passes, (name) => name === 'Reconciler')['Reconciler'] ?? emptyLogVolume(),
        platformLogsPerPass: accounting.platform,
        secretsManagerCallsPerPass: (secretsManagerCalls - secretsBefore) / passes,
        metrics: [...metrics].sort(),
        foundPerPass: found,
      };
    }
  } finally {
    await new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });
    unsubscribe('http.server.request.start', onHttpRequest);
    lambda.destroy();
    dynamodb.destroy();
    await stack.stop();
  }
}

interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  secret: string;
  /** Idempotency-Key (POST). */
  key?: string;
  body?: string;
}

/** One autocannon run: `amount` requests from `connections` clients; latencies from its response events. */
async function load(
  apiUrl: string,
  connections: number,
  amount: number,
  nextRequest: () => LoadRequest,
  onResponse: (status: number, body: string, request: LoadRequest) => void,
  progressBar: boolean,
  expectedStatus = 202,
): Promise<PhaseResult> {
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
          const headers: Record<string, string> = { Authorization: `Bearer ${next.secret}` };
          if (next.method === 'POST') {
            headers['Content-Type'] = 'application/json';
            if (next.key !== undefined) headers['Idempotency-Key'] = next.key;
          }
          return { ...request, method: next.method, path: next.path, headers, ...(next.body !== undefined ? { body: next.body } : {}) };
        },
        onResponse: (status, body, context) => {
          const request = (context as Record<string, unknown>)['request'] as LoadRequest;
          if (status !== expectedStatus) errors += 1;
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
