/**
 * An in-memory card processor with Stripe's PaymentIntent rules, for use-case tests that need
 * faults at exact points (a crash between two calls, a lost response) which the HTTP sandbox
 * cannot place. It follows the same rules as the sandbox: keyed create and confirm, keys that
 * can be forgotten (Stripe forgets them after 24 h), one capture per confirmed payment.
 */
import { ProcessorConfigurationError, ProcessorUnavailableError } from '#domain/errors.ts';
import type {
  CancelReason,
  CardProcessor,
  PaymentRequest,
  PaymentState,
  PreparedPayment,
  ProcessorDispute,
  ProcessorEventNotice,
  ProcessorEventPage,
  ProcessorEventQuery,
  ProcessorEventSource,
  ProcessorRefundRequest,
  ProcessorRefundState,
  RefundProcessor,
  RefundRefusal,
} from '#domain/ports.ts';

/** A crash of the invocation: not a processor error, so nothing in the use case catches it. */
export class CrashError extends Error {}

/** How the next call of a kind misbehaves; each is used once. */
export type Fault =
  | 'unavailable' // 5xx before anything happened: kept for the call's key, as Stripe keeps a 500 for 24 h
  | 'timeout-after' // the call took effect, its response was lost
  | 'crash-before' // the invocation dies before the call
  | 'crash-after' // the call took effect, then the invocation died
  | 'configuration'; // 401/403: not the charge's fault

/** What the card does when confirmed. */
export type CardBehaviour = 'succeed' | 'decline' | 'processing' | 'authenticate';

interface FakePayment {
  id: string;
  chargeId: string;
  merchantId: string;
  amount: number;
  status: 'requires_confirmation' | 'processing' | 'succeeded' | 'requires_payment_method' | 'requires_action' | 'canceled';
  declined: boolean;
  canceledFor: CancelReason | null;
}

/** What refunding a payment does: succeed at once, stay pending until settled, fail, or be refused with a code oncepay does not know. */
export type RefundBehaviour = 'succeed' | 'pending' | 'fail' | 'refuse';

/** What a key holds once the processor answered it with a 500: that answer, for as long as the key is kept. */
const KEPT_500 = Symbol('kept 500');

interface FakeRefund {
  id: string;
  paymentId: string;
  refundId: string;
  amount: number;
  status: 'pending' | 'succeeded' | 'failed';
}

type CallKind = 'prepare' | 'confirm' | 'retrieve' | 'cancel' | 'refund' | 'retrieveRefund' | 'listRefunds' | 'retrieveDispute' | 'listEvents';

export class FakeProcessor implements CardProcessor, RefundProcessor, ProcessorEventSource {
  readonly payments = new Map<string, FakePayment>();
  /** Captures per payment id: money that really moved. */
  readonly captures = new Map<string, number>();
  private readonly keys = new Map<string, PaymentState | PreparedPayment | ProcessorRefundState | typeof KEPT_500>();
  private readonly faults: Partial<Record<CallKind, Fault>> = {};
  /** Refunds in the order made, as the processor's refund list holds them. */
  readonly refunds: FakeRefund[] = [];
  /** Refund behaviour by payment id; unknown payments' refunds succeed. */
  readonly refundBehaviours = new Map<string, RefundBehaviour>();
  /** Card behaviour by payment method token; unknown tokens succeed. */
  readonly cards = new Map<string, CardBehaviour>();
  /** Disputes by their processor id, as a test opens and moves them. */
  readonly disputes = new Map<string, ProcessorDispute>();
  /** The processor's events, oldest first, as a test adds them (the Events API lists them newest first). */
  readonly events: ProcessorEventNotice[] = [];
  private sequence = 0;

  /** Makes the next call of `kind` misbehave once. */
  failNext(kind: CallKind, fault: Fault): void {
    this.faults[kind] = fault;
  }

  /** Faults stop: any armed fault that has not fired yet is dropped. */
  clearFaults(): void {
    for (const kind of Object.keys(this.faults) as Array<keyof typeof this.faults>) delete this.faults[kind];
  }

  /** Stripe forgets idempotency keys after 24 hours. */
  forgetKeys(): void {
    this.keys.clear();
  }

  /** Settles a `processing` payment, as the card network eventually does. */
  settle(paymentId: string, outcome: 'succeeded' | 'declined'): void {
    const payment = this.payments.get(paymentId);
    if (payment?.status !== 'processing') throw new Error(`${paymentId} is not processing`);
    this.capture(payment, outcome === 'succeeded');
  }

  capturesOf(chargeId: string): number {
    let total = 0;
    for (const payment of this.payments.values()) if (payment.chargeId === chargeId) total += this.captures.get(payment.id) ?? 0;
    return total;
  }

  paymentsOf(chargeId: string): FakePayment[] {
    return [...this.payments.values()].filter((payment) => payment.chargeId === chargeId);
  }

  async preparePayment(request: PaymentRequest, idempotencyKey: string): Promise<PreparedPayment> {
    return this.faulty('prepare', idempotencyKey, () => {
      const saved = this.keys.get(idempotencyKey);
      if (saved) return saved as PreparedPayment;
      this.sequence += 1;
      const payment: FakePayment = {
        id: `pi_fake${this.sequence}`,
        chargeId: request.chargeId,
        merchantId: request.merchantId,
        amount: request.amount,
        status: 'requires_confirmation',
        declined: false,
        canceledFor: null,
      };
      this.payments.set(payment.id, payment);
      const prepared: PreparedPayment = { kind: 'prepared', paymentId: payment.id };
      this.cards.set(payment.id, this.cards.get(request.paymentMethod) ?? 'succeed');
      this.keys.set(idempotencyKey, prepared);
      return prepared;
    });
  }

  async confirmPayment(paymentId: string, idempotencyKey: string): Promise<PaymentState> {
    return this.faulty('confirm', idempotencyKey, () => {
      const saved = this.keys.get(idempotencyKey);
      if (saved) return saved as PaymentState;
      const payment = this.mustGet(paymentId);
      // Stripe confirms from requires_confirmation and, after a decline, from requires_payment_method
      // (the card is tried again). Otherwise it answers `payment_intent_unexpected_state`, and the
      // adapter then retrieves: the current state is the answer.
      if (payment.status !== 'requires_confirmation' && payment.status !== 'requires_payment_method') return this.stateOf(payment);
      const card = this.cards.get(paymentId) ?? 'succeed';
      if (card === 'processing') payment.status = 'processing';
      else if (card === 'authenticate') payment.status = 'requires_action';
      else this.capture(payment, card === 'succeed');
      const state = this.stateOf(payment);
      this.keys.set(idempotencyKey, state);
      return state;
    });
  }

  async retrievePayment(paymentId: string): Promise<PaymentState> {
    return this.faulty('retrieve', null, () => this.stateOf(this.mustGet(paymentId)));
  }

  async cancelPayment(paymentId: string, idempotencyKey: string, reason: CancelReason): Promise<PaymentState> {
    return this.faulty('cancel', idempotencyKey, () => {
      const saved = this.keys.get(idempotencyKey);
      if (saved) return saved as PaymentState;
      const payment = this.mustGet(paymentId);
      if (['requires_confirmation', 'requires_action', 'requires_payment_method'].includes(payment.status)) {
        payment.status = 'canceled';
        payment.canceledFor = reason;
      }
      const state = this.stateOf(payment);
      this.keys.set(idempotencyKey, state);
      return state;
    });
  }

  /** Money refunded per oncepay refund id: more than one refund for one id means money moved twice. */
  refundsFor(refundId: string): FakeRefund[] {
    return this.refunds.filter((refund) => refund.refundId === refundId);
  }

  /** Refunded amount of a payment that really moved (succeeded refunds). */
  refundedOf(paymentId: string): number {
    return this.refunds.filter((refund) => refund.paymentId === paymentId && refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amount, 0);
  }

  /** Settles a pending refund, as the card network eventually does. */
  settleRefund(processorRefundId: string, outcome: 'succeeded' | 'failed'): void {
    const refund = this.refunds.find((candidate) => candidate.id === processorRefundId);
    if (refund?.status !== 'pending') throw new Error(`${processorRefundId} is not pending`);
    refund.status = outcome;
  }

  /** A succeeded refund fails later (a closed card): its money comes back, as Stripe's `refund.failed`. */
  failSucceededRefund(processorRefundId: string): void {
    const refund = this.refunds.find((candidate) => candidate.id === processorRefundId);
    if (refund?.status !== 'succeeded') throw new Error(`${processorRefundId} has not succeeded`);
    refund.status = 'failed';
  }

  async createRefund(request: ProcessorRefundRequest, idempotencyKey: string): Promise<ProcessorRefundState | RefundRefusal> {
    return this.faulty('refund', idempotencyKey, (): ProcessorRefundState | RefundRefusal => {
      const saved = this.keys.get(idempotencyKey);
      if (saved) return saved as ProcessorRefundState;
      const payment = this.mustGet(request.paymentId);
      const reserved = this.refunds
        .filter((refund) => refund.paymentId === payment.id && refund.status !== 'failed')
        .reduce((sum, refund) => sum + refund.amount, 0);
      if (payment.status !== 'succeeded') throw new ProcessorConfigurationError(`${payment.id} has no successful charge to refund`);
      // Stripe's refusal: nothing is created, no money moves.
      if (reserved + request.amount > payment.amount) return { kind: 'failed', processorRefundId: null, reason: 'amount_too_large' };
      const behaviour = this.refundBehaviours.get(payment.id) ?? 'succeed';
      if (behaviour === 'refuse') return { kind: 'refused', code: 'refund_unknown_refusal', message: 'A refusal oncepay has no mapping for.' };
      this.sequence += 1;
      const refund: FakeRefund = {
        id: `re_fake${this.sequence}`,
        paymentId: payment.id,
        refundId: request.refundId,
        amount: request.amount,
        status: behaviour === 'succeed' ? 'succeeded' : behaviour === 'fail' ? 'failed' : 'pending',
      };
      this.refunds.push(refund);
      const state = refundStateOf(refund);
      this.keys.set(idempotencyKey, state);
      return state;
    });
  }

  async retrieveRefund(processorRefundId: string): Promise<ProcessorRefundState> {
    return this.faulty('retrieveRefund', null, () => {
      const refund = this.refunds.find((candidate) => candidate.id === processorRefundId);
      if (!refund) throw new ProcessorConfigurationError(`No such refund ${processorRefundId}`);
      return refundStateOf(refund);
    });
  }

  /** The payment's refund list: strongly consistent, however long ago the refund's key was forgotten. */
  async findRefund(paymentId: string, refundId: string): Promise<ProcessorRefundState | null> {
    return this.faulty('listRefunds', null, () => {
      const refund = this.refunds.find((candidate) => candidate.paymentId === paymentId && candidate.refundId === refundId);
      return refund ? refundStateOf(refund) : null;
    });
  }

  async paymentOwner(paymentId: string): Promise<{ chargeId: string; merchantId: string } | null> {
    return this.faulty('retrieve', null, () => {
      const payment = this.mustGet(paymentId);
      return { chargeId: payment.chargeId, merchantId: payment.merchantId };
    });
  }

  async refundOwner(processorRefundId: string): Promise<{ refundId: string | null; state: ProcessorRefundState }> {
    return this.faulty('retrieveRefund', null, () => {
      const refund = this.refunds.find((candidate) => candidate.id === processorRefundId);
      if (!refund) throw new ProcessorConfigurationError(`No such refund ${processorRefundId}`);
      return { refundId: refund.refundId, state: refundStateOf(refund) };
    });
  }

  async retrieveDispute(processorDisputeId: string): Promise<ProcessorDispute> {
    return this.faulty('retrieveDispute', null, () => {
      const dispute = this.disputes.get(processorDisputeId);
      if (!dispute) throw new ProcessorConfigurationError(`No such dispute ${processorDisputeId}`);
      return { ...dispute };
    });
  }

  /** Opens (or moves) a dispute on a captured payment, as the cardholder's bank does. */
  setDispute(processorDisputeId: string, paymentId: string, status: ProcessorDispute['status'], amount?: number): ProcessorDispute {
    const payment = this.mustGet(paymentId);
    const chargeback = !status.startsWith('warning_');
    const dispute: ProcessorDispute = {
      processorDisputeId,
      paymentId,
      amount: amount ?? payment.amount,
      currency: 'usd',
      reason: 'fraudulent',
      status,
      isChargeRefundable: !chargeback,
      evidenceDueBy: Date.now() + 21 * 86_400_000,
      createdAt: this.disputes.get(processorDisputeId)?.createdAt ?? Date.now(),
    };
    this.disputes.set(processorDisputeId, dispute);
    return dispute;
  }

  async listEvents(query: ProcessorEventQuery): Promise<ProcessorEventPage> {
    return this.faulty('listEvents', null, () => {
      const matching = this.events
        .filter((event) => query.types.includes(event.type) && event.created >= query.createdFrom && (query.createdTo === null || event.created <= query.createdTo))
        .reverse();
      const start = query.startingAfter === null ? 0 : matching.findIndex((event) => event.id === query.startingAfter) + 1;
      return { events: matching.slice(start, start + query.limit), hasMore: matching.length > start + query.limit };
    });
  }

  /** How often each payment was confirmed: more than once means a card was tried again. */
  readonly confirmations = new Map<string, number>();

  private capture(payment: FakePayment, succeeded: boolean): void {
    this.confirmations.set(payment.id, (this.confirmations.get(payment.id) ?? 0) + 1);
    if (succeeded) {
      payment.status = 'succeeded';
      this.captures.set(payment.id, (this.captures.get(payment.id) ?? 0) + 1);
    } else {
      payment.status = 'requires_payment_method';
      payment.declined = true;
    }
  }

  private stateOf(payment: FakePayment): PaymentState {
    const paymentId = payment.id;
    switch (payment.status) {
      case 'succeeded':
        return { kind: 'succeeded', paymentId };
      case 'requires_payment_method':
        return { kind: 'failed', paymentId, code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' };
      case 'requires_confirmation':
        return { kind: 'awaiting_confirmation', paymentId };
      case 'requires_action':
        return { kind: 'requires_authentication', paymentId };
      case 'processing':
        return { kind: 'not_final', paymentId, status: 'processing' };
      case 'canceled':
        return payment.canceledFor === 'requires_authentication'
          ? { kind: 'failed', paymentId, code: 'authentication_required', declineCode: null, message: 'authentication required' }
          : { kind: 'failed', paymentId, code: 'payment_canceled', declineCode: null, message: 'canceled' };
    }
  }

  private mustGet(paymentId: string): FakePayment {
    const payment = this.payments.get(paymentId);
    if (!payment) throw new ProcessorConfigurationError(`No such payment ${paymentId}`);
    return payment;
  }

  /** Runs a call with its armed fault; a keyed call whose key holds a kept 500 answers that 500 again. */
  private faulty<T>(kind: CallKind, idempotencyKey: string | null, call: () => T): T {
    if (idempotencyKey !== null && this.keys.get(idempotencyKey) === KEPT_500) throw new ProcessorUnavailableError(`${kind}: 500 (replayed for its key)`, { keySpent: true });
    const fault = this.faults[kind];
    delete this.faults[kind];
    if (fault === 'unavailable') {
      if (idempotencyKey === null) throw new ProcessorUnavailableError(`${kind}: 503`);
      this.keys.set(idempotencyKey, KEPT_500);
      throw new ProcessorUnavailableError(`${kind}: 500`, { keySpent: true });
    }
    if (fault === 'configuration') throw new ProcessorConfigurationError(`${kind}: 401 invalid API key`);
    if (fault === 'crash-before') throw new CrashError(`crashed before ${kind}`);
    const result = call();
    if (fault === 'timeout-after') throw new ProcessorUnavailableError(`${kind}: timed out after taking effect`);
    if (fault === 'crash-after') throw new CrashError(`crashed after ${kind}`);
    return result;
  }
}

function refundStateOf(refund: FakeRefund): ProcessorRefundState {
  if (refund.status === 'pending') return { kind: 'not_final', processorRefundId: refund.id, status: 'pending' };
  if (refund.status === 'failed') return { kind: 'failed', processorRefundId: refund.id, reason: 'expired_or_canceled_card' };
  return { kind: 'succeeded', processorRefundId: refund.id };
}
