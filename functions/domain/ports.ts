/**
 * The ports the use cases depend on. Adapters in `functions/adapters` implement them for
 * DynamoDB, SQS and Stripe; tests can implement them to inject faults.
 */
import type { Charge, ChargeStatus } from './charge.ts';
import type { Dispute, DisputeStatus } from './dispute.ts';
import type { Refund, RefundStatus } from './refund.ts';

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
  /**
   * The processor payment (a Stripe PaymentIntent) recorded for this charge by the write that
   * first claimed it. Set once, never changed: it is the only payment oncepay ever confirms,
   * and every later question about the charge's fate is a retrieve of this id.
   */
  processorPaymentId: string | null;
  /** Which prepare key the next create of the processor payment uses: 1, then one more per key the processor spent on a kept error. */
  prepareKeyAttempt: number;
  /** Set while the outcome needs a person; the charge stays open (never `failed` for it). */
  review: Review | null;
}

/** Why an open charge needs a person, and since when (epoch ms). */
export interface Review {
  reason: string;
  since: number;
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
  /** Final, and no money moved: a decline (with the issuer's `declineCode`), or a refusal. */
  | { kind: 'failed'; paymentId: string | null; code: string; declineCode: string | null; message: string };

export interface ChargeRepository {
  /**
   * One conditional write that claims (merchant, key, generation) and creates the charge.
   * `exists` carries the item that was there first. A write of ours whose response was lost
   * and that the SDK retried is recognised by its owner token and reported as `created`.
   */
  create(record: ChargeRecord): Promise<CreateChargeResult>;
  /** Strongly consistent read; `undefined` when there is no such charge. */
  get(chargeId: string): Promise<ChargeRecord | undefined>;
  /**
   * `pending → processing` (or takes over an expired lease), incrementing `attempts`. With a
   * `paymentId`, records it as the charge's processor payment unless one is recorded already;
   * the returned record says which one is.
   */
  claim(chargeId: string, lease: Lease, now: number, paymentId?: string): Promise<ClaimResult>;
  /** `processing → pending` under our lease, so a later attempt can claim it. */
  release(chargeId: string, leaseOwner: string, now: number): Promise<void>;
  /**
   * Moves the charge on from prepare key `spentAttempt`, which the processor answered with an error
   * it keeps for the key. Only while no payment is recorded; a concurrent move of the same key counts once.
   */
  spendPrepareKey(chargeId: string, spentAttempt: number): Promise<void>;
  /** `processing → succeeded | failed` under our lease. */
  complete(chargeId: string, leaseOwner: string, outcome: ProcessorOutcome, now: number): Promise<CompleteResult>;
  /**
   * Ids of open (`pending`/`processing`) charges created before `createdBefore`, oldest first,
   * from the sparse open-charges index (never a scan).
   */
  findOpenCharges(createdBefore: number, limit: number): Promise<string[]>;
  /**
   * Marks a `pending` charge untouched since `staleBefore` as seen now by `toucher`. Exactly one
   * of several concurrent callers gets `true`, so only one of them enqueues it again; a caller
   * whose own touch's response was lost (and the SDK retried) still gets `true`.
   */
  touchStalePending(chargeId: string, staleBefore: number, now: number, toucher: string): Promise<boolean>;
  /**
   * Flags an open charge for a person (once: a charge already flagged keeps its first reason).
   * A flagged charge leaves the open-charges index for the review index until it is final.
   */
  flagForReview(chargeId: string, review: Review): Promise<void>;
  /** Ids of open charges flagged for review, oldest flag first. */
  findInReview(limit: number): Promise<string[]>;
  /**
   * Keeps earlier generations of an idempotency key at least until `purgeAt` (epoch ms) and
   * creates the next generation, in one transaction, so that TTL can never purge an earlier
   * generation first (a retry would then recreate its charge id). Results as {@link create}.
   */
  createNextGeneration(record: ChargeRecord, earlierGenerations: ChargeRecord[]): Promise<CreateChargeResult>;
}

/** What a work message names: a charge to charge, a refund to refund, or a processor event to look into. */
export type WorkItem = { kind: 'charge'; id: string } | { kind: 'refund'; id: string } | { kind: 'processor_event'; notice: ProcessorEventNotice };

export interface WorkQueue {
  /** Asks a worker to process the charge. At-least-once: a charge may be enqueued twice. */
  enqueue(chargeId: string): Promise<void>;
  /** Asks a worker to process the refund. At-least-once, like charges. */
  enqueueRefund(refundId: string): Promise<void>;
  /** Asks a worker to look into what a processor event names. At-least-once, like charges. */
  enqueueProcessorEvent(notice: ProcessorEventNotice): Promise<void>;
}

/** A refund item: the refund and its idempotency record are one item, created with its reservation. */
export interface RefundRecord {
  refund: Refund;
  idempotency: IdempotencyRecord;
  lease: Lease | null;
  attempts: number;
  purgeAt: number;
  /** The charge's processor payment (the PaymentIntent refunded), copied when the refund is created. */
  paymentId: string;
  /** The processor's refund (`re_…` at Stripe), recorded once the processor has one; never changed. */
  processorRefundId: string | null;
  /** Which key the next create at the processor uses: 1, then one more per key the processor spent on a kept error. */
  processorKeyAttempt: number;
  review: Review | null;
  /** The processor's refusal of the create that oncepay cannot read (its error code): the refund waits for a person, never re-sent. */
  processorRefusal: string | null;
}

/** What the reservation requires of the charge: the merchant's, `succeeded`, and `amount` still free. */
export interface RefundReservation {
  chargeId: string;
  merchantId: string;
  /** The charge's amount: the reservation holds only while `amount_refunded + refund ≤ chargeAmount`. */
  chargeAmount: number;
  /** Epoch ms the charge is kept at least until: as long as the refund, so a refund's release always finds its charge. */
  keepChargeUntil: number;
}

export type CreateRefundResult =
  | { kind: 'created'; record: RefundRecord }
  | { kind: 'exists'; record: RefundRecord }
  /** The charge refused the reservation (no longer the merchant's, not succeeded, or not enough left); nothing was written. */
  | { kind: 'charge_refused'; charge: Charge | undefined };

export type RefundClaimResult =
  | { kind: 'claimed'; record: RefundRecord }
  | { kind: 'not_found' }
  | { kind: 'final'; status: RefundStatus }
  | { kind: 'leased'; lease: Lease };

/** The processor's final word on a refund. */
export type RefundOutcome =
  | { kind: 'succeeded'; processorRefundId: string }
  /** No money moved (or it came back): `failed` or `canceled` at the processor, or refused before it existed. */
  | { kind: 'failed' | 'canceled'; processorRefundId: string | null; reason: string };

/**
 * Refund items in the charges table. Every state change is a conditional write; the two that
 * touch money are transactions with the charge: creating a refund reserves its amount on the
 * charge, and a refund that ends `failed` or `canceled` gives it back, exactly once.
 */
export interface RefundRepository {
  /**
   * Creates the refund and reserves its amount on the charge in one transaction, which also keeps
   * `earlierGenerations` of its key at least as long. `exists` carries the refund that holds the
   * key; our own write whose response was lost is recognised by its owner token (`created`).
   */
  createReserving(record: RefundRecord, reservation: RefundReservation, earlierGenerations: RefundRecord[]): Promise<CreateRefundResult>;
  get(refundId: string): Promise<RefundRecord | undefined>;
  /** `pending → processing` (or takes over an expired lease), incrementing `attempts` (the returned record counts this claim). */
  claim(refundId: string, lease: Lease, now: number): Promise<RefundClaimResult>;
  /** Records the processor's refund id under our lease, unless one is recorded already (a lost lease records nothing). */
  recordProcessorRefund(refundId: string, leaseOwner: string, processorRefundId: string): Promise<void>;
  /** Moves the refund on from processor key `spentAttempt` (see {@link ChargeRepository.spendPrepareKey}), under our lease. */
  spendProcessorKey(refundId: string, leaseOwner: string, spentAttempt: number): Promise<void>;
  /**
   * Flags the refund for a person because the processor refused it in a way oncepay cannot read
   * (`code`), under our lease, and hands it back: the reconciler then never sends it again.
   */
  flagRefused(refundId: string, leaseOwner: string, code: string, review: Review, now: number): Promise<void>;
  release(refundId: string, leaseOwner: string, now: number): Promise<void>;
  /** `processing → final` under our lease; `failed`/`canceled` also give the reservation back (one transaction). */
  complete(refundId: string, leaseOwner: string, outcome: RefundOutcome, now: number): Promise<CompleteResult>;
  /**
   * `succeeded → failed` on the processor's word (the card's bank could not take the money back):
   * records the reason and gives the amount back to the charge in one transaction, once. `false`
   * when the refund is not `succeeded` with that processor refund (failed already, or another).
   */
  failAfterSuccess(refundId: string, processorRefundId: string, reason: string, now: number): Promise<boolean>;
  findOpenRefunds(createdBefore: number, limit: number): Promise<string[]>;
  touchStalePending(refundId: string, staleBefore: number, now: number, toucher: string): Promise<boolean>;
  flagForReview(refundId: string, review: Review): Promise<void>;
  findInReview(limit: number): Promise<string[]>;
}

/** A refund at the processor, as oncepay reads it. */
export type ProcessorRefundState =
  | RefundOutcome
  /** The processor has the refund but has not decided it (Stripe's `pending`, `requires_action`). */
  | { kind: 'not_final'; processorRefundId: string; status: string };

/** What oncepay asks the processor to refund. */
export interface ProcessorRefundRequest {
  refundId: string;
  chargeId: string;
  merchantId: string;
  paymentId: string;
  amount: number;
  reason: string | null;
}

/** The processor refused to create a refund, for a reason oncepay cannot read as final (its error code): nothing moved, a person decides. */
export interface RefundRefusal {
  kind: 'refused';
  code: string;
  message: string;
}

/**
 * Refunds at the card processor. Creating one moves money at once, so there is no "create
 * unconfirmed" step: the create is sent with a key stable per refund, and when an earlier
 * attempt's outcome is unknown the processor's strongly consistent list of the payment's
 * refunds is read first (its keys are forgotten after 24 hours; the list is not). Errors as
 * {@link CardProcessor}.
 */
export interface RefundProcessor {
  /**
   * Creates the refund, or answers the one created earlier with the same key. A refusal the
   * processor documents as final for the refund is `failed` with its code (nothing moved); any
   * other refusal of the refund itself is a {@link RefundRefusal}.
   */
  createRefund(request: ProcessorRefundRequest, idempotencyKey: string): Promise<ProcessorRefundState | RefundRefusal>;
  retrieveRefund(processorRefundId: string): Promise<ProcessorRefundState>;
  /** The processor's refund of `paymentId` made for oncepay's `refundId`, found in its list (never a search); `null` if none. */
  findRefund(paymentId: string, refundId: string): Promise<ProcessorRefundState | null>;
}

/** What the processor is asked to charge. */
export interface PaymentRequest {
  chargeId: string;
  merchantId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  description: string | null;
}

/**
 * What the processor says about a payment. Besides the final outcomes:
 * - `awaiting_confirmation`: created, never confirmed; no money moved yet;
 * - `requires_authentication`: the card wants 3-D Secure, which a server-side charge cannot do;
 * - `not_final`: the processor has not decided (Stripe's `processing`, `requires_capture`, …).
 */
export type PaymentState =
  | ProcessorOutcome
  | { kind: 'awaiting_confirmation'; paymentId: string }
  | { kind: 'requires_authentication'; paymentId: string }
  | { kind: 'not_final'; paymentId: string; status: string };

/** Why oncepay cancels a payment that moved no money. */
export type CancelReason = 'requires_authentication' | 'duplicate';

/** The result of preparing a payment: its id, or the processor's final refusal (nothing created). */
export type PreparedPayment = { kind: 'prepared'; paymentId: string } | { kind: 'refused'; code: string; message: string };

/**
 * Disputes in the charges table, each written with its charge in one transaction (the charge's
 * `dispute` and whether it blocks refunds). Writes are compare-and-set on the status read before
 * the processor was asked, so a look that raced a newer one never writes an older state.
 */
export interface DisputeRepository {
  get(disputeId: string): Promise<Dispute | undefined>;
  /**
   * Writes `dispute` if the stored one is still `expected` (`null`: none stored yet), and marks
   * its charge. `conflict` when another look wrote first (read again and decide again);
   * `no_charge` when the charge is not there (or is another merchant's).
   */
  record(dispute: Dispute, expected: DisputeStatus | null): Promise<'recorded' | 'conflict' | 'no_charge'>;
}

/** A dispute as the processor says it is now. */
export interface ProcessorDispute {
  processorDisputeId: string;
  /** The disputed payment (a Stripe PaymentIntent); `null` for a charge made without one. */
  paymentId: string | null;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeStatus;
  isChargeRefundable: boolean;
  /** Epoch ms; `null` when no response is allowed. */
  evidenceDueBy: number | null;
  /** Epoch ms. */
  createdAt: number;
}

/** What a processor event says happened, as much as oncepay reads of it: which object, never what it became. */
export interface ProcessorEventNotice {
  /** Stripe's event id, `evt_…`. */
  id: string;
  type: string;
  /** The changed object's id at the processor (`pi_…`, `re_…`, `du_…`). */
  objectId: string;
  /** Epoch seconds. */
  created: number;
}

/** A page of the processor's events (Stripe's Events API: newest first, kept 30 days). */
export interface ProcessorEventPage {
  events: ProcessorEventNotice[];
  hasMore: boolean;
}

export interface ProcessorEventQuery {
  types: readonly string[];
  /** Epoch seconds, inclusive. */
  createdFrom: number;
  createdTo: number | null;
  startingAfter: string | null;
  limit: number;
}

/**
 * What oncepay asks the processor about the objects its events name. Every answer is a strongly
 * consistent read by id: an event only says where to look. Errors as {@link CardProcessor}.
 */
export interface ProcessorEventSource {
  /** The oncepay charge (and its merchant) a processor payment was made for, from its metadata; `null` if none. */
  paymentOwner(paymentId: string): Promise<{ chargeId: string; merchantId: string } | null>;
  /** A processor refund's state, and the oncepay refund it was made for (from its metadata; `null` if none). */
  refundOwner(processorRefundId: string): Promise<{ refundId: string | null; state: ProcessorRefundState }>;
  retrieveDispute(processorDisputeId: string): Promise<ProcessorDispute>;
  listEvents(query: ProcessorEventQuery): Promise<ProcessorEventPage>;
}

/**
 * The processor events oncepay has received (by webhook or by the reconciler's catch-up),
 * each recorded once by its id; a notice is queued for the workers after it is recorded.
 */
export interface ProcessorEventInbox {
  /**
   * Records the notice unless its id is recorded: `new`; `unqueued` when it was recorded by a
   * receipt that died before queueing it; `duplicate` when it was recorded and queued.
   */
  record(notice: ProcessorEventNotice): Promise<'new' | 'unqueued' | 'duplicate'>;
  markQueued(eventId: string): Promise<void>;
  /** The ids among `eventIds` not recorded and queued yet (one strongly consistent batch read). */
  notYetQueued(eventIds: string[]): Promise<Set<string>>;
}

/** Where the reconciler's catch-up over the processor's Events API has got to. */
export interface ProcessorEventCursorStore {
  get(): Promise<ProcessorEventCursor | null>;
  put(cursor: ProcessorEventCursor): Promise<void>;
}

export interface ProcessorEventCursor {
  /** Epoch seconds: every event created before it has been received. */
  from: number;
  /** Epoch seconds: set while a backlog is read in windows, the top of the window still to finish. */
  backfillTo: number | null;
  /** Epoch seconds: set while a backlog is read in windows, where the sweep began: everything from the first window's top up to it is read. */
  sweepTop: number | null;
}

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

/**
 * The card processor, as oncepay uses it: a payment is created unconfirmed (which moves no
 * money), recorded on the charge, then confirmed by id. Every method throws
 * `ProcessorUnavailableError` when the processor failed transiently or the outcome is unknown
 * (retry with the same key), and `ProcessorConfigurationError` when it refused the request
 * for a reason that is not the charge's (keys, permissions, a key reused with other parameters).
 */
export interface CardProcessor {
  /** Creates the charge's payment unconfirmed, or returns the one created earlier with the same key. */
  preparePayment(request: PaymentRequest, idempotencyKey: string): Promise<PreparedPayment>;
  /** Confirms the payment by id: the only call that can move money. */
  confirmPayment(paymentId: string, idempotencyKey: string): Promise<PaymentState>;
  /** The payment's state, strongly consistent. */
  retrievePayment(paymentId: string): Promise<PaymentState>;
  /**
   * Cancels a payment that has not moved money: one waiting for an authentication a server-side
   * charge cannot give (it then reads as failed, `authentication_required`), or a `duplicate`
   * created after the processor forgot the charge's key.
   */
  cancelPayment(paymentId: string, idempotencyKey: string, reason: CancelReason): Promise<PaymentState>;
}

/**
 * A budget of `Prefer: wait` reads waiting at once, shared by every container of a read
 * function: past it a read answers at once, so waiting reads never fill the read functions' cap.
 */
export interface WaitSlots {
  /** A slot held for at most `holdMs` (a crashed holder's slot frees itself then), or `null` when none is free. */
  take(holdMs: number): Promise<WaitSlot | null>;
}

export interface WaitSlot {
  release(): Promise<void>;
}
