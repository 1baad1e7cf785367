import { ValidationError, type FieldProblem } from './errors.ts';

/** A Stripe-style list request, validated. Times are Unix seconds. */
export interface ListQuery {
  limit: number;
  startingAfter: string | null;
  endingBefore: string | null;
  createdGte: number | null;
  createdLte: number | null;
  /** The value the list's filter parameter (`status` for charges, `type` for events) must have. */
  status: string | null;
}

export interface ListPage<T> {
  data: T[];
  hasMore: boolean;
}

export const DEFAULT_LIST_LIMIT = 10;

/** The first page of everything, in the default size: no cursor, no filter. */
export function emptyListQuery(): ListQuery {
  return { limit: DEFAULT_LIST_LIMIT, startingAfter: null, endingBefore: null, createdGte: null, createdLte: null, status: null };
}
export const MAX_LIST_LIMIT = 100;

interface ListRules {
  /** The id pattern of the listed objects, for the cursors. */
  idPattern: RegExp;
  /** The filter parameter and the values it may name (`status` of charges, `type` of events); none: no filter. */
  filter?: { parameter: 'status' | 'type'; values: readonly string[] };
  /** Whether `created[gte]` and `created[lte]` are taken. */
  created?: boolean;
  /** Other parameters the endpoint takes (e.g. `charge`), checked by the caller. */
  extra?: readonly string[];
}

/**
 * Parses a list's query string: `limit` (1–100, default 10), `starting_after` or `ending_before`
 * (not both), and where allowed a filter (`status`, `type`) and `created[gte]` / `created[lte]`. Unknown parameters
 * are refused by name, like unknown body fields. Throws {@link ValidationError}.
 */
export function parseListQuery(parameters: Record<string, string | undefined>, rules: ListRules): ListQuery {
  const problems: FieldProblem[] = [];
  const allowed = new Set(['limit', 'starting_after', 'ending_before', ...(rules.filter ? [rules.filter.parameter] : []), ...(rules.created ? ['created[gte]', 'created[lte]'] : []), ...(rules.extra ?? [])]);
  for (const name of Object.keys(parameters)) if (!allowed.has(name)) problems.push({ field: name, message: 'is not a known parameter' });

  const integer = (name: string, min: number, max: number): number | null => {
    const text = parameters[name];
    if (text === undefined) return null;
    if (!/^\d{1,12}$/.test(text) || Number(text) < min || Number(text) > max) {
      problems.push({ field: name, message: `must be an integer from ${min} to ${max}` });
      return null;
    }
    return Number(text);
  };
  const cursor = (name: string): string | null => {
    const text = parameters[name];
    if (text === undefined) return null;
    if (!rules.idPattern.test(text)) {
      problems.push({ field: name, message: 'must be an id from this list' });
      return null;
    }
    return text;
  };

  const limit = integer('limit', 1, MAX_LIST_LIMIT) ?? DEFAULT_LIST_LIMIT;
  const startingAfter = cursor('starting_after');
  const endingBefore = cursor('ending_before');
  if (startingAfter !== null && endingBefore !== null) problems.push({ field: 'ending_before', message: 'cannot be combined with starting_after' });
  const createdGte = rules.created ? integer('created[gte]', 0, 99_999_999_999) : null;
  const createdLte = rules.created ? integer('created[lte]', 0, 99_999_999_999) : null;
  const status = rules.filter ? (parameters[rules.filter.parameter] ?? null) : null;
  if (status !== null && rules.filter && !rules.filter.values.includes(status)) {
    problems.push({ field: rules.filter.parameter, message: `must be one of ${rules.filter.values.join(', ')}` });
  }
  if (problems.length > 0) throw new ValidationError('The list parameters are not valid.', problems);
  return { limit, startingAfter, endingBefore, createdGte, createdLte, status };
}
