import { isFormObject, type FormObject, type FormValue } from './form-body.ts';
import type { AutomaticPaymentMethods, CancellationReason, CaptureMethod } from './payment-intent.ts';
import { invalidRequest } from './stripe-errors.ts';

/**
 * Stripe's parameter rules for the PaymentIntent endpoints, as pure functions from a decoded
 * form body to typed parameters; each broken rule is the 400 Stripe answers. Parameters the
 * sandbox does not model are refused rather than silently ignored, so that nobody trusts the
 * sandbox about a behaviour it never reproduced. The exported field readers serve
 * refund-params.ts too.
 */

/** What confirming needs besides the payment method, on create (`confirm=true`) and confirm. */
export interface ConfirmOptions {
  returnUrl: string | null;
  /** `off_session` or `error_on_requires_action`: nobody is there to authenticate. */
  customerAbsent: boolean;
}

export interface ConfirmParams extends ConfirmOptions {
  /** A test token, or the id of a PaymentMethod the sandbox made from one. */
  paymentMethod: string | null;
  /** Set on create or confirm (a confirm's replaces the create's); `null`: unchanged, `automatic` on create. */
  captureMethod: CaptureMethod | null;
}

export interface CaptureParams {
  /** At most the intent's `amount_capturable`; `null`: all of it. */
  amountToCapture: number | null;
}

export interface CreateParams extends ConfirmParams {
  amount: number;
  currency: string;
  confirm: boolean;
  description: string | null;
  metadata: Record<string, string>;
  automaticPaymentMethods: AutomaticPaymentMethods | null;
  paymentMethodTypes: string[];
}

export interface SearchParams {
  metadataKey: string;
  value: string;
  limit: number;
}

/** Stripe's minimum charge per currency, in minor units; others need 50. */
const MINIMUM_AMOUNTS: Readonly<Record<string, number>> = {
  usd: 50, eur: 50, gbp: 30, jpy: 50, aud: 50, cad: 50, chf: 50, dkk: 250, hkd: 400, huf: 17500, inr: 50, mxn: 1000,
  myr: 200, nok: 300, nzd: 50, pln: 200, ron: 200, sek: 300, sgd: 50, thb: 1000, czk: 1500, aed: 200, bgn: 100, brl: 50,
};
const DEFAULT_MINIMUM_AMOUNT = 50;
const MAXIMUM_AMOUNT = 99_999_999;

const CONFIRM_ONLY = ['return_url', 'off_session', 'error_on_requires_action', 'mandate_data'] as const;
const CONFIRM_PARAMS = ['payment_method', 'capture_method', ...CONFIRM_ONLY];
const CAPTURE_METHODS: readonly CaptureMethod[] = ['automatic', 'automatic_async', 'manual'];
const CREATE_PARAMS = [
  'amount',
  'currency',
  'confirm',
  'description',
  'metadata',
  'automatic_payment_methods',
  'payment_method_types',
  ...CONFIRM_PARAMS,
];
/** What a caller may give (`automatic` is Stripe's own). */
const CANCELLATION_REASONS: readonly CancellationReason[] = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

/**
 * `POST /v1/payment_intents`. Without `automatic_payment_methods` and `payment_method_types`,
 * automatic payment methods are on with redirects allowed: Stripe's default since API version
 * 2023-08-16, which makes confirming without a `return_url` fail.
 */
export function parseCreate(params: FormObject): CreateParams {
  rejectUnknown(params, CREATE_PARAMS);
  const amount = requiredAmount(params);
  const currency = requiredCurrency(params);
  checkAmountRange(amount, currency);
  const confirm = optionalBoolean(params, 'confirm') ?? false;
  const misplaced = CONFIRM_ONLY.find((name) => params[name] !== undefined);
  if (!confirm && misplaced) {
    throw invalidRequest(`You can only pass \`${misplaced}\` when \`confirm\` is \`true\`.`, { param: misplaced });
  }
  const confirmParams = confirmParamsOf(params);
  if (confirm && confirmParams.paymentMethod === null) throw missing('payment_method');
  return {
    amount,
    currency,
    confirm,
    description: optionalString(params, 'description', 1000),
    metadata: metadataOf(params),
    ...paymentMethodTypesOf(params),
    ...confirmParams,
  };
}

/** `POST /v1/payment_intents/{id}/confirm`. */
export function parseConfirm(params: FormObject): ConfirmParams {
  rejectUnknown(params, CONFIRM_PARAMS);
  return confirmParamsOf(params);
}

/** `POST /v1/payment_intents/{id}/cancel`. */
export function parseCancel(params: FormObject): CancellationReason | null {
  rejectUnknown(params, ['cancellation_reason']);
  const reason = optionalString(params, 'cancellation_reason', 5000);
  if (reason !== null && !CANCELLATION_REASONS.includes(reason as CancellationReason)) {
    throw invalidRequest(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`, {
      code: 'parameter_invalid_string',
      param: 'cancellation_reason',
    });
  }
  return reason as CancellationReason | null;
}

/**
 * `POST /v1/payment_intents/{id}/capture`: `amount_to_capture`, a positive whole number (that it
 * is at most `amount_capturable` is the intent's to check). The sandbox models no other field.
 */
export function parseCapture(params: FormObject): CaptureParams {
  rejectUnknown(params, ['amount_to_capture']);
  const raw = params['amount_to_capture'];
  return { amountToCapture: raw === undefined ? null : positiveInteger(raw, 'amount_to_capture') };
}

/** `GET /v1/payment_intents/search`, reduced to the one clause oncepay needs: `metadata['k']:'v'`. */
export function parseSearch(query: URLSearchParams): SearchParams {
  rejectUnknownQuery(query, ['query', 'limit']);
  const clause = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(query.get('query') ?? '');
  if (!clause) {
    throw invalidRequest("The processor sandbox only searches one clause of the form metadata['key']:'value'.", {
      param: 'query',
    });
  }
  return { metadataKey: clause[1] ?? '', value: clause[2] ?? '', limit: listLimit(query) };
}

/** A list's or search's `limit`: 1 to 100, 10 unless given. */
export function listLimit(query: URLSearchParams): number {
  const limit = Number(query.get('limit') ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw invalidRequest('Invalid limit: must be an integer from 1 to 100.', { param: 'limit' });
  }
  return limit;
}

function confirmParamsOf(params: FormObject): ConfirmParams {
  // Mandates concern bank debits: checked for shape, no effect on cards.
  optionalObject(params, 'mandate_data');
  const offSession = params['off_session'];
  if (offSession !== undefined && !['true', 'false', 'one_off', 'recurring'].includes(String(offSession))) {
    throw invalidRequest('Invalid off_session: must be a boolean, one_off or recurring.', { param: 'off_session' });
  }
  const customerAbsent = (offSession !== undefined && offSession !== 'false') || optionalBoolean(params, 'error_on_requires_action') === true;
  const captureMethod = optionalString(params, 'capture_method', 5000);
  if (captureMethod !== null && !CAPTURE_METHODS.includes(captureMethod as CaptureMethod)) {
    throw invalidRequest(`Invalid capture_method: must be one of ${CAPTURE_METHODS.join(', ')}`, { code: 'parameter_invalid_string', param: 'capture_method' });
  }
  return {
    paymentMethod: optionalString(params, 'payment_method', 5000),
    returnUrl: optionalString(params, 'return_url', 5000),
    customerAbsent,
    captureMethod: captureMethod as CaptureMethod | null,
  };
}

function paymentMethodTypesOf(params: FormObject): Pick<CreateParams, 'automaticPaymentMethods' | 'paymentMethodTypes'> {
  const automatic = params['automatic_payment_methods'];
  const types = params['payment_method_types'];
  if (automatic !== undefined && types !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: automatic_payment_methods, payment_method_types.', {
      param: 'automatic_payment_methods',
    });
  }
  if (types !== undefined) return { automaticPaymentMethods: null, paymentMethodTypes: cardOnly(types) };
  if (automatic === undefined) return { automaticPaymentMethods: { enabled: true }, paymentMethodTypes: ['card'] };
  return { automaticPaymentMethods: automaticPaymentMethodsOf(optionalObject(params, 'automatic_payment_methods') ?? {}), paymentMethodTypes: ['card'] };
}

function automaticPaymentMethodsOf(given: FormObject): AutomaticPaymentMethods {
  rejectUnknown(given, ['enabled', 'allow_redirects'], 'automatic_payment_methods');
  const enabled = optionalBoolean(given, 'enabled', 'automatic_payment_methods');
  if (enabled === undefined) throw missing('automatic_payment_methods[enabled]');
  const allowRedirects = given['allow_redirects'];
  if (allowRedirects === undefined) return { enabled };
  if (allowRedirects !== 'always' && allowRedirects !== 'never') {
    throw invalidRequest('Invalid automatic_payment_methods[allow_redirects]: must be one of always or never', {
      code: 'parameter_invalid_string',
      param: 'automatic_payment_methods[allow_redirects]',
    });
  }
  return { allow_redirects: allowRedirects, enabled };
}

/** Only cards: the sandbox has no other kind of payment method. */
function cardOnly(types: FormValue): string[] {
  if (!Array.isArray(types) || types.length === 0 || types.some((type) => type !== 'card')) {
    throw invalidRequest('The processor sandbox only supports payment_method_types of ["card"].', {
      code: 'payment_method_type_invalid',
      param: 'payment_method_types',
    });
  }
  return ['card'];
}

function requiredAmount(params: FormObject): number {
  const raw = params['amount'];
  if (raw === undefined) throw missing('amount');
  return positiveInteger(raw, 'amount');
}

/** A whole number of at least 1, as amounts are. */
export function positiveInteger(raw: FormValue, param: string): number {
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    throw invalidRequest(`Invalid integer: ${String(raw)}`, { code: 'parameter_invalid_integer', param });
  }
  const value = Number(raw);
  if (value < 1) {
    throw invalidRequest('This value must be greater than or equal to 1.', { code: 'parameter_invalid_integer', param });
  }
  return value;
}

function requiredCurrency(params: FormObject): string {
  const currency = params['currency'];
  if (currency === undefined) throw missing('currency');
  if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) {
    throw invalidRequest(`Invalid currency: ${String(currency)}. Currencies are three-letter ISO codes in lowercase.`, {
      param: 'currency',
    });
  }
  return currency;
}

function checkAmountRange(amount: number, currency: string): void {
  const minimum = MINIMUM_AMOUNTS[currency] ?? DEFAULT_MINIMUM_AMOUNT;
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatMinor(minimum, currency)} ${currency}`, {
      code: 'amount_too_small',
      param: 'amount',
    });
  }
  if (amount > MAXIMUM_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${formatMinor(MAXIMUM_AMOUNT, currency)} ${currency}`, {
      code: 'amount_too_large',
      param: 'amount',
    });
  }
}

/** `50, 'usd'` → `$0.50`, as Stripe's messages write amounts. */
export function formatMinor(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

/** Stripe allows 50 keys of up to 40 characters, with values of up to 500; `metadata=` is none. */
export function metadataOf(params: FormObject): Record<string, string> {
  const given = params['metadata'] === '' ? {} : (optionalObject(params, 'metadata') ?? {});
  const entries = Object.entries(given);
  if (entries.length > 50) throw invalidRequest('You can specify up to 50 metadata keys.', { param: 'metadata' });
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || key.length > 40 || value.length > 500) {
      throw invalidRequest('Metadata keys can have up to 40 characters and values up to 500 characters.', {
        param: `metadata[${key}]`,
      });
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Refuses the first parameter not `known` (under `parent`, for a nested object's): `parameter_unknown`. */
export function rejectUnknown(params: FormObject, known: readonly string[], parent?: string): void {
  const unknown = Object.keys(params).find((name) => !known.includes(name));
  if (unknown === undefined) return;
  const param = parent === undefined ? unknown : `${parent}[${unknown}]`;
  throw invalidRequest(unknownMessage(param), { code: 'parameter_unknown', param });
}

/** Refuses the first query parameter not `known`; `expand[0]` is the parameter `expand`. */
export function rejectUnknownQuery(query: URLSearchParams, known: readonly string[]): void {
  const unknown = [...query.keys()].map((name) => name.replace(/\[.*$/, '')).find((name) => !known.includes(name));
  if (unknown !== undefined) throw invalidRequest(unknownMessage(unknown), { code: 'parameter_unknown', param: unknown });
}

function unknownMessage(param: string): string {
  return `Received unknown parameter: ${param} (or one the processor sandbox does not model)`;
}

/** Stripe's 400 for a required parameter left out. */
export function missing(param: string) {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}

/** A string parameter of at most `maxLength` characters, or `null` when absent. */
export function optionalString(params: FormObject, name: string, maxLength: number): string | null {
  const value = params[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string.`, { param: name });
  if (value.length > maxLength) {
    throw invalidRequest(`Invalid string: ${name} can have up to ${maxLength} characters.`, { param: name });
  }
  return value;
}

function optionalBoolean(params: FormObject, name: string, parent?: string): boolean | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  const param = parent === undefined ? name : `${parent}[${name}]`;
  throw invalidRequest(`Invalid boolean: ${String(value)}`, { param });
}

function optionalObject(params: FormObject, name: string): FormObject | undefined {
  const value = params[name];
  if (value === undefined || isFormObject(value)) return value;
  throw invalidRequest(`Invalid object: ${name} must be an object.`, { param: name });
}
