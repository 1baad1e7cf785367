/**
 * Crashes, lost messages and the reconciler, on the embedded stack. Every reconciliation
 * pass of the suite runs in this file, one test at a time, so each test can attribute what
 * a pass did. Crashes are injected from outside: the fault proxy holds a call forever and
 * the runner times the invocation out as Lambda would.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, expect, inject, it } from 'vitest';
import { chargeIdFor } from '#domain/charge.ts';
import { stageConfig } from '#infra/stage-config.ts';
import type { ReconcileReport } from '#domain/reconcile.ts';
import { workMessageBody } from '#domain/work-message.ts';
import { apiClient, ledgerFor, targetSqsClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { firedCounts, injectProxyFaults, reconcileNow } from '../support/stack-control.ts';
import { describeEmbedded } from '../support/target.ts';

const acme = apiClient();
const ACME = 'mer_acme';
const visa = { amount: 3100, currency: 'usd', payment_method: 'pm_card_visa' };
const sqs = targetSqsClient();
afterAll(() => sqs.destroy());

/** Runs the CLI against the test stack; rejects with its stderr on a non-zero exit. */
const cli = (...args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'scripts/cli.ts', '--outputs', inject('outputsFile'), ...args],
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
    ),
  );

/** A fresh key and the charge id it will create for acme. */
function newKey() {
  const key = randomUUID();
  return { key, chargeId: chargeIdFor(ACME, key, 0) };
}

async function awaitFired(ruleId: string) {
  await eventually(firedCounts, (counts) => (counts.get(ruleId) ?? 0) > 0, { timeoutMs: 10_000, what: `fault ${ruleId} to fire` });
}

/** Runs reconciliation passes until one reports `action` for the charge; returns all reports. */
async function reconcileUntil(chargeId: string, action: string, timeoutMs = 20_000): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  await eventually(
    async () => {
      const report = await reconcileNow();
      reports.push(report);
      return report;
    },
    (report) => report.actions.some((entry) => entry.chargeId === chargeId && entry.action === action),
    { timeoutMs, intervalMs: 500, what: `a pass to report ${action} for ${chargeId}` },
  );
  return reports;
}

describeEmbedded('worker crashes, finished by the reconciler', () => {
  it('a crash after the processor call (before the outcome write) is finished with exactly one capture', async () => {
    const { key, chargeId } = newKey();
    const [rule = ''] = await injectProxyFaults({
      target: 'dynamodb',
      operation: 'UpdateItem',
      bodyIncludes: [`CHARGE#${chargeId}`, ':final'],
      action: 'hold-request',
    });
    expect((await acme.createCharge(visa, { idempotencyKey: key })).status).toBe(202);
    await awaitFired(rule);
    expect(await ledgerFor(chargeId)).toHaveLength(1); // captured, but the worker never recorded it
    expect((await acme.getCharge(chargeId)).json['status']).toBe('processing');

    await reconcileUntil(chargeId, 'finalized');
    expect((await acme.getCharge(chargeId)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('a crash right after the claim (the payment created and recorded, never confirmed) is enqueued again and captured once', async () => {
    const { key, chargeId } = newKey();
    const [rule = ''] = await injectProxyFaults({
      target: 'dynamodb',
      operation: 'UpdateItem',
      bodyIncludes: [`CHARGE#${chargeId}`, ':claimable'],
      action: 'hold-response',
    });
    await acme.createCharge(visa, { idempotencyKey: key });
    await awaitFired(rule);
    expect(await ledgerFor(chargeId)).toHaveLength(0);

    await reconcileUntil(chargeId, 're_enqueued');
    expect((await acme.awaitFinal(chargeId)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('a crash after the outcome write leaves the charge final; nothing is captured again', async () => {
    const { key, chargeId } = newKey();
    const [rule = ''] = await injectProxyFaults({
      target: 'dynamodb',
      operation: 'UpdateItem',
      bodyIncludes: [`CHARGE#${chargeId}`, ':final'],
      action: 'hold-response',
    });
    await acme.createCharge(visa, { idempotencyKey: key });
    await awaitFired(rule);
    expect((await acme.awaitFinal(chargeId)).json['status']).toBe('succeeded');
    const report = await reconcileNow();
    expect(report.actions.filter((action) => action.chargeId === chargeId)).toEqual([]);
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('a processor timeout after capture resolves to succeeded with one capture', async () => {
    const { key, chargeId } = newKey();
    await acme.createCharge({ ...visa, payment_method: 'pm_sandbox_timeoutAfterCaptureOnce' }, { idempotencyKey: key });
    expect((await acme.awaitFinal(chargeId, 15_000)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('a reconciler that crashes before its outcome write leaves nothing half done: still one capture', async () => {
    const { key, chargeId } = newKey();
    // The first hold crashes the worker, the second the reconciler's pass that takes over.
    const [workerCrash = '', reconcilerCrash = ''] = await injectProxyFaults(
      { target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [`CHARGE#${chargeId}`, ':final'], action: 'hold-request' },
      { target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [`CHARGE#${chargeId}`, ':final', 'reconciler/'], action: 'hold-request' },
    );
    await acme.createCharge(visa, { idempotencyKey: key });
    await awaitFired(workerCrash);
    // Passes run until one takes the charge over and is timed out by the held write.
    await eventually(
      () => reconcileNow().then(() => 'completed', () => 'crashed'),
      (outcome) => outcome === 'crashed',
      { timeoutMs: 25_000, intervalMs: 500, what: 'a reconciliation pass to crash' },
    );
    expect((await firedCounts()).get(reconcilerCrash)).toBe(1);
    // Whoever comes next — a later pass once the crashed pass's lease expired, or the
    // worker's redelivery — asks the processor with the same key and records the one capture.
    await eventually(
      async () => {
        await reconcileNow();
        return (await acme.getCharge(chargeId)).json['status'];
      },
      (status) => status === 'succeeded',
      { timeoutMs: 30_000, intervalMs: 500, what: 'the charge to succeed' },
    );
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });
});

describeEmbedded('lost messages', () => {
  it('a charge whose enqueue was lost is picked up by the reconciler', async () => {
    const { key, chargeId } = newKey();
    const [rule = ''] = await injectProxyFaults({
      target: 'sqs',
      operation: 'SendMessage',
      bodyIncludes: [chargeId],
      action: 'error',
      times: 3, // every attempt the SDK makes
    });
    expect((await acme.createCharge(visa, { idempotencyKey: key })).status).toBe(202);
    expect((await firedCounts()).get(rule)).toBe(3);
    expect((await acme.getCharge(chargeId)).json['status']).toBe('pending');

    await reconcileUntil(chargeId, 're_enqueued');
    expect((await acme.awaitFinal(chargeId)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('two reconciliation passes at once do the work once', async () => {
    const { key, chargeId } = newKey();
    await injectProxyFaults({ target: 'sqs', operation: 'SendMessage', bodyIncludes: [chargeId], action: 'error', times: 3 });
    await acme.createCharge(visa, { idempotencyKey: key });
    const created = Date.now();
    const stuckAfterMs = stageConfig('local').reconciler.stuckAfterSeconds * 1000;
    await eventually(async () => Date.now() - created, (elapsed) => elapsed > stuckAfterMs + 500, { timeoutMs: stuckAfterMs + 5_000, intervalMs: 250 });

    const [first, second] = await Promise.all([reconcileNow(), reconcileNow()]);
    const mine = [...first.actions, ...second.actions].filter((action) => action.chargeId === chargeId);
    expect(mine.filter((action) => action.action === 're_enqueued')).toHaveLength(1);
    expect((await acme.awaitFinal(chargeId)).json['status']).toBe('succeeded');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });
});

describeEmbedded('the dead-letter queue', () => {
  const dlqUrl = inject('outputs')['DeadLetterQueueUrl'];

  it('a charge dead-lettered while its payment can never be confirmed stays open, is flagged for review, and only a person settles it', async () => {
    const { key, chargeId } = newKey();
    await acme.createCharge({ ...visa, payment_method: 'pm_sandbox_error500BeforeCaptureAlways' }, { idempotencyKey: key });
    await reconcileUntil(chargeId, 'flagged_for_review', 60_000);
    const charge = (await acme.getCharge(chargeId)).json;
    expect(['pending', 'processing']).toContain(charge['status']); // never failed while money may have moved
    expect(await cli('review', 'list')).toMatch(new RegExp(`^${chargeId}\\tcharge\\t(pending|processing)\\t3100 usd\\tpi_\\w+\\t.+\\topen for more than ${stageConfig('local').reconciler.reviewAfterSeconds} s`, 'm'));

    // A worker may hold the charge for a moment (its message keeps coming back): settle waits that out.
    const settle = (as: string) =>
      eventually(
        () => cli('review', 'settle', chargeId, '--as', as, '--operator', 'test').catch((error: Error) => error),
        (result) => !(result instanceof Error && /being processed right now/.test(result.message)),
        { timeoutMs: 15_000, intervalMs: 500, what: 'the charge to be free to settle' },
      );
    expect(String(await settle('succeeded'))).toMatch(/Payment pi_\w+ was never confirmed \(awaiting_confirmation\): no money moved; settle it --as failed/);
    expect(await settle('failed')).toBe(`Settled ${chargeId} as failed (payment_canceled).\n`);
    expect((await acme.getCharge(chargeId)).json).toMatchObject({
      status: 'failed',
      failure_code: 'payment_canceled',
      failure_message: expect.stringMatching(/^Settled as failed by test: payment pi_\w+ was never confirmed; it was cancelled and no money moved\.$/),
    });
    expect(await cli('review', 'list')).not.toContain(chargeId);
    expect(await ledgerFor(chargeId)).toHaveLength(0);
  });

  it('a dead letter for an already-succeeded charge is deleted with no second capture', async () => {
    const created = await acme.createCharge(visa);
    const chargeId = String(created.json['id']);
    await acme.awaitFinal(chargeId);
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: workMessageBody(chargeId) }));

    await reconcileUntil(chargeId, 'already_final');
    expect(await ledgerFor(chargeId)).toHaveLength(1);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(Messages.filter((message) => message.Body === workMessageBody(chargeId))).toEqual([]);
  });

  it('a dead letter that is not a work message is reported unresolvable and kept for a person', async () => {
    const { MessageId = '' } = await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: `garbage-${randomUUID()}` }));
    const found = await eventually(
      reconcileNow,
      (report) => report.actions.some((action) => action.action === 'unresolvable' && action.reason?.includes(MessageId)),
      { timeoutMs: 20_000, intervalMs: 500, what: 'the garbage message to be reported' },
    );
    expect(found.deadLetters.unresolvable).toBeGreaterThanOrEqual(1);
  });
});

describeEmbedded('operating from the CLI', () => {

  it('lists and redrives the dead-letter queue by receive + send', async () => {
    const created = await acme.createCharge(visa);
    const chargeId = String(created.json['id']);
    await acme.awaitFinal(chargeId);
    const dlqUrl = inject('outputs')['DeadLetterQueueUrl'];
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: workMessageBody(chargeId) }));

    expect(await cli('dlq', 'list', '--max', '50')).toContain(chargeId);
    expect(await cli('dlq', 'redrive')).toMatch(/^Redrove [1-9]\d* messages? to the work queue\.\n$/);
    // The worker receives the redriven message, finds the charge final and acks it.
    await eventually(() => cli('dlq', 'list', '--max', '50'), (listing) => !listing.includes(chargeId), {
      timeoutMs: 15_000,
      intervalMs: 1_000,
      what: 'the redriven message to leave the DLQ',
    });
    expect(await ledgerFor(chargeId)).toHaveLength(1);
  });

  it('runs a reconciliation pass on demand', async () => {
    const output = await cli('reconcile');
    expect(output).toMatch(
      /^stuck charges found \d+, fixed \d+, re-enqueued \d+, flagged for review \d+ \(in review \d+\), errors \d+; dead letters received \d+, resolved \d+, unresolvable \d+\n$/,
    );
  });
});
