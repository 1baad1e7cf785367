/**
 * Base class of every error oncepay raises on purpose. Subclasses end in `Error`,
 * carry a `cause` where there is one, and are matched with `instanceof`, never by name.
 */
export class OncePayError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One field-level problem found while validating client input. */
export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `metadata.order_id`; empty for the whole body. */
  field: string;
  message: string;
}

/** Client input broke the contract. Not remembered: the client may fix it and retry the same key. */
export class ValidationError extends OncePayError {
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** A setting the code needs is missing or malformed at cold start. */
export class ConfigurationError extends OncePayError {}

/**
 * The processor could not be reached, failed transiently, or timed out so that the outcome
 * is unknown. Safe to retry with the same processor idempotency key — unless `keySpent`: the
 * processor answered with an error it saved for the key (Stripe keeps a 500 for 24 hours), so
 * that key will only ever repeat it. After asking what happened, the next request needs a new key.
 */
export class ProcessorUnavailableError extends OncePayError {
  readonly keySpent: boolean;

  constructor(message: string, options?: ErrorOptions & { keySpent?: boolean }) {
    super(message, options);
    this.keySpent = options?.keySpent ?? false;
  }
}

/**
 * The processor refused a request for a reason that is not the charge's: a wrong or revoked
 * key, a missing permission, a key reused with other parameters, a request oncepay built wrong.
 * Not a decline: the charge stays open, an alarm fires, and a person fixes the configuration.
 */
export class ProcessorConfigurationError extends OncePayError {}

/**
 * The processor answered from the other mode than the stage's (`livemode` true on a test stage,
 * false on a live one): the account or endpoint is not the stage's, so the answer says nothing
 * about this stage's money. A configuration error for that call, and the charge is also flagged
 * for a person: in live mode money may have moved where oncepay does not look.
 */
export class ProcessorModeMismatchError extends ProcessorConfigurationError {}

/** A work message that can never be processed: unparseable, or naming no known charge. */
export class PoisonMessageError extends OncePayError {}
