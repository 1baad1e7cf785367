import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.ts';
import { parseRefundRequest } from '../../../functions/domain/refund-request.ts';

const charge = 'ch_0123456789ABCDEFGHIJkl';
const problemsOf = (body: Record<string, unknown>) => {
  try {
    parseRefundRequest(body as never);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  return [];
};

describe('refund request validation', () => {
  it.each([0, -3, 100_000_000, 1e20])('a whole amount off either end (%j) gets both bounds once', (amount) => {
    expect(problemsOf({ charge, amount })).toEqual([{ field: 'amount', message: 'must be between 1 and 99999999, and at most what is left of the charge' }]);
  });

  it('a fractional amount is not a whole number of minor units; a good amount beside a bad field is not named', () => {
    expect(problemsOf({ charge, amount: 1.5 })).toEqual([{ field: 'amount', message: 'must be an integer number of minor units' }]);
    expect(problemsOf({ charge: 'nope', amount: 500 }).map((problem) => problem.field)).toEqual(['charge']);
    expect(parseRefundRequest({ charge, amount: 500 })).toMatchObject({ chargeId: charge, amount: 500 });
  });
});
