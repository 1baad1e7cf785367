import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Validators for Stripe's response shapes, from the OpenAPI subset in
 * `test/fixtures/stripe/` (regenerate it with `extract.ts` there), prepared for ajv as
 * Stripe's spec needs: `#/components/schemas` refs made `#/definitions` refs, OpenAPI's
 * `nullable` rewritten as `anyOf [null, …]`, Stripe's `unix-time` and `decimal` formats,
 * its `x-…` annotations dropped, and the enums it may extend (`x-stripeBypassValidation`)
 * relaxed. Each validator returns ajv's errors as strings: none means valid.
 */
export interface StripeValidator {
  validatePaymentIntent(value: unknown): string[];
  validateError(body: unknown): string[];
  validateSearchResult(body: unknown): string[];
  validateRefund(value: unknown): string[];
  /** `GET /v1/refunds`: Stripe's inline `APIMethodRefundList`. */
  validateRefundList(body: unknown): string[];
  validateDispute(value: unknown): string[];
  /** `GET /v1/disputes`: Stripe's inline `DisputeList`. */
  validateDisputeList(body: unknown): string[];
  /**
   * An event, and the object it carries: the spec types `data.object` only as `object`, so the
   * payload is checked against the schema of its `object` field (`payment_intent`, `refund`, `dispute`).
   */
  validateEvent(value: unknown): string[];
  /** `GET /v1/events`: Stripe's inline `NotificationEventList`, each event's object checked as {@link validateEvent} does. */
  validateEventList(body: unknown): string[];
}

type Schema = { [keyword: string]: unknown };

interface Subset {
  components: { schemas: Record<string, Schema> };
  responses: Record<string, Schema>;
  fixtures: Record<'payment_intent' | 'refund' | 'event' | 'dispute', Record<string, unknown>>;
}

const SUBSET_URL = new URL('../fixtures/stripe/stripe-openapi-subset.json', import.meta.url);
const ROOT_ID = 'stripe.json';
const SCHEMA_REF = '#/components/schemas/';
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'];

let subset: Subset | undefined;
let validator: StripeValidator | undefined;

/** Built once per test file: compiling Stripe's schemas takes a moment. */
export function stripeValidator(): StripeValidator {
  validator ??= buildValidator(loadSubset());
  return validator;
}

/** Stripe's own example objects, which any validator worth trusting must accept. */
export function stripeFixtures(): Subset['fixtures'] {
  return structuredClone(loadSubset().fixtures);
}

function loadSubset(): Subset {
  subset ??= JSON.parse(readFileSync(SUBSET_URL, 'utf8')) as Subset;
  return subset;
}

function buildValidator(subset: Subset): StripeValidator {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('unix-time', { type: 'number', validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat('decimal', { type: 'string', validate: /^-?\d+(\.\d+)?$/ });
  const definitions = Object.fromEntries(Object.entries(subset.components.schemas).map(([name, schema]) => [name, forAjv(schema)]));
  for (const resource of ['payment_intent', 'refund', 'event', 'dispute'] as const) {
    definitions[resource] = complete(definitions[resource] as Schema, subset.fixtures[resource]);
  }
  ajv.addSchema({ $id: ROOT_ID, definitions });
  const definition = (name: string) => ajv.getSchema(`${ROOT_ID}#/definitions/${name}`) as ValidateFunction;
  const validatePaymentIntent = definition('payment_intent');
  const validateError = definition('error');
  const validateRefund = definition('refund');
  const response = (operation: string) => ajv.compile(forAjv(subset.responses[operation] as Schema));
  const validateSearch = response('GET /v1/payment_intents/search');
  const validateRefundList = response('GET /v1/refunds');
  const errorsOf = (validate: ValidateFunction) => (value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map(describe));
  const objectValidators: Record<string, (value: unknown) => string[]> = {
    payment_intent: errorsOf(validatePaymentIntent),
    refund: errorsOf(validateRefund),
    dispute: errorsOf(definition('dispute')),
  };
  const eventShape = errorsOf(definition('event'));
  const validateEvent = (value: unknown) => {
    const object = (value as { data?: { object?: { object?: unknown } } } | null)?.data?.object;
    const ofObject = objectValidators[String(object?.object)];
    const payload = ofObject ? ofObject(object).map((error) => `/data/object${error}`) : [`/data/object is a ${String(object?.object)}, which no schema here describes`];
    return [...eventShape(value), ...payload];
  };
  const listOf = (operation: string, item: (value: unknown) => string[]) => {
    const list = errorsOf(response(operation));
    return (body: unknown) => [...list(body), ...((body as { data?: unknown[] } | null)?.data ?? []).flatMap(item)];
  };
  return {
    validatePaymentIntent: objectValidators['payment_intent'] as (value: unknown) => string[],
    validateError: errorsOf(validateError),
    validateSearchResult: errorsOf(validateSearch),
    validateRefund: objectValidators['refund'] as (value: unknown) => string[],
    validateRefundList: errorsOf(validateRefundList),
    validateDispute: objectValidators['dispute'] as (value: unknown) => string[],
    validateDisputeList: listOf('GET /v1/disputes', () => []),
    validateEvent,
    validateEventList: listOf('GET /v1/events', validateEvent),
  };
}

/** One schema of Stripe's spec, rewritten for ajv (see {@link StripeValidator}), recursively. */
function forAjv(schema: Schema): Schema {
  const rewritten: Schema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'nullable' || keyword.startsWith('x-')) continue;
    if (keyword === 'enum' && schema['x-stripeBypassValidation'] === true) continue;
    rewritten[keyword] = rewriteKeyword(keyword, value);
  }
  return schema['nullable'] === true ? { anyOf: [{ type: 'null' }, rewritten] } : rewritten;
}

function rewriteKeyword(keyword: string, value: unknown): unknown {
  if (keyword === '$ref') return `${ROOT_ID}#/definitions/${(value as string).slice(SCHEMA_REF.length)}`;
  if (keyword === 'properties') {
    return Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([name, property]) => [name, forAjv(property)]));
  }
  if (SCHEMA_LISTS.includes(keyword)) return (value as Schema[]).map(forAjv);
  if (keyword === 'items' || (keyword === 'additionalProperties' && typeof value === 'object')) return forAjv(value as Schema);
  return value;
}

/**
 * Stripe answers every field its own fixture of the resource has (`null` when empty), and
 * nothing the spec does not define, though the spec requires only a few: the validators hold
 * the sandbox to what Stripe sends, not merely to what the spec allows.
 */
function complete(schema: Schema, fixture: Record<string, unknown>): Schema {
  const required = new Set([...((schema['required'] as string[] | undefined) ?? []), ...Object.keys(fixture)]);
  return { ...schema, required: [...required].sort(), additionalProperties: false };
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}
