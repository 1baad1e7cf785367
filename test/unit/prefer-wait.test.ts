import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { WaitSlots } from '#domain/ports.ts';
import { preferredWaitSeconds, readUntilFinal, waitWithinBudget } from '#handlers/prefer-wait.ts';

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

describe('the budget of waiting reads', () => {
  const context = { getRemainingTimeInMillis: () => 30_000 };
  const unexpected = (error: unknown) => {
    throw error;
  };
  const budget = (free: number) => {
    const state = { free, taken: 0, released: 0 };
    const slots: WaitSlots = {
      take: async () => {
        if (state.free === 0) return null;
        state.free -= 1;
        state.taken += 1;
        return { release: async () => void ((state.released += 1), (state.free += 1)) };
      },
    };
    return { slots, state };
  };

  it('waits with a slot, and frees it when it answers', async () => {
    const { slots, state } = budget(1);
    let reads = 1;
    const answer = await waitWithinBudget(1, async () => ++reads, (n) => n >= 3, 5, context, slots, unexpected);
    expect(answer).toEqual({ value: 3, applied: true });
    expect(state).toEqual({ free: 1, taken: 1, released: 1 });
  });

  it('past the budget answers the current state at once, and says the wait was not applied', async () => {
    const { slots } = budget(0);
    let reads = 0;
    const answer = await waitWithinBudget(0, async () => ++reads, (n) => n >= 3, 5, context, slots, unexpected);
    expect(answer).toEqual({ value: 0, applied: false });
    expect(reads).toBe(0);
  });

  it('takes no slot for an object already final', async () => {
    const { slots, state } = budget(0);
    expect(await waitWithinBudget(3, async () => 4, (n) => n >= 3, 5, context, slots, unexpected)).toEqual({ value: 3, applied: true });
    expect(state.taken).toBe(0);
  });

  it('a slot that cannot be freed does not cost the answer (its lease lapses)', async () => {
    const slots: WaitSlots = { take: async () => ({ release: () => Promise.reject(new Error('DynamoDB is down')) }) };
    expect(await waitWithinBudget(2, async () => 3, (n) => n >= 3, 5, context, slots, unexpected)).toEqual({ value: 3, applied: true });
  });

  it('a budget that cannot be read answers at once, never an error (the read is what matters)', async () => {
    const told: unknown[] = [];
    const slots: WaitSlots = { take: () => Promise.reject(new Error('ProvisionedThroughputExceededException')) };
    expect(await waitWithinBudget(1, async () => 3, (n) => n >= 3, 5, context, slots, (error) => told.push(error))).toEqual({ value: 1, applied: false });
    expect(told).toHaveLength(1);
  });
});
