/**
 * The processor-truth findings, end to end on the embedded stack and the processor sandbox,
 * which behaves like Stripe on its bad days: search lags, payments stay `processing`, cards
 * want 3-D Secure, idempotency keys are forgotten. Each named finding failed before the
 * worker recorded its PaymentIntent and asked by id.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, expect, inject } from 'vitest';
import { chargeIdFor } from '#domain/charge.ts';
import { workMessageBody } from '#domain/work-message.ts';
import { stageConfig } from '#infra/stage-config.ts';
import { randomUUID } from 'node:crypto';
import { apiClient, ledgerFor, targetSqsClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { firedCounts, injectProxyFaults, reconcileNow } from '../support/stack-control.ts';
import { describeEmbedded, itWithSandboxTokens } from '../support/target.ts';

const acme = apiClient();
const sqs = targetSqsClient();
afterAll(() => sqs.destroy());

/** Changes the sandbox's Stripe-like settings for one test; `afterEach` puts the defaults back. */
async function configureSandbox(settings: Record<string, number>): Promise<Record<string, number>> {
  const response = await fetch(`${inject('sandboxUrl')}/_sandbox/config`, { method: 'POST', body: JSON.stringify(settings) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, number>;
}
let defaults: Record<string, number> | undefined;
afterEach(async () => {
  if (defaults) await configureSandbox(defaults);
  defaults = undefined;
});

const charge = (paymentMethod: string) => ({ amount: 4200, currency: 'usd', payment_method: paymentMethod });

describeEmbedded('processor truth: no charge is final without the processor’s word', () => {
  itWithSandboxTokens('finding 1: a dead letter for a captured charge is settled succeeded while the processor’s search still lags', async () => {
    defaults = await configureSandbox({});
    await configureSandbox({ searchLagMs: 120_000 }); // a search now would find nothing
    const key = randomUUID();
    const chargeId = chargeIdFor('mer_acme', key, 0);
    // The worker confirms (money moves), then dies before recording the outcome.
    const [crash = ''] = await injectProxyFaults({
      target: 'dynamodb',
      operation: 'UpdateItem',
      bodyIncludes: [`CHARGE#${chargeId}`, ':final'],
      action: 'hold-request',
    });
    expect((await acme.createCharge(charge('pm_card_visa'), { idempotencyKey: key })).status).toBe(202);
    await eventually(firedCounts, (counts) => (counts.get(crash) ?? 0) > 0, { timeoutMs: 10_000, what: 'the worker to crash' });
    expect(await ledgerFor(chargeId)).toHaveLength(1);
    // Once the dead worker's lease is over, and while its own message waits out its visibility
    // timeout, a dead copy of that message reaches the reconciler.
    const leaseEnds = Date.now() + stageConfig('local').worker.timeoutSeconds * 1000 + 500;
    await eventually(async () => Date.now(), (now) => now > leaseEnds, { timeoutMs: leaseEnds - Date.now() + 5_000, intervalMs: 100, what: 'the lease to end' });
    await sqs.send(new SendMessageCommand({ QueueUrl: inject('outputs')['DeadLetterQueueUrl'], MessageBody: workMessageBody(chargeId) }));

    await eventually(
      async () => {
        await reconcileNow();
        return (await acme.getCharge(chargeId)).json['status'];
      },
      (status) => status === 'succeeded' || status === 'failed',
      { timeoutMs: 20_000, intervalMs: 500, what: 'the reconciler to settle the charge' },
    );
    expect((await acme.getCharge(chargeId)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  itWithSandboxTokens('finding 2: a payment that stays processing for a while ends succeeded, captured once, never in the DLQ as a rejection', async () => {
    const created = await acme.createCharge(charge('pm_sandbox_processingThenSucceeds'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId, 20_000)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  itWithSandboxTokens('finding 2: a payment that stays processing and then fails ends failed with the decline, nothing captured', async () => {
    const created = await acme.createCharge(charge('pm_sandbox_processingThenFails'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId, 20_000)).json).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
    expect(await ledgerFor(chargeId)).toHaveLength(0);
  });

  itWithSandboxTokens('finding 5: with the processor forgetting keys at once, a capture whose answer was lost is still captured once', async () => {
    defaults = await configureSandbox({});
    await configureSandbox({ idempotencyKeyTtlMs: 1 });
    const created = await acme.createCharge(charge('pm_sandbox_timeoutAfterCaptureOnce'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId, 20_000)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  itWithSandboxTokens(
    'finding 3: a payment the processor keeps processing is flagged for a person and listed, and the charge stays open',
    async () => {
      defaults = await configureSandbox({});
      await configureSandbox({ processingMs: 600_000 });
      const created = await acme.createCharge(charge('pm_sandbox_processingThenSucceeds'));
      const chargeId = String(created.json['id']);
      await eventually(
        reconcileNow,
        (report) => report.actions.some((entry) => entry.chargeId === chargeId && entry.action === 'flagged_for_review'),
        { timeoutMs: 45_000, intervalMs: 1_000, what: 'a pass to flag the charge for review' },
      );
      expect(['pending', 'processing']).toContain((await acme.getCharge(chargeId)).json['status']);
      const report = await reconcileNow();
      expect(report.inReview).toBeGreaterThanOrEqual(1);
      expect(await ledgerFor(chargeId)).toHaveLength(0);
    },
    60_000,
  );

  itWithSandboxTokens('finding 4: a lookup the processor rejects does not stop the pass: the next stuck charge is still settled', async () => {
    // Two charges whose workers captured and died before recording the outcome.
    const chargeIds: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const key = randomUUID();
      const chargeId = chargeIdFor('mer_acme', key, 0);
      const [crash = ''] = await injectProxyFaults({ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [`CHARGE#${chargeId}`, ':final'], action: 'hold-request' });
      await acme.createCharge(charge('pm_card_visa'), { idempotencyKey: key });
      await eventually(firedCounts, (counts) => (counts.get(crash) ?? 0) > 0, { timeoutMs: 10_000, what: 'the worker to crash' });
      chargeIds.push(chargeId);
    }
    // Both are stuck once their leases are over and they are older than stuckAfterSeconds,
    // while their own messages still wait out the visibility timeout.
    const stuckAt = Date.now() + stageConfig('local').reconciler.stuckAfterSeconds * 1000 + 500;
    await eventually(async () => Date.now(), (now) => now > stuckAt, { timeoutMs: stuckAt - Date.now() + 5_000, intervalMs: 100, what: 'the charges to be stuck' });
    // The next processor request is refused (403, a revoked key): a configuration error, not a decline.
    await injectProxyFaults({ target: 'processor', action: 'reject' });
    const report = await reconcileNow(); // resolves: the pass itself does not fail
    const settled = await Promise.all(chargeIds.map(async (chargeId) => (await acme.getCharge(chargeId)).json['status']));
    expect(settled.filter((status) => status === 'succeeded').length, JSON.stringify(report.actions)).toBeGreaterThanOrEqual(1);
    expect(settled).not.toContain('failed');
    for (const chargeId of chargeIds) expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  itWithSandboxTokens('3-D Secure (Stripe’s pm_card_authenticationRequired) fails with authentication_required, nothing captured', async () => {
    const created = await acme.createCharge(charge('pm_card_authenticationRequired'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId)).json).toMatchObject({ status: 'failed', failure_code: 'authentication_required' });
    expect(await ledgerFor(chargeId)).toHaveLength(0);
  });

  itWithSandboxTokens('a decline keeps the issuer’s decline_code', async () => {
    const created = await acme.createCharge(charge('pm_card_chargeDeclinedInsufficientFunds'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId)).json).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
  });

  itWithSandboxTokens('rate limits and lock timeouts are retried, not declines: one capture each', async () => {
    for (const token of ['pm_sandbox_rateLimitedOnce', 'pm_sandbox_lockTimeoutOnce']) {
      const created = await acme.createCharge(charge(token));
      const chargeId = String(created.json['id']);
      expect((await acme.awaitFinal(chargeId, 15_000)).json['status']).toBe('succeeded');
      expect(await ledgerFor(chargeId)).toHaveLength(1);
    }
  });

  itWithSandboxTokens('a lookup the processor refuses (403) is not a decline: the charge stays open, then succeeds once', async () => {
    const created = await acme.createCharge(charge('pm_sandbox_lookupRejectedOnce'));
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId, 20_000)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });
});
