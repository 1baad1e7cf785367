import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { preferredWaitSeconds, readUntilFinal } from '#handlers/prefer-wait.ts';

const withPrefer = (value?: string) => ({ headers: value === undefined ? {} : { prefer: value } }) as unknown as APIGatewayProxyEvent;

describe('Prefer: wait (RFC 7240)', () => {
  it.each([
    [undefined, null],
    ['wait=5', 5],
    ['WAIT = 7', 7],
    ['respond-async, wait=3', 3],
    ['wait="4"', 4],
    ['wait=21', 20],
    ['wait=soon', null],
    ['wait=-1', null],
    ['return=minimal', null],
  ])('%s → %s', (header, seconds) => {
    expect(preferredWaitSeconds(withPrefer(header))).toBe(seconds);
  });

  it('reads until final, and no longer than the wait or what the invocation has left', async () => {
    let reads = 0;
    const read = async () => ++reads;
    const finalOnThird = await readUntilFinal(await read(), read, (n) => n >= 3, 20, { getRemainingTimeInMillis: () => 30_000 }, async () => undefined);
    expect(finalOnThird).toBe(3);

    reads = 0;
    let clock = Date.now();
    const realNow = Date.now;
    Date.now = () => clock;
    try {
      const neverFinal = await readUntilFinal(await read(), read, () => false, 2, { getRemainingTimeInMillis: () => 30_000 }, async (ms) => void (clock += ms));
      expect(neverFinal).toBe(8); // 2 s of 250 ms polls
      reads = 0;
      await readUntilFinal(await read(), read, () => false, 20, { getRemainingTimeInMillis: () => 2_000 }, async (ms) => void (clock += ms));
      expect(reads).toBeLessThanOrEqual(4); // one second left, after the answer's margin
    } finally {
      Date.now = realNow;
    }
  });
});
