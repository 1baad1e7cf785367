/**
 * The payment method tokens the sandbox knows: Stripe's public test tokens, plus fault
 * tokens (`pm_sandbox_…`) that make the processor misbehave in documented ways.
 */

export interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

export type TokenBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; decline: Decline }
  /** 500 before the endpoint runs: nothing captured, nothing saved for the key. */
  | { kind: 'error500BeforeCapture'; times: 'once' | 'always' }
  /** Captures and saves the result, then never answers the request (the client times out). */
  | { kind: 'timeoutAfterCapture'; times: 'once' | 'always' };

const GENERIC_DECLINE: Decline = { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' };

export const TEST_TOKENS: Readonly<Record<string, TokenBehaviour>> = {
  pm_card_visa: { kind: 'succeed' },
  pm_card_visa_debit: { kind: 'succeed' },
  pm_card_mastercard: { kind: 'succeed' },
  pm_card_amex: { kind: 'succeed' },
  pm_card_chargeDeclined: { kind: 'decline', decline: GENERIC_DECLINE },
  pm_card_chargeDeclinedInsufficientFunds: {
    kind: 'decline',
    decline: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  pm_card_chargeDeclinedLostCard: {
    kind: 'decline',
    decline: { code: 'card_declined', declineCode: 'lost_card', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    kind: 'decline',
    decline: { code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.' },
  },
  pm_sandbox_error500BeforeCaptureOnce: { kind: 'error500BeforeCapture', times: 'once' },
  pm_sandbox_error500BeforeCaptureAlways: { kind: 'error500BeforeCapture', times: 'always' },
  pm_sandbox_timeoutAfterCaptureOnce: { kind: 'timeoutAfterCapture', times: 'once' },
  pm_sandbox_timeoutAfterCaptureAlways: { kind: 'timeoutAfterCapture', times: 'always' },
};
