import { describe, expect, it } from 'vitest';
import { canonicalJson, differingFields, fingerprint } from '#domain/fingerprint.ts';

describe('canonical fingerprint', () => {
  it('ignores key order and whitespace at every depth', () => {
    const a = JSON.parse('{"amount":100,"currency":"usd","metadata":{"b":"2","a":"1"}}');
    const b = JSON.parse('{ "metadata": { "a": "1", "b": "2" },\n "currency": "usd", "amount": 100 }');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('changes with any value', () => {
    expect(fingerprint({ amount: 100 })).not.toBe(fingerprint({ amount: 101 }));
    expect(fingerprint({ amount: 100 })).not.toBe(fingerprint({ amount: '100' }));
  });

  it('names the differing fields, nested ones by path, never their values', () => {
    const first = { amount: 100, currency: 'usd', metadata: { order: '1', same: 'x' } };
    const second = { amount: 200, currency: 'usd', metadata: { order: '2', same: 'x' }, description: 'new' };
    expect(differingFields(first, second)).toEqual(['amount', 'description', 'metadata.order']);
    expect(differingFields(first, first)).toEqual([]);
  });
});
