import { z } from 'zod';
import { DISPUTE_STATUSES } from './dispute.ts';
import { EVENT_TYPES } from './event.ts';

/**
 * Schemas of what the API answers. The request schema lives beside its parser
 * (`charge-request.ts`); both feed the generated OpenAPI document.
 */
export const chargeObjectSchema = z
  .strictObject({
    id: z.string().regex(/^ch_[0-9A-Za-z]{22}$/).describe('Charge id, derived from (merchant, Idempotency-Key).'),
    object: z.literal('charge'),
    status: z.enum(['pending', 'processing', 'succeeded', 'failed']),
    amount: z.int().min(1),
    currency: z.string().length(3),
    payment_method: z.string(),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created: z.int().describe('Unix time (seconds) the charge was created.'),
    updated: z.int().describe('Unix time (seconds) of the last status change.'),
    failure_code: z
      .string()
      .nullable()
      .describe('Set when status is failed, e.g. card_declined, authentication_required, amount_too_small.'),
    failure_message: z.string().nullable(),
    decline_code: z
      .string()
      .nullable()
      .describe("The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds."),
    amount_refunded: z.int().min(0).describe('What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back).'),
    refunded: z.boolean().describe('True once amount_refunded equals amount.'),
    disputed: z.boolean().describe('True once the cardholder disputed the charge with their bank (an inquiry or a chargeback).'),
    dispute: z.string().regex(/^du_[0-9A-Za-z]{22}$/).nullable().describe('The dispute (GET /v1/disputes/{id}), or null.'),
  })
  .describe(
    'A charge. Poll GET /v1/charges/{id} until status is succeeded or failed. A charge whose outcome the ' +
      'processor has not settled stays pending or processing (never failed while money may have moved).',
  );

export const problemSchema = z
  .looseObject({
    type: z.url().describe('Stable URI identifying the kind of problem.'),
    title: z.string(),
    status: z.int().optional(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    differing_fields: z.array(z.string()).optional().describe('On 422: fields that differ from the first request.'),
    accepted_mode: z.enum(['test', 'live']).optional().describe('On a 401 for a key of the wrong mode: the mode this stage takes.'),
    missing_scope: z.string().optional().describe('On 403: the scope the restricted key lacks.'),
    charge: z.string().optional().describe('On charge-not-refundable and charge-disputed: the charge.'),
    dispute: z.string().optional().describe('On charge-disputed: the chargeback that forbids refunds.'),
    request_id: z.string().optional(),
  })
  .describe('RFC 9457 problem details.');

export const refundObjectSchema = z
  .strictObject({
    id: z.string().regex(/^re_[0-9A-Za-z]{22}$/).describe('Refund id, derived from (merchant, Idempotency-Key).'),
    object: z.literal('refund'),
    charge: z.string().regex(/^ch_[0-9A-Za-z]{22}$/),
    amount: z.int().min(1),
    currency: z.string().length(3),
    status: z.enum(['pending', 'succeeded', 'failed', 'canceled']),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).nullable(),
    metadata: z.record(z.string(), z.string()),
    created: z.int().describe('Unix time (seconds) the refund was created.'),
    failure_reason: z.string().nullable().describe("Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal."),
  })
  .describe('A refund of all or part of a succeeded charge. Its amount is held on the charge from creation; failed or canceled gives it back.');

/** A Stripe-style list page. */
export const listSchema = (item: z.ZodType, url: string) =>
  z.strictObject({
    object: z.literal('list'),
    data: z.array(item).describe('Newest first.'),
    has_more: z.boolean().describe('Whether another page follows in this direction.'),
    url: z.literal(url),
  });

export const webhookEndpointObjectSchema = z
  .strictObject({
    id: z.string().regex(/^we_[0-9A-Za-z]{24}$/),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    enabled_events: z.array(z.string()).describe('The event types sent to it; ["*"] for all.'),
    status: z.enum(['enabled', 'disabled']).describe('disabled once deliveries kept failing for 3 days.'),
    created: z.int(),
    secret: z.string().optional().describe('whsec_…: signs its deliveries. Only in the answers that create the endpoint or roll its secret.'),
  })
  .describe('A URL that receives signed events.');

export const disputeObjectSchema = z
  .strictObject({
    id: z.string().regex(/^du_[0-9A-Za-z]{22}$/),
    object: z.literal('dispute'),
    amount: z.int().min(0).describe('The disputed amount: usually the charge’s, less what was refunded before.'),
    currency: z.string().length(3),
    charge: z.string().regex(/^ch_[0-9A-Za-z]{22}$/),
    reason: z.string().describe("The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, …"),
    status: z
      .enum(DISPUTE_STATUSES)
      .describe(
        'Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, ' +
          'won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: ' +
          'still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.',
      ),
    is_charge_refundable: z.boolean().describe('Whether the charge may still be refunded: true for an inquiry, false once charged back.'),
    evidence_details: z.strictObject({ due_by: z.int().nullable().describe('Unix time (seconds) evidence is due, at Stripe; null when none is allowed.') }),
    created: z.int().describe('Unix time (seconds) the dispute was opened.'),
  })
  .describe('A dispute Stripe opened on a charge: oncepay mirrors it from Stripe’s word, read by id. Respond to it in Stripe’s Dashboard.');

export const eventObjectSchema = z
  .strictObject({
    id: z.string().regex(/^evt_[0-9A-Za-z]{22}$/).describe('One id per state change, however often the change is seen or delivered: deduplicate on it.'),
    object: z.literal('event'),
    type: z.enum(EVENT_TYPES),
    created: z.int().describe('Unix time (seconds) of the state change.'),
    data: z
      .strictObject({ object: z.union([chargeObjectSchema, refundObjectSchema, disputeObjectSchema]) })
      .describe('The charge, refund or dispute as the API shows it, at the change.'),
  })
  .describe(
    'An event, as POSTed to webhook endpoints with Content-Type application/json and Oncepay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint secret>. Delivered at least once.',
  );

export const eventWithAttemptsSchema = eventObjectSchema
  .extend({
    delivery_attempts: z
      .array(
        z.strictObject({
          endpoint: z.string(),
          created: z.int(),
          status_code: z.int().nullable().describe('null when there was no answer (timeout, network error).'),
          duration_ms: z.int(),
          error: z.string().optional(),
        }),
      )
      .describe('Every delivery attempt, oldest first (GET only; deliveries do not carry it).'),
  })
  .describe('An event with its delivery attempts, as GET /v1/events shows it.');
