import { describe, expect, it } from 'vitest';
import { parseWorkMessage, refundWorkMessageBody, workMessageBody } from '#domain/work-message.ts';

describe('work messages', () => {
  it('round-trip a charge id and a refund id', () => {
    expect(parseWorkMessage(workMessageBody('ch_0123456789ABCDEFGHIJkl'))).toEqual({ kind: 'charge', id: 'ch_0123456789ABCDEFGHIJkl' });
    expect(parseWorkMessage(refundWorkMessageBody('re_0123456789ABCDEFGHIJkl'))).toEqual({ kind: 'refund', id: 're_0123456789ABCDEFGHIJkl' });
  });

  it.each([
    'not json',
    'null',
    '[]',
    '{}',
    '{"charge_id":42}',
    '{"charge_id":"ch_short"}',
    '"ch_0123456789ABCDEFGHIJkl"',
    '{"refund_id":"ch_0123456789ABCDEFGHIJkl"}',
    '{"charge_id":"ch_0123456789ABCDEFGHIJkl","refund_id":"re_0123456789ABCDEFGHIJkl"}',
  ])('treat %s as poison', (body) => {
    expect(parseWorkMessage(body)).toBeNull();
  });
});
