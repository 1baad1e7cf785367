import { describe, expect, it } from 'vitest';
import { containsCardNumber, passesLuhn } from '#domain/card-number.ts';
import { parseChargeRequest } from '#domain/charge-request.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseIdempotencyKey } from '#domain/idempotency-key.ts';
import { isSupportedCurrency } from '#domain/money.ts';

const valid = { amount: 1999, currency: 'usd', payment_method: 'pm_card_visa' };

function problemsOf(body: unknown) {
  try {
    parseChargeRequest(body as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems;
  }
  throw new Error('expected a ValidationError');
}

describe('charge request validation', () => {
  it('accepts a minimal request and makes optional fields explicit', () => {
    expect(parseChargeRequest(valid)).toEqual({
      amount: 1999,
      currency: 'usd',
      paymentMethod: 'pm_card_visa',
      description: null,
      metadata: {},
    });
  });

  it('rejects unknown fields by name (no mass assignment)', () => {
    const problems = problemsOf({ ...valid, status: 'succeeded', id: 'ch_x' });
    expect(problems.map((problem) => problem.field).sort()).toEqual(['id', 'status']);
    expect(problems[0]?.message).toBe('is not a known field');
  });

  // The real bounds, said once, whichever side the amount falls off (1e20 is too large, not "not an integer").
  it.each([
    [0, 'must be between 50 and 99999999 for usd'],
    [-5, 'must be between 50 and 99999999 for usd'],
    [12, 'must be between 50 and 99999999 for usd'],
    [100_000_000, 'must be between 50 and 99999999 for usd'],
    [1e20, 'must be between 50 and 99999999 for usd'],
    [10.5, 'must be an integer number of minor units'],
    ['100', 'must be an integer number of minor units'],
  ])('rejects amount %j', (amount, message) => {
    expect(problemsOf({ ...valid, amount })).toEqual([{ field: 'amount', message }]);
  });

  it.each([
    [49, 'usd', 'must be between 50 and 99999999 for usd'],
    [29, 'gbp', 'must be between 30 and 99999999 for gbp'],
    [17_499, 'huf', 'must be between 17500 and 99999999 for huf'],
  ])('rejects %i %s, below the processor’s per-currency minimum, naming amount', (amount, currency, message) => {
    expect(problemsOf({ ...valid, amount, currency })).toEqual([{ field: 'amount', message }]);
  });

  it('without a currency it knows, says the bounds it can', () => {
    expect(problemsOf({ ...valid, amount: 0, currency: 'xyz' })).toContainEqual({ field: 'amount', message: "must be between the card processor's minimum for the currency and 99999999" });
  });

  it.each([
    [50, 'usd'],
    [30, 'gbp'],
    [50, 'jpy'],
  ])('accepts %i %s, exactly the processor’s minimum', (amount, currency) => {
    expect(parseChargeRequest({ ...valid, amount, currency })).toMatchObject({ amount, currency });
  });

  it('requires every mandatory field', () => {
    expect(problemsOf({}).map((problem) => [problem.field, problem.message])).toEqual([
      ['amount', 'is required'],
      ['currency', 'is required'],
      ['payment_method', 'is required'],
    ]);
  });

  it.each(['USD', 'usdollar', 'xxx', 'abc'])('rejects currency %s', (currency) => {
    expect(problemsOf({ ...valid, currency })[0]?.field).toBe('currency');
  });

  it('accepts only processor tokens as payment methods', () => {
    expect(problemsOf({ ...valid, payment_method: '4242424242424242' })[0]?.field).toBe('payment_method');
    expect(problemsOf({ ...valid, payment_method: 'card_123' })[0]?.field).toBe('payment_method');
  });

  it('rejects a card number hidden in description or metadata', () => {
    expect(problemsOf({ ...valid, description: 'card 4242 4242 4242 4242' })[0]?.field).toBe('description');
    expect(problemsOf({ ...valid, metadata: { note: '5555-5555-5555-4444' } })[0]?.field).toBe('metadata.note');
  });

  it('enforces Stripe’s metadata limits', () => {
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(problemsOf({ ...valid, metadata: tooMany })[0]?.field).toBe('metadata');
    expect(problemsOf({ ...valid, metadata: { ['k'.repeat(41)]: 'v' } })[0]?.field).toMatch(/^metadata/);
    expect(problemsOf({ ...valid, metadata: { k: 'v'.repeat(501) } })[0]?.field).toBe('metadata.k');
    expect(problemsOf({ ...valid, metadata: { k: 1 } })[0]?.field).toBe('metadata.k');
  });

  it('rejects a body that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual([{ field: '', message: 'the body must be a JSON object' }]);
    expect(problemsOf(null)).toEqual([{ field: '', message: 'the body must be a JSON object' }]);
  });
});

describe('card number detection', () => {
  it('implements Luhn', () => {
    expect(passesLuhn('4242424242424242')).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
  });

  it('finds grouped card numbers but not order numbers or short digit runs', () => {
    expect(containsCardNumber('pay with 4000 0566 5566 5556 please')).toBe(true);
    expect(containsCardNumber('order 1234567890123')).toBe(false);
    expect(containsCardNumber('call 555-1234')).toBe(false);
  });
});

describe('Idempotency-Key header', () => {
  it.each([
    [undefined, 'is required on POST'],
    ['', 'must not be empty'],
    ['k'.repeat(256), 'must be at most 255 characters'],
    ['tab\there', 'must contain printable ASCII characters only'],
    ['ключ', 'must contain printable ASCII characters only'],
  ])('rejects %j', (header, message) => {
    expect(() => parseIdempotencyKey(header)).toThrow(ValidationError);
    try {
      parseIdempotencyKey(header);
    } catch (error) {
      expect((error as ValidationError).problems).toEqual([{ field: 'Idempotency-Key', message }]);
    }
  });

  it('accepts 1–255 printable characters unchanged', () => {
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey(' spaced key ')).toBe(' spaced key ');
  });
});

describe('currencies', () => {
  it('knows active ISO 4217 codes in lower case only', () => {
    expect(['usd', 'eur', 'jpy', 'gbp'].every(isSupportedCurrency)).toBe(true);
    expect(['USD', 'xts', 'xxx', 'zzz'].some(isSupportedCurrency)).toBe(false);
  });
});
