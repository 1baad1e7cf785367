/**
 * The ports the use cases depend on. Adapters in `functions/adapters` implement them for
 * DynamoDB, SQS and Stripe; tests can implement them to inject faults.
 */
import type { Charge, ChargeStatus } from './charge.ts';

/** A stored HTTP response, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** Everything stored with a charge to answer a reuse of its idempotency key. */
export interface IdempotencyRecord {
  key: string;
  generation: number;
  /** SHA-256 of the canonical request body. */
  fingerprint: string;
  /** The canonical request body, kept to name the fields a mismatching reuse changed. */
  canonicalBody: string;
  /** Random token of the request that created the record; recognises our own lost-response write. */
  ownerToken: string;
  response: StoredResponse;
  /** Epoch ms after which the key no longer refers to this charge. */
  expiresAt: number;
}

export interface Lease {
  owner: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A charge item: the charge and its idempotency record are one item, written once. */
export interface ChargeRecord {
  charge: Charge;
  idempotency: IdempotencyRecord;
  lease: Lease | null;
  attempts: number;
  /** Epoch ms after which the record may be purged (DynamoDB TTL); never before the key expires. */
  purgeAt: number;
}

export type CreateChargeResult =
  | { kind: 'created'; record: ChargeRecord }
  | { kind: 'exists'; record: ChargeRecord };

export type ClaimResult =
  | { kind: 'claimed'; record: ChargeRecord }
  | { kind: 'not_found' }
  | { kind: 'final'; status: ChargeStatus }
  | { kind: 'leased'; lease: Lease };

export type CompleteResult = { kind: 'completed' } | { kind: 'lease_lost' };

/** The final fate of a charge at the card processor. */
export type ProcessorOutcome =
  | { kind: 'succeeded'; paymentId: string }
  | { kind: 'failed'; paymentId: string | null; code: string; message: string };

export interface ChargeRepository {
  /**
   * One conditional write that claims (merchant, key, generation) and creates the charge.
   * `exists` carries the item that was there first. A write of ours whose response was lost
   * and that the SDK retried is recognised by its owner token and reported as `created`.
   */
  create(record: ChargeRecord): Promise<CreateChargeResult>;
  /** Strongly consistent read; `undefined` when there is no such charge. */
  get(chargeId: string): Promise<ChargeRecord | undefined>;
  /** `pending → processing` (or takes over an expired lease), incrementing `attempts`. */
  claim(chargeId: string, lease: Lease, now: number): Promise<ClaimResult>;
  /** `processing → pending` under our lease, so a later attempt can claim it. */
  release(chargeId: string, leaseOwner: string, now: number): Promise<void>;
  /** `processing → succeeded | failed` under our lease. */
  complete(chargeId: string, leaseOwner: string, outcome: ProcessorOutcome, now: number): Promise<CompleteResult>;
  /**
   * Ids of open (`pending`/`processing`) charges created before `createdBefore`, oldest first,
   * from the sparse open-charges index (never a scan).
   */
  findOpenCharges(createdBefore: number, limit: number): Promise<string[]>;
  /**
   * Marks a `pending` charge untouched since `staleBefore` as seen now. Exactly one of several
   * concurrent callers gets `true`, so only one of them enqueues it again.
   */
  touchStalePending(chargeId: string, staleBefore: number, now: number): Promise<boolean>;
}

export interface WorkQueue {
  /** Asks a worker to process the charge. At-least-once: a charge may be enqueued twice. */
  enqueue(chargeId: string): Promise<void>;
}

/** What the processor is asked to capture. */
export interface CaptureRequest {
  chargeId: string;
  merchantId: string;
  /** Stable per charge: see `processorIdempotencyKey`. */
  idempotencyKey: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  description: string | null;
}

/** What the processor knows of a charge, asked without side effects. */
export type ProcessorLookup = ProcessorOutcome | { kind: 'not_found' };

/** A message the work queue gave up on. */
export interface DeadLetter {
  messageId: string;
  body: string;
  receiptHandle: string;
  receiveCount: number;
}

export interface DeadLetterQueue {
  /** Receives up to `max` messages, hidden from other readers for `hideForSeconds`. */
  receive(max: number, hideForSeconds: number): Promise<DeadLetter[]>;
  delete(letter: DeadLetter): Promise<void>;
}

export interface CardProcessor {
  /**
   * Captures the payment, or answers with the result of the earlier capture made with the
   * same idempotency key. Throws `ProcessorUnavailableError` when the outcome is unknown
   * or the processor failed transiently; the caller retries with the same key.
   */
  capture(request: CaptureRequest): Promise<ProcessorOutcome>;
  /**
   * Asks what became of the capture for this charge without causing one. Throws
   * `ProcessorUnavailableError` when the processor cannot answer now.
   */
  lookup(request: CaptureRequest): Promise<ProcessorLookup>;
}
