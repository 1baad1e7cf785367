/**
 * The payment method tokens the sandbox knows: Stripe's public test tokens
 * (https://stripe.com/docs/testing) with the outcome Stripe gives them, plus fault tokens
 * (`pm_sandbox_…`) that make the processor misbehave the ways a real one does, on demand.
 */

export interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

/** What confirming a PaymentIntent with the card does once no fault interferes. */
export type CardOutcome =
  | { kind: 'succeed' }
  | { kind: 'decline'; decline: Decline }
  /** 3-D Secure: the customer must authenticate, which a server cannot do on their behalf. */
  | { kind: 'requireAction' }
  /** The payment stays `processing` for the sandbox's `processingMs`, then settles. */
  | { kind: 'process'; settlesAs: 'succeeded' | 'failed' };

/**
 * A confirm request refused before it moves money: `api_error` is a 500, which Stripe saves for
 * the key once the endpoint began (a retry with that key answers the same 500 for 24 hours);
 * `rate_limit` and `lock_timeout` are Stripe's two kinds of 429, refused before anything runs and
 * saved for nothing. `once` refuses only the first confirm of an intent, `always` every one.
 */
export interface ConfirmRefusal {
  error: 'api_error' | 'rate_limit' | 'lock_timeout';
  times: 'once' | 'always';
}

export interface TokenBehaviour {
  outcome: CardOutcome;
  refuseConfirm?: ConfirmRefusal;
  /**
   * The confirm request runs and its answer is saved for its key, but never sent: the client
   * times out not knowing that money moved. `once`: replays of the key are answered;
   * `always`: they are held too.
   */
  holdResponse?: 'once' | 'always';
  /** The intent's first retrieve answers 403, as Stripe does to a key lacking a permission. */
  rejectFirstRetrieve?: true;
  /** How refunding a payment made with the card goes; without it, every refund succeeds at once. */
  refund?: RefundBehaviour;
  /** The payment succeeds, then the cardholder disputes it: the sandbox's `disputeAfterMs` later. */
  dispute?: DisputeBehaviour;
  /**
   * The first create of a payment for the charge (one per `oncepay_charge_id`, else per key) answers
   * 500 `api_error` once its endpoint began: nothing is created, and the 500 is saved for the key.
   */
  error500OnCreateOnce?: true;
}

/** A dispute the card's payment meets once it has succeeded. */
export interface DisputeBehaviour {
  /** Stripe's dispute reason (`fraudulent`, `product_not_received`, `general`, …). */
  reason: string;
  /** An inquiry (`warning_needs_response`): no funds withdrawn, the payment still refundable. */
  inquiry: boolean;
  /**
   * The sandbox moves it to review (`under_review`) and closes it with this outcome, `disputeCloseMs`
   * after it opened; without it the dispute waits for `POST /_sandbox/disputes/{id}/close`, as a real
   * one waits for evidence.
   */
  closesAs?: 'won' | 'lost' | 'warning_closed';
}

/** The refund fault tokens: each pays normally, then misbehaves when refunded. */
export interface RefundBehaviour {
  /** The refund stays `pending` for the sandbox's `processingMs`, then ends in this status. */
  pendingThen?: 'succeeded' | 'failed';
  /**
   * Every refund create runs (money moves) and its answer is saved for its key, but never
   * sent: the client times out. Replays of the key are answered.
   */
  holdResponse?: 'once';
  /** The intent's first refund create answers 500 `api_error` once its endpoint began: nothing is refunded, and the 500 is saved for the key. */
  error500Once?: true;
  /** Every refund succeeds at once, then fails the sandbox's `refundFailAfterMs` later with this reason (the money comes back). */
  failsLater?: 'expired_or_canceled_card';
}

const SUCCEED: CardOutcome = { kind: 'succeed' };

const decline = (code: string, declineCode: string, message: string): TokenBehaviour => ({
  outcome: { kind: 'decline', decline: { code, declineCode, message } },
});

export const GENERIC_DECLINE: Decline = { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' };

/** What Stripe answers when a card needs 3-D Secure but the request said nobody can act. */
export const AUTHENTICATION_REQUIRED: Decline = {
  code: 'authentication_required',
  declineCode: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
};

export const TEST_TOKENS: Readonly<Record<string, TokenBehaviour>> = {
  pm_card_visa: { outcome: SUCCEED },
  pm_card_visa_debit: { outcome: SUCCEED },
  pm_card_mastercard: { outcome: SUCCEED },
  pm_card_amex: { outcome: SUCCEED },
  pm_card_chargeDeclined: { outcome: { kind: 'decline', decline: GENERIC_DECLINE } },
  pm_card_chargeDeclinedInsufficientFunds: decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  pm_card_chargeDeclinedLostCard: decline('card_declined', 'lost_card', 'Your card was declined.'),
  pm_card_chargeDeclinedExpiredCard: decline('expired_card', 'expired_card', 'Your card has expired.'),
  pm_card_chargeDeclinedFraudulent: decline('card_declined', 'fraudulent', 'Your card was declined.'),
  pm_card_chargeDeclinedIncorrectCvc: decline('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
  pm_card_chargeDeclinedProcessingError: decline(
    'processing_error',
    'processing_error',
    'An error occurred while processing your card. Try again in a little bit.',
  ),
  pm_card_authenticationRequired: { outcome: { kind: 'requireAction' } },
  pm_card_threeDSecure2Required: { outcome: { kind: 'requireAction' } },
  pm_sandbox_processingThenSucceeds: { outcome: { kind: 'process', settlesAs: 'succeeded' } },
  pm_sandbox_processingThenFails: { outcome: { kind: 'process', settlesAs: 'failed' } },
  pm_sandbox_error500BeforeCaptureOnce: { outcome: SUCCEED, refuseConfirm: { error: 'api_error', times: 'once' } },
  pm_sandbox_error500BeforeCaptureAlways: { outcome: SUCCEED, refuseConfirm: { error: 'api_error', times: 'always' } },
  pm_sandbox_timeoutAfterCaptureOnce: { outcome: SUCCEED, holdResponse: 'once' },
  pm_sandbox_timeoutAfterCaptureAlways: { outcome: SUCCEED, holdResponse: 'always' },
  pm_sandbox_rateLimitedOnce: { outcome: SUCCEED, refuseConfirm: { error: 'rate_limit', times: 'once' } },
  pm_sandbox_lockTimeoutOnce: { outcome: SUCCEED, refuseConfirm: { error: 'lock_timeout', times: 'once' } },
  pm_sandbox_lookupRejectedOnce: { outcome: SUCCEED, holdResponse: 'once', rejectFirstRetrieve: true },
  pm_sandbox_refundPendingThenFails: { outcome: SUCCEED, refund: { pendingThen: 'failed' } },
  pm_sandbox_refundTimeoutAfterSucceedingOnce: { outcome: SUCCEED, refund: { holdResponse: 'once' } },
  pm_sandbox_refundError500Once: { outcome: SUCCEED, refund: { error500Once: true } },
  pm_sandbox_error500OnCreateOnce: { outcome: SUCCEED, error500OnCreateOnce: true },
  // Stripe's refund test cards: https://stripe.com/docs/testing#refunds
  pm_card_pendingRefund: { outcome: SUCCEED, refund: { pendingThen: 'succeeded' } },
  pm_card_refundFail: { outcome: SUCCEED, refund: { failsLater: 'expired_or_canceled_card' } },
  // Stripe's dispute test cards: https://stripe.com/docs/testing#disputes
  pm_card_createDispute: { outcome: SUCCEED, dispute: { reason: 'fraudulent', inquiry: false } },
  pm_card_createDisputeProductNotReceived: { outcome: SUCCEED, dispute: { reason: 'product_not_received', inquiry: false } },
  pm_card_createDisputeInquiry: { outcome: SUCCEED, dispute: { reason: 'general', inquiry: true } },
  // Disputes that the sandbox also closes, for runs that must converge without a person.
  pm_sandbox_disputeThenWon: { outcome: SUCCEED, dispute: { reason: 'fraudulent', inquiry: false, closesAs: 'won' } },
  pm_sandbox_disputeThenLost: { outcome: SUCCEED, dispute: { reason: 'fraudulent', inquiry: false, closesAs: 'lost' } },
  pm_sandbox_inquiryThenClosed: { outcome: SUCCEED, dispute: { reason: 'general', inquiry: true, closesAs: 'warning_closed' } },
  // A chargeback opens while a refund of the payment is pending: the refund fails (charge_for_pending_refund_disputed).
  pm_sandbox_disputeDuringPendingRefund: { outcome: SUCCEED, refund: { pendingThen: 'succeeded' }, dispute: { reason: 'fraudulent', inquiry: false, closesAs: 'lost' } },
};
