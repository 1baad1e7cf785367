/**
 * What Stripe does on its own, end to end on the local stack: the processor sandbox opens
 * disputes on Stripe's dispute cards and fails refunds on `pm_card_refundFail` a few seconds
 * later, sends its events signed to `POST /webhooks/stripe`, and oncepay puts its books right
 * and tells the merchant. A lost webhook is caught up by the reconciler's pass over the Events
 * API; a forged or stale delivery is refused and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stripeSignatureHeader } from '../../scripts/processor-sandbox/sandbox.ts';
import { startWebhookReceiver, type ReceivedEvent } from '../../scripts/webhook-receiver.ts';
import { apiClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { reconcileNow } from '../support/stack-control.ts';

const embedded = inject('capabilities').embedded;
const acme = apiClient();
const received: ReceivedEvent[] = [];
let receiver: { stop(): Promise<void> } | undefined;
let endpointId = '';

const sandbox = (path: string, body: unknown) => fetch(`${inject('sandboxUrl')}/_sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });

beforeAll(async () => {
  // Stripe's "later" is days; the sandbox's is configurable: a second here.
  if (embedded) await sandbox('config', { disputeAfterMs: 1_000, refundFailAfterMs: 1_000 });
  let secret = '';
  const live = await startWebhookReceiver({ secret: () => secret, onEvent: (event) => void received.push(event) });
  receiver = live;
  const registered = await acme.createWebhookEndpoint({ url: live.url, enabled_events: ['refund.failed', 'charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed'] });
  secret = String(registered.json['secret']);
  endpointId = String(registered.json['id']);
});
afterAll(async () => {
  if (endpointId) await acme.deleteWebhookEndpoint(endpointId);
  await receiver?.stop();
});

const eventsOf = (objectId: string) => received.filter((event) => event.data.object['id'] === objectId);

describe('disputes', () => {
  it('pm_card_createDispute: the charge succeeds, a chargeback opens; the charge says so, refunds are refused, the merchant hears created and closed', async () => {
    const created = await acme.createCharge({ amount: 2500, currency: 'usd', payment_method: 'pm_card_createDispute' });
    const chargeId = String(created.json['id']);
    expect((await acme.awaitFinal(chargeId)).json['status']).toBe('succeeded');
    const disputed = await eventually(() => acme.getCharge(chargeId), (answer) => answer.json['disputed'] === true, { timeoutMs: 20_000, what: 'the dispute on the charge' });
    const disputeId = String(disputed.json['dispute']);
    expect(disputeId).toMatch(/^du_[0-9A-Za-z]{22}$/);
    const dispute = await acme.getDispute(disputeId);
    expect(dispute.json).toEqual({
      id: disputeId,
      object: 'dispute',
      amount: 2500,
      currency: 'usd',
      charge: chargeId,
      reason: 'fraudulent',
      status: 'needs_response',
      is_charge_refundable: false,
      evidence_details: { due_by: expect.any(Number) },
      created: expect.any(Number),
    });
    expect((await acme.list('disputes', { charge: chargeId })).json['data']).toEqual([dispute.json]);
    expect((await apiClient(inject('demoKeys').globex).getDispute(disputeId)).status).toBe(404);

    const refund = await acme.createRefund({ charge: chargeId, amount: 100 });
    expect(refund.status).toBe(400);
    expect(refund.json).toMatchObject({ type: 'https://oncepay.dev/problems/charge-disputed', charge: chargeId, dispute: disputeId });

    await eventually(async () => eventsOf(disputeId).map((event) => event.type), (types) => types.includes('charge.dispute.created'), { timeoutMs: 15_000, what: 'charge.dispute.created at the receiver' });
    if (!embedded) return;
    // The merchant loses it (evidence, or none, as the issuer decides): closed, the money gone.
    const processorDispute = (await (await fetch(`${inject('sandboxUrl')}/v1/disputes?charge=${encodeURIComponent(String(await chargeOfIntent(chargeId)))}`, { headers: { Authorization: 'Bearer sk_test_oncepay_sandbox' } })).json()) as { data: Array<{ id: string }> };
    await sandbox(`disputes/${processorDispute.data[0]?.id}/close`, { status: 'lost' });
    await eventually(() => acme.getDispute(disputeId), (answer) => answer.json['status'] === 'lost', { timeoutMs: 15_000, what: 'the dispute closed as lost' });
    await eventually(async () => eventsOf(disputeId), (events) => events.some((event) => event.type === 'charge.dispute.closed' && event.data.object['status'] === 'lost'), { timeoutMs: 15_000, what: 'charge.dispute.closed' });
    expect(new Set(eventsOf(disputeId).filter((event) => event.type === 'charge.dispute.created').map((event) => event.id)).size).toBe(1);
  }, 60_000);
});

/** The processor's charge id (`ch_…` at Stripe) of a charge, from the sandbox's ledger. */
async function chargeOfIntent(chargeId: string): Promise<string | undefined> {
  const { data } = (await (await fetch(`${inject('sandboxUrl')}/_sandbox/ledger`)).json()) as { data: Array<{ kind: string; charge_id: string | null; payment_intent: string }> };
  const paymentIntent = data.find((entry) => entry.kind === 'capture' && entry.charge_id === chargeId)?.payment_intent;
  if (!paymentIntent) return undefined;
  const intent = (await (await fetch(`${inject('sandboxUrl')}/v1/payment_intents/${paymentIntent}`, { headers: { Authorization: 'Bearer sk_test_oncepay_sandbox' } })).json()) as { latest_charge: string };
  return intent.latest_charge;
}

describe('a refund that fails after it succeeded', () => {
  it('pm_card_refundFail: succeeded, then failed with the processor’s reason; the amount is back on the charge and the merchant hears refund.failed', async () => {
    const created = await acme.createCharge({ amount: 3000, currency: 'usd', payment_method: 'pm_card_refundFail' });
    const chargeId = String(created.json['id']);
    await acme.awaitFinal(chargeId);
    const refund = await acme.createRefund({ charge: chargeId, amount: 1200 });
    const refundId = String(refund.json['id']);
    expect((await acme.awaitRefundFinal(refundId)).json['status']).toBe('succeeded');
    const failed = await eventually(() => acme.getRefund(refundId), (answer) => answer.json['status'] === 'failed', { timeoutMs: 20_000, what: 'the refund to fail' });
    expect(failed.json['failure_reason']).toBe('expired_or_canceled_card');
    expect((await acme.getCharge(chargeId)).json).toMatchObject({ amount_refunded: 0, refunded: false });
    await eventually(async () => eventsOf(refundId), (events) => events.some((event) => event.type === 'refund.failed'), { timeoutMs: 15_000, what: 'refund.failed at the receiver' });
    // What came back can be refunded again.
    expect((await acme.createRefund({ charge: chargeId, amount: 3000 })).status).toBe(202);
  }, 60_000);

  it.runIf(embedded)('is caught up by the reconciler when every webhook about it is lost', async () => {
    const created = await acme.createCharge({ amount: 3000, currency: 'usd', payment_method: 'pm_card_refundFail' });
    const chargeId = String(created.json['id']);
    await acme.awaitFinal(chargeId);
    // Lose every refund webhook from now on: only the Events API tells of the failure.
    await sandbox('webhook_faults', { rules: ['refund.updated', 'charge.refund.updated', 'refund.failed', 'refund.created'].map((type) => ({ type, action: 'lose', times: 1000 })) });
    try {
      const refund = await acme.createRefund({ charge: chargeId, amount: 3000 });
      const refundId = String(refund.json['id']);
      await acme.awaitRefundFinal(refundId);
      // Past the sandbox's failure (a second), and past the catch-up's listing lag of a minute: the processor's list has it.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await acme.getRefund(refundId)).json['status']).toBe('succeeded');
      await reconcileNow();
      const failed = await eventually(() => acme.getRefund(refundId), (answer) => answer.json['status'] === 'failed', { timeoutMs: 20_000, what: 'the caught-up failure' });
      expect(failed.json['failure_reason']).toBe('expired_or_canceled_card');
    } finally {
      await fetch(`${inject('sandboxUrl')}/_sandbox/webhook_faults`, { method: 'DELETE' });
    }
  }, 60_000);
});

describe('POST /webhooks/stripe', () => {
  const post = (body: string, signature?: string) =>
    fetch(`${inject('apiUrl')}/webhooks/stripe`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature ? { 'Stripe-Signature': signature } : {}) }, body });
  const signingSecret = async () => {
    const secrets = new SecretsManagerClient({ region: inject('region'), endpoint: inject('endpoints').secretsManager, credentials: inject('credentials') });
    return String((await secrets.send(new GetSecretValueCommand({ SecretId: inject('outputs')['ProcessorWebhookSecretName'] }))).SecretString);
  };
  const recorded = async (eventId: string) => {
    const dynamodb = new DynamoDBClient({ region: inject('region'), endpoint: inject('endpoints').dynamodb, credentials: inject('credentials') });
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: inject('outputs')['WebhooksTableName'], Key: { pk: { S: `PROCESSOR_EVENT#${eventId}` } }, ConsistentRead: true }));
    return Item !== undefined;
  };
  const event = (id: string) => JSON.stringify({ id, object: 'event', type: 'refund.failed', created: Math.floor(Date.now() / 1000), data: { object: { id: 're_forged', object: 'refund' } } });

  it.runIf(embedded)('refuses a missing, forged, re-serialised or too-old signature with 400 problem+json, recording nothing; a verified event is 200', async () => {
    const secret = await signingSecret();
    const now = Math.floor(Date.now() / 1000);
    const id = () => `evt_${randomUUID().replace(/-/g, '')}`;
    const cases = [
      { name: 'missing', body: event(id()), header: undefined },
      { name: 'forged', body: event(id()), header: stripeSignatureHeader('{}', 'whsec_not_the_secret', now) },
      { name: 're-serialised', body: event(id()), header: undefined as string | undefined, reserialise: true },
      { name: 'too old', body: event(id()), header: undefined as string | undefined, ageSeconds: 600 },
    ];
    for (const test of cases) {
      const header =
        test.name === 're-serialised'
          ? stripeSignatureHeader(JSON.stringify(JSON.parse(test.body), null, 2), secret, now)
          : test.name === 'too old'
            ? stripeSignatureHeader(test.body, secret, now - 600)
            : test.header;
      const answer = await post(test.body, header);
      expect([test.name, answer.status, answer.headers.get('content-type')]).toEqual([test.name, 400, 'application/problem+json']);
      expect(await answer.json()).toMatchObject({ type: 'https://oncepay.dev/problems/signature-invalid', status: 400 });
      expect(await recorded((JSON.parse(test.body) as { id: string }).id)).toBe(false);
    }
    // A verified event naming nothing of oncepay's is received (and, looked into, changes nothing).
    const good = event(id());
    const accepted = await post(good, stripeSignatureHeader(good, secret, now));
    expect([accepted.status, await accepted.json()]).toEqual([200, { received: true }]);
    expect(await recorded((JSON.parse(good) as { id: string }).id)).toBe(true);
    const ignoredBody = JSON.stringify({ ...(JSON.parse(event(id())) as object), type: 'customer.created' });
    expect(await (await post(ignoredBody, stripeSignatureHeader(ignoredBody, secret, now))).json()).toEqual({ received: true, ignored: true });
  });
});
