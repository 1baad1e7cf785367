import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './net.ts';

/** The functions' services, and `api`: oncepay's own API as merchants' clients reach it. */
export type FaultTarget = 'dynamodb' | 'sqs' | 'processor' | 'api';

/**
 * - `hold-request`: never forwarded, never answered (the caller's call hangs: a crash before it);
 * - `hold-response`: forwarded, upstream's answer withheld (the call took effect: a crash after it);
 * - `error`: answered 500 without forwarding; `throttle`: DynamoDB throttling (400) without forwarding;
 * - `reject`: answered 403 without forwarding (the processor: Stripe's permission error, as for a
 *   revoked or restricted key; AWS: AccessDenied);
 * - `delay`: forwarded after `delayMs`;
 * - `drop-response`: forwarded, then the connection is reset (the SDK retries a call that took effect);
 * - `reset-request`: the connection is reset without forwarding (the call never arrived);
 * - `error-response`: forwarded, then answered 500 instead of upstream's answer (the call took
 *   effect; the caller sees a server error);
 * - `expire-visibility` (SQS `ReceiveMessage`): forwarded, then the received messages are made
 *   visible again at once, so they are delivered again while still being processed.
 */
export type FaultAction =
  | 'hold-request'
  | 'hold-response'
  | 'error'
  | 'throttle'
  | 'reject'
  | 'delay'
  | 'drop-response'
  | 'reset-request'
  | 'error-response'
  | 'expire-visibility';

export interface FaultRule {
  target: FaultTarget;
  /** AWS operation (`UpdateItem`, `SendMessage`) or, for the processor and the API, `METHOD /path`. */
  operation?: string;
  /** Every string must occur in the request body (e.g. a charge id). */
  bodyIncludes?: string[];
  action: FaultAction;
  /** How many matching requests the rule affects; 1 by default. */
  times?: number;
  delayMs?: number;
}

interface ActiveRule extends FaultRule {
  id: string;
  remaining: number;
  fired: number;
}

/** Calls seen per `target:operation`, and DynamoDB capacity consumed per operation and per index. */
export interface TrafficStats {
  calls: Record<string, number>;
  capacityUnits: Record<string, number>;
  /** Units each GSI consumed, by `<operation>:<index name>` (writes: the index's share of a write). */
  indexCapacityUnits: Record<string, number>;
  /** Calls per `target:operation@resource` (the DynamoDB table or SQS queue named): who pays for what. */
  callsByResource: Record<string, number>;
  /** DynamoDB capacity per `operation@table`. */
  capacityByResource: Record<string, number>;
}

/** The table or queue a DynamoDB or SQS request names (the first, for batches and transactions). */
function resourceOf(target: FaultTarget, text: string): string {
  if (target === 'processor' || target === 'api' || !text.startsWith('{')) return '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (target === 'sqs') return String(body['QueueUrl'] ?? '').split('/').pop() ?? '';
    if (typeof body['TableName'] === 'string') return body['TableName'];
    const batch = body['RequestItems'] as Record<string, unknown> | undefined;
    if (batch) return Object.keys(batch)[0] ?? '';
    const [first] = (body['TransactItems'] as Array<Record<string, { TableName?: string }>> | undefined) ?? [];
    return first ? (Object.values(first)[0]?.TableName ?? '') : '';
  } catch {
    return '';
  }
}

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export interface FaultProxy {
  /** Where the functions should send each service's traffic. */
  endpoints: Record<FaultTarget, string>;
  /**
   * HTTP control API: `POST /faults` `{rules}`, `GET /faults`, `DELETE /faults`;
   * `GET /stats` (calls and capacity since start or the last `DELETE /stats`).
   */
  controlUrl: string;
  setUpstream(target: FaultTarget, url: string): void;
  stop(): Promise<void>;
}

const TARGETS: FaultTarget[] = ['dynamodb', 'sqs', 'processor', 'api'];

/**
 * A fault-injecting HTTP proxy in front of DynamoDB Local, the SQS emulator and the processor
 * sandbox, and between merchants' clients and the API. Faults come from outside the product code:
 * a held call makes the local runner time the invocation out exactly as Lambda would, so no
 * `catch` or `finally` of the function runs.
 */
export async function startFaultProxy(options: { measureCapacity?: boolean } = {}): Promise<FaultProxy> {
  const upstreams = new Map<FaultTarget, string>();
  const rules: ActiveRule[] = [];
  const stats: TrafficStats = { calls: {}, capacityUnits: {}, indexCapacityUnits: {}, callsByResource: {}, capacityByResource: {} };
  // Stopping drops every connection, the held ones included.
  const stoppers: Array<() => Promise<void>> = [];
  const listen = async (server: Server): Promise<string> => {
    const { url, stop } = await listenOnLoopback(server);
    stoppers.push(stop);
    return url;
  };

  const endpoints = {} as Record<FaultTarget, string>;
  for (const target of TARGETS) {
    endpoints[target] = await listen(
      createServer((request, response) => {
        void proxy(target, request, response).catch(() => response.destroy());
      }),
    );
  }

  const proxy = async (target: FaultTarget, request: IncomingMessage, response: ServerResponse) => {
    let body = await readAll(request);
    const operation =
      target === 'processor' || target === 'api'
        ? `${request.method} ${new URL(request.url ?? '/', 'http://proxy').pathname}`
        : String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    let text = body.toString('utf8');
    const statKey = `${target}:${operation}`;
    stats.calls[statKey] = (stats.calls[statKey] ?? 0) + 1;
    const resourceKey = `${statKey}@${resourceOf(target, text)}`;
    stats.callsByResource[resourceKey] = (stats.callsByResource[resourceKey] ?? 0) + 1;
    if (options.measureCapacity && target === 'dynamodb' && text.startsWith('{')) {
      // Ask DynamoDB (Local) what each call consumed, GSI writes included.
      text = JSON.stringify({ ...(JSON.parse(text) as object), ReturnConsumedCapacity: 'INDEXES' });
      body = Buffer.from(text);
      request.headers['content-length'] = String(body.length);
    }
    const rule = rules.find(
      (candidate) =>
        candidate.remaining > 0 &&
        candidate.target === target &&
        (candidate.operation === undefined || candidate.operation === operation) &&
        (candidate.bodyIncludes ?? []).every((fragment) => text.includes(fragment)),
    );
    if (rule) {
      rule.remaining -= 1;
      rule.fired += 1;
    }
    switch (rule?.action) {
      case 'hold-request':
        return;
      case 'reset-request':
        response.destroy();
        return;
      case 'error':
        return answer(response, 500, errorBody(target, 'InternalServerError'), contentTypeOf(target));
      case 'throttle':
        return answer(response, 400, errorBody(target, 'ProvisionedThroughputExceededException'), contentTypeOf(target));
      case 'reject':
        return answer(response, 403, rejectionBody(target), contentTypeOf(target));
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, rule.delayMs ?? 1000));
        break;
      default:
        break;
    }
    const upstreamUrl = upstreams.get(target) ?? '';
    const upstream = await forward(upstreamUrl, request, body);
    if (rule?.action === 'hold-response') return;
    if (rule?.action === 'drop-response') {
      response.destroy();
      return;
    }
    if (rule?.action === 'error-response') return answer(response, 500, errorBody(target, 'InternalServerError'), contentTypeOf(target));
    if (rule?.action === 'expire-visibility') await expireVisibility(upstreamUrl, request, text, upstream.body);
    if (target === 'sqs' && operation === 'ReceiveMessage' && !/"Messages"\s*:\s*\[\s*\{/.test(upstream.body.toString('utf8'))) {
      // An empty (long-poll) receive: idle polling, priced as a fixed cost rather than per message.
      const emptyKey = `sqs:ReceiveMessage(empty)@${resourceOf(target, text)}`;
      stats.callsByResource[emptyKey] = (stats.callsByResource[emptyKey] ?? 0) + 1;
    }
    if (options.measureCapacity && target === 'dynamodb') {
      const answer = JSON.parse(upstream.body.toString('utf8') || '{}') as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      // One entry per table; a transaction or batch answers a list.
      for (const consumed of [answer.ConsumedCapacity ?? []].flat()) {
        if (consumed.CapacityUnits) {
          stats.capacityUnits[operation] = (stats.capacityUnits[operation] ?? 0) + consumed.CapacityUnits;
          const key = `${operation}@${consumed.TableName ?? ''}`;
          stats.capacityByResource[key] = (stats.capacityByResource[key] ?? 0) + consumed.CapacityUnits;
        }
        for (const [index, units] of Object.entries(consumed.GlobalSecondaryIndexes ?? {})) {
          const key = `${operation}:${index}`;
          if (units.CapacityUnits) stats.indexCapacityUnits[key] = (stats.indexCapacityUnits[key] ?? 0) + units.CapacityUnits;
        }
      }
    }
    response.writeHead(upstream.status, upstream.headers);
    response.end(upstream.body);
  };

  const controlUrl = await listen(
    createServer((request, response) => {
      void (async () => {
        if (request.method === 'POST') {
          const { rules: added = [] } = JSON.parse((await readAll(request)).toString('utf8') || '{}') as { rules?: FaultRule[] };
          const ids = added.map((rule) => {
            const id = randomUUID();
            rules.push({ ...rule, id, remaining: rule.times ?? 1, fired: 0 });
            return id;
          });
          return answer(response, 200, JSON.stringify({ ids }));
        }
        const path = new URL(request.url ?? '/', 'http://proxy').pathname;
        if (path === '/stats') {
          if (request.method === 'DELETE') {
            stats.calls = {};
            stats.capacityUnits = {};
            stats.indexCapacityUnits = {};
            stats.callsByResource = {};
            stats.capacityByResource = {};
          }
          return answer(response, 200, JSON.stringify(stats));
        }
        if (request.method === 'DELETE') rules.length = 0;
        return answer(response, 200, JSON.stringify({ rules }));
      })();
    }),
  );

  return {
    endpoints,
    controlUrl,
    setUpstream: (target, url) => upstreams.set(target, url),
    stop: async () => {
      await Promise.all(stoppers.map((stop) => stop()));
    },
  };
}

/** Makes the messages a `ReceiveMessage` just returned visible again (JSON protocol). */
async function expireVisibility(upstreamUrl: string, request: IncomingMessage, requestText: string, responseBody: Buffer): Promise<void> {
  const { QueueUrl } = JSON.parse(requestText) as { QueueUrl?: string };
  const { Messages = [] } = JSON.parse(responseBody.toString('utf8') || '{}') as { Messages?: Array<{ ReceiptHandle: string }> };
  for (const message of Messages) {
    const change = JSON.stringify({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });
    const headers = { ...request.headers, 'x-amz-target': 'AmazonSQS.ChangeMessageVisibility', 'content-length': String(Buffer.byteLength(change)) };
    await forward(upstreamUrl, { method: 'POST', url: request.url, headers }, Buffer.from(change)).catch(() => undefined);
  }
}

function errorBody(target: FaultTarget, code: string): string {
  // What API Gateway itself answers when the integration fails.
  if (target === 'api') return JSON.stringify({ message: 'Internal server error' });
  if (target === 'processor') return JSON.stringify({ error: { type: 'api_error', message: 'injected fault' } });
  const prefix = target === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810' : 'com.amazonaws.sqs';
  return JSON.stringify({ __type: `${prefix}#${code}`, message: 'injected fault' });
}

function rejectionBody(target: FaultTarget): string {
  if (target === 'api') return JSON.stringify({ message: 'Forbidden' });
  if (target === 'processor') {
    return JSON.stringify({ error: { type: 'invalid_request_error', message: 'The provided key does not have the required permissions (injected fault).' } });
  }
  return errorBody(target, 'AccessDeniedException');
}

function contentTypeOf(target: FaultTarget): string {
  return target === 'dynamodb' || target === 'sqs' ? 'application/x-amz-json-1.0' : 'application/json';
}

function answer(response: ServerResponse, status: number, body: string, contentType = 'application/x-amz-json-1.0'): void {
  response.writeHead(status, { 'Content-Type': contentType });
  response.end(body);
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forward(upstream: string, request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: Buffer) {
  return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>((resolve, reject) => {
    const url = new URL(request.url ?? '/', upstream);
    const outgoing = httpRequest(
      url,
      { method: request.method, headers: { ...request.headers, host: url.host } },
      (incoming) => {
        void readAll(incoming).then(
          (payload) => {
            const headers: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') headers[name] = value;
            }
            headers['content-length'] = String(payload.length);
            resolve({ status: incoming.statusCode ?? 502, headers, body: payload });
          },
          reject,
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
