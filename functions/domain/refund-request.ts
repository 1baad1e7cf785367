import * as z from 'zod/mini';
import { metadataSchema, toFieldProblems, withAmountSaidOnce } from './charge-request.ts';
import { ValidationError } from './errors.ts';
import type { JsonValue } from './fingerprint.ts';
import { MAX_AMOUNT_MINOR_UNITS } from './money.ts';
import { REFUND_REASONS, type RefundReason } from './refund.ts';

export const CHARGE_ID_PATTERN = /^ch_[0-9A-Za-z]{22}$/;

/**
 * The body of `POST /v1/refunds`. Strict like the charge request: unknown fields are refused
 * by name. The OpenAPI document is generated from this schema.
 */
export const createRefundBodySchema = z
  .strictObject({
    charge: z.string({ error: 'must be a string' }).check(
      z.regex(CHARGE_ID_PATTERN, { error: 'must be a charge id (ch_…)' }),
      z.describe('The charge to refund: one of your own, `succeeded`.'),
    ),
    amount: z.optional(
      z.int({ error: 'must be an integer number of minor units' }).check(
        z.minimum(1, { error: 'must be at least 1' }),
        z.maximum(MAX_AMOUNT_MINOR_UNITS, { error: `must be at most ${MAX_AMOUNT_MINOR_UNITS}` }),
        z.describe('How much to refund, in minor units; at most what is left of the charge. Default: all that is left.'),
      ),
    ),
    reason: z.optional(
      z.enum(REFUND_REASONS, { error: `must be one of ${REFUND_REASONS.join(', ')}` }).check(z.describe('Why the money goes back.')),
    ),
    metadata: z.optional(metadataSchema),
  })
  .check(z.describe('A request to give back all or part of a succeeded charge, once.'));

/** A validated refund request; `amount: null` means all that is left of the charge. */
export interface RefundRequest {
  chargeId: string;
  amount: number | null;
  reason: RefundReason | null;
  metadata: Record<string, string>;
}

/** Validates a parsed JSON body; throws {@link ValidationError} naming every problem. */
export function parseRefundRequest(body: JsonValue): RefundRequest {
  const result = createRefundBodySchema.safeParse(body);
  if (!result.success) {
    const problems = toFieldProblems(result.error, body);
    const amount = typeof body === 'object' && body !== null && !Array.isArray(body) ? body['amount'] : undefined;
    // A whole amount off either end gets one message with both bounds (1e20 is too large, not "not an integer").
    const offTheEnds = typeof amount === 'number' && Number.isInteger(amount) && problems.some((problem) => problem.field === 'amount');
    const bounds = `must be between 1 and ${MAX_AMOUNT_MINOR_UNITS}, and at most what is left of the charge`;
    throw new ValidationError('The request body is not a valid refund request.', offTheEnds ? withAmountSaidOnce(problems, bounds) : problems);
  }
  const { charge, amount, reason, metadata } = result.data;
  return { chargeId: charge, amount: amount ?? null, reason: reason ?? null, metadata: metadata ?? {} };
}
