/**
 * A burst on a freshly started stack: the local runner must not be harsher than Lambda, where
 * each invocation has its own CPU and a cold start does not count against the timeout. 200
 * concurrent same-key POSTs, with nothing warm, must all be answered 202, for one charge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MERCHANTS, startLocalStack, type LocalStack } from '../../scripts/local/local-stack.ts';

describe('a burst on a cold local stack', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, runSchedules: false });
  }, 180_000);
  afterAll(() => stack?.stop());

  it('200 concurrent same-key POSTs are all 202, one charge, one capture', async () => {
    const [acme] = DEMO_MERCHANTS;
    const body = JSON.stringify({ amount: 1999, currency: 'usd', payment_method: 'pm_card_visa' });
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${stack.apiUrl}/v1/charges`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${acme!.secretKey}`, 'Idempotency-Key': 'burst-1', 'Content-Type': 'application/json' },
          body,
        }).then(async (response) => ({ status: response.status, id: ((await response.json()) as { id?: string }).id })),
      ),
    );
    const statuses = new Map<number, number>();
    for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 202: 200 });
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    const chargeId = answers[0]!.id!;
    for (let waited = 0; waited < 20_000; waited += 250) {
      const charge = (await (await fetch(`${stack.apiUrl}/v1/charges/${chargeId}`, { headers: { Authorization: `Bearer ${acme!.secretKey}` } })).json()) as { status: string };
      if (charge.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { data } = (await (await fetch(`${stack.sandbox.url}/_sandbox/ledger`)).json()) as { data: Array<{ kind: string; charge_id?: string }> };
    expect(data.filter((entry) => entry.kind === 'capture' && entry.charge_id === chargeId)).toHaveLength(1);
  }, 120_000);
});
