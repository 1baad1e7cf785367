import { chargeIdFor, isTerminal, pendingCharge, toChargeObject } from './charge.ts';
import { parseChargeRequest } from './charge-request.ts';
import { OncePayError } from './errors.ts';
import { answerExisting, canonicalRequest, enqueueBestEffort, newLifecycle, type KeyedRequest, type OperationLifecycleDeps, type OperationQueue } from './operation-lifecycle.ts';
import type { ChargeRecord, ChargeRepository, StoredResponse, WorkQueue } from './ports.ts';

export interface CreateChargeDeps extends OperationLifecycleDeps {
  charges: ChargeRepository;
  queue: Pick<WorkQueue, 'enqueue'>;
}

export type CreateChargeInput = KeyedRequest;

export type CreateChargeOutcome =
  | { kind: 'created'; chargeId: string; response: StoredResponse }
  | { kind: 'replayed'; chargeId: string; response: StoredResponse }
  | { kind: 'key_reused_with_other_body'; differingFields: string[] };

/** Raised when a key has been reused after expiry more times than any client plausibly would. */
export class IdempotencyKeyExhaustedError extends OncePayError {}

const MAX_KEY_GENERATIONS = 1000;

/**
 * `POST /v1/charges`: validate, then one conditional write that claims
 * (merchant, Idempotency-Key) and creates the `pending` charge, then enqueue (the shared
 * lifecycle: operation-lifecycle.ts).
 *
 * A key whose retention has run out, and whose charge is final, refers to nothing any more:
 * the request moves on to the key's next generation (a new charge id) and the old charge
 * stays as it was. A key whose charge is still open keeps referring to it.
 */
export async function createCharge(deps: CreateChargeDeps, input: CreateChargeInput): Promise<CreateChargeOutcome> {
  const request = parseChargeRequest(input.body);
  const canonical = canonicalRequest(input.body);
  const queue: OperationQueue = {
    enqueue: (chargeId) => deps.queue.enqueue(chargeId),
    touchStalePending: (...args) => deps.charges.touchStalePending(...args),
  };

  const expiredGenerations: ChargeRecord[] = [];
  for (let generation = 0; generation < MAX_KEY_GENERATIONS; generation += 1) {
    const now = deps.now();
    const charge = pendingCharge(chargeIdFor(input.merchantId, input.idempotencyKey, generation), input.merchantId, request, now);
    const record: ChargeRecord = { charge, ...newLifecycle(deps, input, canonical, generation, toChargeObject(charge), now), processorPaymentId: null, prepareKeyAttempt: 1 };

    // A later generation keeps every earlier one at least as long as itself: were TTL to purge
    // generation 0 first, a retry would walk in from 0 and create its charge id again.
    const result =
      expiredGenerations.length === 0 ? await deps.charges.create(record) : await deps.charges.createNextGeneration(record, expiredGenerations);
    if (result.kind === 'created') {
      await enqueueBestEffort(deps, queue, charge.id);
      return { kind: 'created', chargeId: charge.id, response: result.record.idempotency.response };
    }

    const existing = result.record;
    const answer = await answerExisting(
      deps,
      queue,
      { id: existing.charge.id, status: existing.charge.status, updatedAt: existing.charge.updatedAt, terminal: isTerminal(existing.charge.status), record: existing },
      input,
      canonical,
    );
    if (answer.kind === 'next_generation') {
      expiredGenerations.push(existing);
      continue;
    }
    return answer.kind === 'replayed' ? { kind: 'replayed', chargeId: existing.charge.id, response: answer.response } : answer;
  }
  throw new IdempotencyKeyExhaustedError(`Idempotency key reused after expiry ${MAX_KEY_GENERATIONS} times`);
}
