// zod/mini: the same validation as classic zod at a twentieth of the bundle and start-up cost.
import * as z from 'zod/mini';
import { containsCardNumber } from './card-number.ts';
import { ValidationError, type FieldProblem } from './errors.ts';
import type { JsonValue } from './fingerprint.ts';
import { MAX_AMOUNT_MINOR_UNITS, isSupportedCurrency, minimumAmount } from './money.ts';

/** Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500. */
const METADATA_MAX_KEYS = 50;
const METADATA_KEY_MAX_LENGTH = 40;
const METADATA_VALUE_MAX_LENGTH = 500;
const DESCRIPTION_MAX_LENGTH = 1000;

const noCardNumber = (value: string) => !containsCardNumber(value);
const CARD_NUMBER_MESSAGE = 'must not contain a card number; send a payment method token (pm_…) instead';

/** Merchant metadata, as on Stripe objects: string pairs within Stripe's limits, never a card number. */
export const metadataSchema = z
    .record(
      z.string().check(
        z.minLength(1, { error: 'metadata keys must not be empty' }),
        z.maxLength(METADATA_KEY_MAX_LENGTH, { error: `metadata keys must be at most ${METADATA_KEY_MAX_LENGTH} characters` }),
      ),
      z.string({ error: 'must be a string' }).check(
        z.maxLength(METADATA_VALUE_MAX_LENGTH, { error: `must be at most ${METADATA_VALUE_MAX_LENGTH} characters` }),
        z.refine(noCardNumber, { error: CARD_NUMBER_MESSAGE }),
      ),
    )
    .check(
      z.refine((record) => Object.keys(record).length <= METADATA_MAX_KEYS, { error: `must have at most ${METADATA_MAX_KEYS} keys` }),
      z.describe('Up to 50 string key/value pairs for the merchant’s own use.'),
    );

/**
 * The body of `POST /v1/charges`. Strict: unknown fields are rejected by name, so a client
 * can never set `status`, `id` or anything else the server owns (no mass assignment).
 * The OpenAPI document is generated from this schema.
 */
export const createChargeBodySchema = z
  .strictObject({
    amount: z.int({ error: 'must be an integer number of minor units' }).check(
      z.minimum(1, { error: 'must be at least 1' }),
      z.maximum(MAX_AMOUNT_MINOR_UNITS, { error: `must be at most ${MAX_AMOUNT_MINOR_UNITS}` }),
      z.describe("Amount in the currency's minor units (e.g. cents): an integer at least the card processor's minimum for the currency (50 for usd and eur, 30 for gbp, …)."),
    ),
    currency: z.string({ error: 'must be a string' }).check(
      z.regex(/^[a-z]{3}$/, { error: 'must be a lower-case ISO 4217 currency code', abort: true }),
      z.refine(isSupportedCurrency, { error: 'must be a lower-case ISO 4217 currency code' }),
      z.describe('Three-letter ISO 4217 currency code, lower case.'),
    ),
    payment_method: z.string({ error: 'must be a string' }).check(
      z.regex(/^pm_[A-Za-z0-9_]{1,200}$/, { error: 'must be a payment method token such as pm_card_visa' }),
      z.describe('A card processor payment method token (pm_…). Never card data.'),
    ),
    description: z.optional(
      z.string({ error: 'must be a string' }).check(
        z.maxLength(DESCRIPTION_MAX_LENGTH, { error: `must be at most ${DESCRIPTION_MAX_LENGTH} characters` }),
        z.refine(noCardNumber, { error: CARD_NUMBER_MESSAGE }),
        z.describe('Free text shown to the merchant.'),
      ),
    ),
    metadata: z.optional(metadataSchema),
  })
  .check(z.describe('A request to charge a payment method once.'));

export type CreateChargeBody = z.infer<typeof createChargeBodySchema>;

/** A validated charge request, with optional fields made explicit. */
export interface ChargeRequest {
  amount: number;
  currency: string;
  paymentMethod: string;
  description: string | null;
  metadata: Record<string, string>;
}

/**
 * Validates a parsed JSON body against {@link createChargeBodySchema}, then the processor's
 * per-currency minimum amount.
 * Throws {@link ValidationError} listing every problem, unknown fields by name.
 */
export function parseChargeRequest(body: JsonValue): ChargeRequest {
  const result = createChargeBodySchema.safeParse(body);
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  const outOfBounds = amountOutOfBounds(fields['amount'], fields['currency']);
  if (!result.success) {
    const problems = toFieldProblems(result.error, body);
    throw new ValidationError('The request body is not a valid charge request.', outOfBounds ? withAmountSaidOnce(problems, outOfBounds) : problems);
  }
  // The processor refuses amounts below its per-currency minimum; refuse them before a charge is recorded.
  if (outOfBounds) throw new ValidationError('The request body is not a valid charge request.', [{ field: 'amount', message: outOfBounds }]);
  const { amount, currency, payment_method, description, metadata } = result.data;
  return { amount, currency, paymentMethod: payment_method, description: description ?? null, metadata: metadata ?? {} };
}

/**
 * The one message for a whole amount off either end (the processor's minimum for the currency,
 * the largest it takes), so a client learns both bounds at once; `null` when it is within them
 * or not a whole number (1e20 is one, and too large: not "not an integer").
 */
function amountOutOfBounds(amount: JsonValue | undefined, currency: JsonValue | undefined): string | null {
  if (typeof amount !== 'number' || !Number.isInteger(amount)) return null;
  const known = typeof currency === 'string' && isSupportedCurrency(currency);
  const minimum = known ? minimumAmount(currency) : 1;
  if (amount >= minimum && amount <= MAX_AMOUNT_MINOR_UNITS) return null;
  return known
    ? `must be between ${minimum} and ${MAX_AMOUNT_MINOR_UNITS} for ${currency}`
    : `must be between the card processor's minimum for the currency and ${MAX_AMOUNT_MINOR_UNITS}`;
}

/** The problems with every one about `amount` replaced by the one message that gives its bounds. */
export function withAmountSaidOnce(problems: FieldProblem[], message: string): FieldProblem[] {
  return [{ field: 'amount', message }, ...problems.filter((problem) => problem.field !== 'amount')];
}

/** Maps schema issues to field problems: unknown fields by name, missing ones as required. */
export function toFieldProblems(error: z.core.$ZodError, body: JsonValue): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: path ? `${path}.${key}` : key,
        message: 'is not a known field',
      }));
    }
    if (issue.code === 'invalid_type' && path === '') {
      return [{ field: '', message: 'the body must be a JSON object' }];
    }
    if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) {
      return [{ field: path, message: 'is required' }];
    }
    return [{ field: path, message: issue.message }];
  });
}

function valueAt(body: JsonValue, path: PropertyKey[]): unknown {
  let node: unknown = body;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}
