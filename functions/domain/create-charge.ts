import { chargeIdFor, isTerminal, pendingCharge, toChargeObject } from './charge.ts';
import { parseChargeRequest } from './charge-request.ts';
import { OncePayError } from './errors.ts';
import { canonicalJson, differingFields, fingerprintOfCanonical, type JsonValue } from './fingerprint.ts';
import type { ChargeRecord, ChargeRepository, StoredResponse, WorkQueue } from './ports.ts';

export interface CreateChargeDeps {
  charges: ChargeRepository;
  queue: Pick<WorkQueue, 'enqueue'>;
  now: () => number;
  /** How long a key keeps referring to its charge (≥ 24 h in every real stage). */
  idempotencyRetentionMs: number;
  /** How long the charge record is kept before TTL may purge it (≥ the key retention). */
  recordRetentionMs: number;
  /**
   * A replay re-enqueues a charge no worker has claimed yet (its first enqueue may have been
   * lost) at most once per this interval: at least the API function's timeout, so the creating
   * request's own enqueue is never doubled and a burst of retries cannot flood the queue.
   */
  reEnqueueAfterMs: number;
  /** Logs an enqueue that failed after the charge was durable; the charge is not lost. */
  onEnqueueFailed: (chargeId: string, error: unknown) => void;
}

export interface CreateChargeInput {
  merchantId: string;
  idempotencyKey: string;
  body: JsonValue;
  /** Random per request: tells our own earlier write apart from another request's. */
  requestToken: string;
}

export type CreateChargeOutcome =
  | { kind: 'created'; chargeId: string; response: StoredResponse }
  | { kind: 'replayed'; chargeId: string; response: StoredResponse }
  | { kind: 'key_reused_with_other_body'; differingFields: string[] };

/** Raised when a key has been reused after expiry more times than any client plausibly would. */
export class IdempotencyKeyExhaustedError extends OncePayError {}

const MAX_KEY_GENERATIONS = 1000;

/**
 * `POST /v1/charges`: validate, then one conditional write that claims
 * (merchant, Idempotency-Key) and creates the `pending` charge, then enqueue.
 *
 * A key whose retention has run out, and whose charge is final, refers to nothing any more:
 * the request moves on to the key's next generation (a new charge id) and the old charge
 * stays as it was. A key whose charge is still open keeps referring to it.
 */
export async function createCharge(deps: CreateChargeDeps, input: CreateChargeInput): Promise<CreateChargeOutcome> {
  const request = parseChargeRequest(input.body);
  const canonicalBody = canonicalJson(input.body);
  const requestFingerprint = fingerprintOfCanonical(canonicalBody);

  const expiredGenerations: ChargeRecord[] = [];
  for (let generation = 0; generation < MAX_KEY_GENERATIONS; generation += 1) {
    const now = deps.now();
    const charge = pendingCharge(chargeIdFor(input.merchantId, input.idempotencyKey, generation), input.merchantId, request, now);
    const record: ChargeRecord = {
      charge,
      idempotency: {
        key: input.idempotencyKey,
        generation,
        fingerprint: requestFingerprint,
        canonicalBody,
        ownerToken: input.requestToken,
        response: { status: 202, body: JSON.stringify(toChargeObject(charge)) },
        expiresAt: now + deps.idempotencyRetentionMs,
      },
      lease: null,
      attempts: 0,
      purgeAt: now + Math.max(deps.recordRetentionMs, deps.idempotencyRetentionMs),
      processorPaymentId: null,
      prepareKeyAttempt: 1,
      review: null,
    };

    // A later generation keeps every earlier one at least as long as itself: were TTL to purge
    // generation 0 first, a retry would walk in from 0 and create its charge id again.
    const result =
      expiredGenerations.length === 0 ? await deps.charges.create(record) : await deps.charges.createNextGeneration(record, expiredGenerations);
    if (result.kind === 'created') {
      await enqueueBestEffort(deps, charge.id);
      return { kind: 'created', chargeId: charge.id, response: result.record.idempotency.response };
    }

    const existing = result.record;
    // A key moves on only once its charge is final: while the processor may still decide, a new
    // generation would be a second charge (and a second capture) for one request.
    if (now >= existing.idempotency.expiresAt && isTerminal(existing.charge.status)) {
      expiredGenerations.push(existing);
      continue;
    }
    if (existing.idempotency.fingerprint !== requestFingerprint) {
      const firstBody = JSON.parse(existing.idempotency.canonicalBody) as JsonValue;
      return { kind: 'key_reused_with_other_body', differingFields: differingFields(firstBody, input.body) };
    }
    // The response was stored by the write that created the charge: a retry, however soon,
    // gets it back byte for byte.
    await reEnqueueIfUnclaimed(deps, existing, now, input.requestToken);
    return { kind: 'replayed', chargeId: existing.charge.id, response: existing.idempotency.response };
  }
  throw new IdempotencyKeyExhaustedError(`Idempotency key reused after expiry ${MAX_KEY_GENERATIONS} times`);
}

/**
 * A charge no worker has claimed may have lost its enqueue (the creating request died between
 * its write and its send). A replay enqueues it again, but only when nobody has touched it for
 * {@link CreateChargeDeps.reEnqueueAfterMs}, and only the one request whose conditional touch
 * wins: twenty retries in a burst enqueue at most once. A claimed charge is the worker's and
 * the reconciler's (its message is waiting out a backoff, or dead-lettered).
 */
async function reEnqueueIfUnclaimed(deps: CreateChargeDeps, existing: ChargeRecord, now: number, requestToken: string): Promise<void> {
  if (existing.charge.status !== 'pending' || existing.attempts > 0) return;
  const untouchedSince = now - deps.reEnqueueAfterMs;
  if (existing.charge.updatedAt >= untouchedSince) return;
  if (await deps.charges.touchStalePending(existing.charge.id, untouchedSince, now, `replay:${requestToken}`)) {
    await enqueueBestEffort(deps, existing.charge.id);
  }
}

/**
 * Once the charge is durable the request has succeeded: a failed enqueue is logged, and a
 * same-key retry (or the reconciler) enqueues the charge again.
 */
async function enqueueBestEffort(deps: CreateChargeDeps, chargeId: string): Promise<void> {
  try {
    await deps.queue.enqueue(chargeId);
  } catch (error) {
    deps.onEnqueueFailed(chargeId, error);
  }
}
