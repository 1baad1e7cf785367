import { describe, expect, it } from 'vitest';
import { parseWorkMessage, workMessageBody } from '#domain/work-message.ts';

describe('work messages', () => {
  it('round-trip a charge id', () => {
    expect(parseWorkMessage(workMessageBody('ch_0123456789ABCDEFGHIJkl'))).toBe('ch_0123456789ABCDEFGHIJkl');
  });

  it.each(['not json', 'null', '[]', '{}', '{"charge_id":42}', '{"charge_id":"ch_short"}', '"ch_0123456789ABCDEFGHIJkl"'])(
    'treat %s as poison',
    (body) => {
      expect(parseWorkMessage(body)).toBeNull();
    },
  );
});
