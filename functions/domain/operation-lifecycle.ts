import { canonicalJson, differingFields, fingerprintOfCanonical, type JsonValue } from './fingerprint.ts';
import type { IdempotencyRecord, Lease, Review, StoredResponse } from './ports.ts';

/**
 * The lifecycle every money operation shares on its way in (a charge, a refund): the request's
 * key claims the operation in the write that records it, with its first answer; a request whose
 * key already names one gets that answer back byte for byte (or `422` for another body), and
 * enqueues it again if no worker ever claimed it; a key whose operation is final and past its
 * retention moves on to its next generation. What each operation adds (a charge's payment
 * request, a refund's reservation on its charge) stays in its own use case.
 */

export interface OperationLifecycleDeps {
  now: () => number;
  /** How long a key keeps referring to its operation (≥ 24 h in every real stage). */
  idempotencyRetentionMs: number;
  /** How long the record is kept before TTL may purge it (≥ the key retention). */
  recordRetentionMs: number;
  /**
   * A replay re-enqueues an operation no worker has claimed yet (its first enqueue may have been
   * lost) at most once per this interval: at least the API function's timeout, so the creating
   * request's own enqueue is never doubled and a burst of retries cannot flood the queue.
   */
  reEnqueueAfterMs: number;
  /** Logs an enqueue that failed after the operation was durable; it is not lost. */
  onEnqueueFailed: (id: string, error: unknown) => void;
}

/** A request under an Idempotency-Key, as the API passed it on. */
export interface KeyedRequest {
  merchantId: string;
  idempotencyKey: string;
  body: JsonValue;
  /** Random per request: tells our own earlier write apart from another request's. */
  requestToken: string;
}

/** The body as it is compared: canonical JSON and its hash. */
export interface CanonicalRequest {
  canonicalBody: string;
  fingerprint: string;
}

export function canonicalRequest(body: JsonValue): CanonicalRequest {
  const canonicalBody = canonicalJson(body);
  return { canonicalBody, fingerprint: fingerprintOfCanonical(canonicalBody) };
}

/** The lifecycle's part of every operation record. */
export interface LifecycleRecord {
  idempotency: IdempotencyRecord;
  lease: Lease | null;
  attempts: number;
  /** Epoch ms after which the record may be purged (DynamoDB TTL); never before the key expires. */
  purgeAt: number;
  review: Review | null;
}

/** A new operation's lifecycle: its key's record with the first answer (`202` and the object), no lease, no attempt yet. */
export function newLifecycle(deps: OperationLifecycleDeps, request: KeyedRequest, canonical: CanonicalRequest, generation: number, object: unknown, now: number): LifecycleRecord {
  return {
    idempotency: {
      key: request.idempotencyKey,
      generation,
      fingerprint: canonical.fingerprint,
      canonicalBody: canonical.canonicalBody,
      ownerToken: request.requestToken,
      response: { status: 202, body: JSON.stringify(object) },
      expiresAt: now + deps.idempotencyRetentionMs,
    },
    lease: null,
    attempts: 0,
    purgeAt: now + Math.max(deps.recordRetentionMs, deps.idempotencyRetentionMs),
    review: null,
  };
}

/** An operation the request's key already names, as the lifecycle sees it. */
export interface ExistingOperation {
  id: string;
  status: string;
  updatedAt: number;
  terminal: boolean;
  record: LifecycleRecord;
}

/** How the operation is enqueued for a worker, and how a stale `pending` one is touched so that one replay re-enqueues it. */
export interface OperationQueue {
  enqueue: (id: string) => Promise<void>;
  touchStalePending: (id: string, staleBefore: number, now: number, toucher: string) => Promise<boolean>;
}

export type ExistingAnswer =
  /** Final and past its key's retention: the key refers to nothing any more; its next generation is tried. */
  | { kind: 'next_generation' }
  | { kind: 'key_reused_with_other_body'; differingFields: string[] }
  | { kind: 'replayed'; response: StoredResponse };

/**
 * The answer to a request whose key names `existing`. A key moves on only once its operation is
 * final: while the processor may still decide, a new generation would be a second operation
 * (and a second movement of money) for one request. The stored answer was written by the write
 * that created the operation: a retry, however soon, gets it back byte for byte.
 */
export async function answerExisting(
  deps: OperationLifecycleDeps,
  queue: OperationQueue,
  existing: ExistingOperation,
  request: KeyedRequest,
  canonical: CanonicalRequest,
): Promise<ExistingAnswer> {
  const now = deps.now();
  const { idempotency } = existing.record;
  if (now >= idempotency.expiresAt && existing.terminal) return { kind: 'next_generation' };
  if (idempotency.fingerprint !== canonical.fingerprint) {
    const firstBody = JSON.parse(idempotency.canonicalBody) as JsonValue;
    return { kind: 'key_reused_with_other_body', differingFields: differingFields(firstBody, request.body) };
  }
  await reEnqueueIfUnclaimed(deps, queue, existing, now, request.requestToken);
  return { kind: 'replayed', response: idempotency.response };
}

/**
 * An operation no worker has claimed may have lost its enqueue (the creating request died between
 * its write and its send). A replay enqueues it again, but only when nobody has touched it for
 * {@link OperationLifecycleDeps.reEnqueueAfterMs}, and only the one request whose conditional
 * touch wins: twenty retries in a burst enqueue at most once. A claimed operation is the
 * worker's and the reconciler's (its message is waiting out a backoff, or dead-lettered).
 */
async function reEnqueueIfUnclaimed(deps: OperationLifecycleDeps, queue: OperationQueue, existing: ExistingOperation, now: number, requestToken: string): Promise<void> {
  if (existing.status !== 'pending' || existing.record.attempts > 0) return;
  const untouchedSince = now - deps.reEnqueueAfterMs;
  if (existing.updatedAt >= untouchedSince) return;
  if (await queue.touchStalePending(existing.id, untouchedSince, now, `replay:${requestToken}`)) await enqueueBestEffort(deps, queue, existing.id);
}

/**
 * Once the operation is durable the request has succeeded: a failed enqueue is logged, and a
 * same-key retry (or the reconciler) enqueues it again.
 */
export async function enqueueBestEffort(deps: Pick<OperationLifecycleDeps, 'onEnqueueFailed'>, queue: Pick<OperationQueue, 'enqueue'>, id: string): Promise<void> {
  try {
    await queue.enqueue(id);
  } catch (error) {
    deps.onEnqueueFailed(id, error);
  }
}
