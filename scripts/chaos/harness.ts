/**
 * The chaos harness: drives an embedded oncepay through its HTTP API with merchants that use
 * oncepay's own client (`oncepay/client`, its retries on) through a fault proxy that loses
 * answers, resets connections and answers 500; injects every fault of DESIGN.md §4 from a seed (through the fault
 * proxy, the runner, the sandbox's fault tokens and webhook fault rules, and forged or stale
 * deliveries to `POST /webhooks/stripe` — never from inside `functions/`), lets the reconciler
 * converge once the faults stop, and checks invariants I1–I12: the charges', the refunds'
 * (refunded ≤ captured at every sampled moment, each refund request moves money at most once,
 * captured − refunded − withdrawn by disputes per merchant equals the processor's ledger), the
 * merchant's events', and what Stripe did on its own (refunds failing late, disputes) reflected
 * and told, while forged or replayed Stripe events change nothing.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateApiKey, newStoredApiKey } from '#domain/api-key.ts';
import { chargeIdFor } from '#domain/charge.ts';
import { disputeWithdrawsFunds, type DisputeStatus } from '#domain/dispute.ts';
import { eventIdFor } from '#domain/event.ts';
import { refundIdFor } from '#domain/refund.ts';
import { refundWorkMessageBody, workMessageBody } from '#domain/work-message.ts';
import { stageConfig } from '#infra/stage-config.ts';
import type { FaultRule } from '../local/fault-proxy.ts';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../local/local-stack.ts';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { merchantShare, stripeSignatureHeader, type LedgerEntry } from '../processor-sandbox/sandbox.ts';
import { mulberry32, type Random } from './random.ts';
import { ChaosReceiver, type ReceiverFault } from './webhook-receivers.ts';
import { invokeReconciler } from '../cli/invoke-reconciler.ts';
import * as oncepayClient from '../../client/index.ts';

/** Every fault the harness can inject, by where it comes from. */
export const FAULT_KINDS = [
  // DynamoDB / SQS through the fault proxy
  'lost-create-response', // PutItem succeeded, response lost: the SDK retries and meets its own item
  'throttled-create', // PutItem throttled once, retried by the SDK
  'lost-enqueue-response', // SendMessage succeeded, response lost: a duplicate message
  'lost-enqueue', // SendMessage failed on every attempt: only the reconciler can save it
  'crash-after-claim', // the worker's claim took effect, then the invocation timed out
  'crash-before-outcome', // captured, then the invocation timed out before recording it
  'crash-after-outcome', // recorded, then the invocation timed out before acking
  'throttled-claim', // the claim throttled once
  // the runner's SQS deliveries
  'duplicate-delivery', // the same work message delivered twice
  'visibility-expiry', // a message delivered again while it is still being processed
  // the processor sandbox's fault tokens (Stripe's own test tokens where Stripe has one)
  'processor-timeout-after-capture',
  'processor-500-before-capture', // the confirm answers 500, which Stripe keeps for its key a day
  'processor-500-on-create', // the create answers 500, kept for its key: the next key creates
  'processor-processing', // the payment stays `processing`, then succeeds
  'processor-processing-then-fails', // … then fails
  'processor-authentication-required', // Stripe's pm_card_authenticationRequired: 3-D Secure wanted
  'processor-rate-limited', // 429 rate_limit once
  'processor-lock-timeout', // 429 lock_timeout once
  'lookup-rejected', // the first retrieve of the payment answers 403
  // the processor sandbox's settings, for the whole run
  'search-lag', // search lags a minute behind (Stripe: "less than a minute", an hour in incidents)
  'short-processor-key-window', // the processor forgets idempotency keys after 500 ms, not 24 h
  // the dead-letter queue
  'dead-letter-while-live', // a copy of the message is dead-lettered while the charge is still being processed
  // between the merchant's client and the API (the fault proxy's api target); the client retries on its own
  'lost-client-response', // the API's 202 is lost on its way back: the client retries the same key
  'client-connection-reset', // the client's first two connections are reset before they reach the API
  'api-error-before-arrival', // answered 500 twice before the request reaches the API
  'api-error-after-accept', // every attempt of the client's call reaches the API and is answered 500: the client gives up with the outcome unknown, and the merchant retries later with the key its error names
  'concurrent-client-retry', // the merchant sends the same request three times at once
  // the queue
  'poison', // an unparseable message on the work queue
  // refunds (a charge with refunds planned gets one of these on its refunds' path)
  'refund-timeout-after-success', // the processor refunds, its answer is lost (sandbox token)
  'refund-processor-500', // the first refund create answers 500 before anything runs (sandbox token)
  'refund-pending-then-succeeds', // the processor keeps the refund pending, then succeeds (sandbox token)
  'refund-pending-then-fails', // … then fails: the reservation must come back (sandbox token)
  'refund-lost-create-response', // the refund's transaction succeeded, its response was lost: the SDK retries
  'refund-crash-before-outcome', // refunded at the processor, then the worker died before recording it
  'refund-lost-client-response', // the refund's 202 is lost on its way back: the client retries the same key
  'refund-duplicate-delivery', // the refund's work message delivered twice more
  'refund-fails-late', // Stripe's pm_card_refundFail: the refunds succeed, then fail a moment later
  // disputes Stripe opens on the payment once it succeeded (sandbox tokens that also close them)
  'dispute-won', // a chargeback, reviewed, then won: the amount comes back
  'dispute-lost', // a chargeback, reviewed, then lost
  'dispute-inquiry', // an inquiry, reviewed, then closed: nothing withdrawn
  // Stripe's own webhooks for everything of a charge (sandbox fault rules), and attackers' deliveries
  'stripe-webhook-lost', // every Stripe event of the charge is lost: only the reconciler's catch-up hears them
  'stripe-webhook-duplicated', // every one is delivered twice
  'stripe-webhook-reordered', // each event type delayed differently, so they arrive in reverse
  'stripe-webhook-delayed', // every one arrives after a reconciler pass
  'stripe-webhook-forged', // a delivery naming the charge's objects, signed with another secret
  'stripe-webhook-replayed', // one of the charge's real events sent again, signed 10 minutes ago
  // webhooks (a charge's event meets one of these on its way to the merchant's receiver)
  'webhook-receiver-fails', // the receiver answers 500 to the first two attempts
  'webhook-receiver-timeout', // the receiver does not answer the first attempt within 10 s
  'webhook-receiver-slow', // the receiver answers after 3 s
  'webhook-lost-response', // the receiver handles the event, then its answer is lost
  'events-function-crash', // the events function fails after storing and queueing an event (answers lost): the stream runs the change again
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a worker invocation may run on the embedded stack: its lease lasts no longer. */
const WORKER_TIMEOUT_MS = stageConfig('local').worker.timeoutSeconds * 1000;

/**
 * The merchants' client's retry policy: quick, so that a run is short, and bounded, so that a
 * fault outlasting it (`api-error-after-accept`) makes it give up.
 */
const CLIENT_RETRY = { maxRetries: 4, baseDelayMs: 50, maxDelayMs: 1_000, deadlineMs: 30_000 };

/** Faults that change the sandbox for the whole run rather than one charge. */
const WORLD_FAULTS: ReadonlySet<FaultKind> = new Set(['search-lag', 'short-processor-key-window']);

/** The sandbox tokens that make a charge meet a processor fault, and what the charge must end as. */
const PROCESSOR_FAULT_TOKENS: Partial<Record<FaultKind, { token: string; expected: 'succeeded' | 'declined' }>> = {
  'processor-timeout-after-capture': { token: 'pm_sandbox_timeoutAfterCaptureOnce', expected: 'succeeded' },
  'processor-500-before-capture': { token: 'pm_sandbox_error500BeforeCaptureOnce', expected: 'succeeded' },
  'processor-500-on-create': { token: 'pm_sandbox_error500OnCreateOnce', expected: 'succeeded' },
  'dispute-won': { token: 'pm_sandbox_disputeThenWon', expected: 'succeeded' },
  'dispute-lost': { token: 'pm_sandbox_disputeThenLost', expected: 'succeeded' },
  'dispute-inquiry': { token: 'pm_sandbox_inquiryThenClosed', expected: 'succeeded' },
  'processor-processing': { token: 'pm_sandbox_processingThenSucceeds', expected: 'succeeded' },
  'processor-processing-then-fails': { token: 'pm_sandbox_processingThenFails', expected: 'declined' },
  'processor-authentication-required': { token: 'pm_card_authenticationRequired', expected: 'declined' },
  'processor-rate-limited': { token: 'pm_sandbox_rateLimitedOnce', expected: 'succeeded' },
  'processor-lock-timeout': { token: 'pm_sandbox_lockTimeoutOnce', expected: 'succeeded' },
  'lookup-rejected': { token: 'pm_sandbox_lookupRejectedOnce', expected: 'succeeded' },
};

/** The sandbox tokens that make a charge's refunds meet a processor fault. */
const REFUND_FAULT_TOKENS: Partial<Record<FaultKind, string>> = {
  'refund-timeout-after-success': 'pm_sandbox_refundTimeoutAfterSucceedingOnce',
  'refund-processor-500': 'pm_sandbox_refundError500Once',
  'refund-pending-then-succeeds': 'pm_card_pendingRefund',
  'refund-pending-then-fails': 'pm_sandbox_refundPendingThenFails',
  'refund-fails-late': 'pm_card_refundFail',
};

/** The charges whose payment Stripe later disputes. */
const DISPUTE_FAULTS: ReadonlySet<FaultKind> = new Set(['dispute-won', 'dispute-lost', 'dispute-inquiry']);

/** Faults on Stripe's webhooks about a charge: a dimension of their own, beside the charge's and its refunds'. */
const isStripeWebhookFault = (kind: FaultKind) => kind.startsWith('stripe-webhook-');

/** The sandbox's webhook fault rules for a charge's Stripe events. */
function stripeWebhookRules(fault: FaultKind | null, chargeId: string): Array<Record<string, unknown>> {
  const everything = { charge: chargeId, times: 1000 };
  switch (fault) {
    case 'stripe-webhook-lost':
      return [{ ...everything, action: 'lose' }];
    case 'stripe-webhook-duplicated':
      return [{ ...everything, action: 'duplicate' }];
    case 'stripe-webhook-delayed':
      return [{ ...everything, action: 'delay', delayMs: STRIPE_WEBHOOK_DELAY_MS }];
    case 'stripe-webhook-reordered':
      // Earlier types held longer than later ones: each object's events arrive newest first.
      return REORDERED_TYPES.map((type, index) => ({ charge: chargeId, type, times: 1, action: 'delay', delayMs: (REORDERED_TYPES.length - index) * 1_000 }));
    default:
      return [];
  }
}

/** Past a reconciler pass under faults (every 2 s), and its catch-up. */
const STRIPE_WEBHOOK_DELAY_MS = 6_000;
/** The types of a charge's Stripe events, in the order Stripe makes them. */
const REORDERED_TYPES = [
  'payment_intent.succeeded',
  'charge.dispute.created',
  'charge.dispute.funds_withdrawn',
  'refund.updated',
  'charge.refund.updated',
  'charge.dispute.updated',
  'refund.failed',
  'charge.dispute.closed',
  'charge.dispute.funds_reinstated',
];

const isRefundFault = (kind: FaultKind) => kind.startsWith('refund-');

/** How the merchant's receiver misbehaves for a charge's event. */
const RECEIVER_FAULTS: Partial<Record<FaultKind, ReceiverFault>> = {
  'webhook-receiver-fails': 'fails-twice',
  'webhook-receiver-timeout': 'times-out-once',
  'webhook-receiver-slow': 'answers-slowly',
  'webhook-lost-response': 'loses-answer-once',
};

export interface ChaosOptions {
  charges: number;
  merchants: number;
  seed: number;
  faults: readonly FaultKind[];
  /** Share of charges that get a fault. */
  faultRate?: number;
  concurrency?: number;
  /** How long the reconciler may take to converge once faults stop, and again for what Stripe did on its own to be reflected (default 90 s). */
  convergeTimeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Share of charges the merchant refunds (once succeeded); default 0.4. */
  refundRate?: number;
  /** Test-only: function bundles with a protection switched off (see test/chaos). */
  bundleOverrides?: Record<string, string>;
  /** Every Stripe webhook is lost for the whole run, so oncepay hears Stripe only through the reconciler's catch-up. */
  stripeWebhooksDown?: boolean;
  /** Test-only: a bundle of `oncepay/client` with a protection switched off, used instead of the client (see test/chaos). */
  clientModule?: string;
}

export interface Violation {
  invariant: 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7' | 'I8' | 'I9' | 'I10' | 'I11' | 'I12';
  chargeId: string | null;
  detail: string;
  /** The faults injected for this charge, in order. */
  history: string[];
}

export interface ChaosReport {
  seed: number;
  chargesRequested: number;
  chargesAccepted: number;
  faultsPlanned: Record<string, number>;
  faultsFired: Record<string, number>;
  /** Proxy faults aimed at one charge or refund that never met their request (each should have). */
  faultsNeverFired: string[];
  clientRetries: number;
  captures: number;
  refundsRequested: number;
  refundsAccepted: number;
  /** Refund rows in the processor's ledger: money that went back. */
  refundsMoved: number;
  /** Distinct events the merchants' receivers got, and deliveries in all (at least once: duplicates included). */
  webhooks: { events: number; deliveries: number };
  /** What Stripe did on its own: disputes it opened, refunds it failed after they succeeded. */
  stripeChanges: { disputes: number; refundsFailedLate: number };
  /** Deliveries to POST /webhooks/stripe that attackers sent (forged or replayed), and how many were refused. */
  stripeAttacks: { sent: number; refused: number };
  succeeded: number;
  failed: number;
  reconciliationPasses: number;
  convergeMs: number;
  durationMs: number;
  violations: Violation[];
}

interface PlannedCharge {
  index: number;
  merchant: number;
  key: string;
  chargeId: string;
  body: { amount: number; currency: string; payment_method: string; metadata: Record<string, string> };
  fault: FaultKind | null;
  expected: 'succeeded' | 'declined';
  /** Refunds the merchant asks for once the charge has succeeded, sent at once (they race). */
  refunds: PlannedRefund[];
  /** The fault on this charge's refunds' path, if any. */
  refundFault: FaultKind | null;
  /** What happens to Stripe's webhooks about this charge (or what an attacker sends about it), if anything. */
  webhookFault: FaultKind | null;
}

interface PlannedRefund {
  key: string;
  refundId: string;
  /** `null`: all that is left. Amounts may add up to more than the charge: the excess must be refused. */
  amount: number | null;
}

interface ChargeRun {
  plan: PlannedCharge;
  history: string[];
  firstAccepted: string | null;
  /** The first 202 of each refund key (by refund id); absent when refused (400) or never accepted. */
  refundsAccepted: Map<string, string>;
  /** Every 202 the merchant's client got for this charge and its refunds, as it got them. */
  answers: Array<{ key: string; text: string; replayed: boolean }>;
}

const CURRENCIES = ['usd', 'eur', 'gbp', 'jpy'];

/** The whole schedule, from the seed alone: same seed, same charges, same faults. */
export function planCharges(options: ChaosOptions, merchantIds: string[], random: Random): PlannedCharge[] {
  const faultRate = options.faultRate ?? 0.35;
  const chargeFaults = options.faults.filter((kind) => !WORLD_FAULTS.has(kind) && !isRefundFault(kind) && !isStripeWebhookFault(kind));
  const refundFaults = options.faults.filter(isRefundFault);
  const webhookFaults = options.faults.filter(isStripeWebhookFault);
  const refundRate = options.refundRate ?? 0.4;
  return Array.from({ length: options.charges }, (_, index) => {
    const merchant = Math.floor(random() * options.merchants);
    const key = `chaos-${options.seed}-${index}-${Math.floor(random() * 1e9).toString(36)}`;
    const faultRoll = random();
    const fault = chargeFaults.length > 0 && faultRoll < faultRate ? (chargeFaults[Math.floor(random() * chargeFaults.length)] ?? null) : null;
    const declined = random() < 0.1;
    const processorFault = fault ? PROCESSOR_FAULT_TOKENS[fault] : undefined;
    const amount = 100 + Math.floor(random() * 99_900);
    const merchantId = merchantIds[merchant] ?? '';
    // Refunds: on a share of the charges, one to three at once, each up to 60% of the charge or
    // "all that is left": together they often ask for more than was captured.
    const refunds: PlannedRefund[] = [];
    if (random() < refundRate) {
      const count = 1 + Math.floor(random() * 3);
      for (let r = 0; r < count; r += 1) {
        const refundKey = `${key}-refund-${r}`;
        refunds.push({
          key: refundKey,
          refundId: refundIdFor(merchantId, refundKey, 0),
          amount: random() < 0.25 ? null : 1 + Math.floor(random() * amount * 0.6),
        });
      }
    }
    // A refund fault goes only where nothing else sets the card (one payment method per charge).
    const refundFault =
      refunds.length > 0 && refundFaults.length > 0 && !processorFault && random() < faultRate
        ? (refundFaults[Math.floor(random() * refundFaults.length)] ?? null)
        : null;
    const refundToken = refundFault ? REFUND_FAULT_TOKENS[refundFault] : undefined;
    const paymentMethod = processorFault?.token ?? refundToken ?? (declined ? 'pm_card_chargeDeclined' : 'pm_card_visa');
    const webhookFault = webhookFaults.length > 0 && random() < faultRate ? (webhookFaults[Math.floor(random() * webhookFaults.length)] ?? null) : null;
    return {
      index,
      merchant,
      key,
      chargeId: chargeIdFor(merchantId, key, 0),
      refunds,
      refundFault,
      webhookFault,
      body: {
        amount,
        currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)] ?? 'usd',
        payment_method: paymentMethod,
        metadata: { chaos_index: String(index) },
      },
      fault,
      expected: processorFault?.expected ?? (declined && !refundToken ? 'declined' : 'succeeded'),
    };
  });
}

function refundBody(plan: PlannedCharge, refund: PlannedRefund) {
  return { charge: plan.chargeId, ...(refund.amount === null ? {} : { amount: refund.amount }), metadata: { chaos_refund: refund.key } };
}

/** Proxy rules for a refund's fault; empty for faults injected elsewhere. */
function refundProxyRules(plan: PlannedCharge, refund: PlannedRefund): FaultRule[] {
  const item = `REFUND#${refund.refundId}`;
  switch (plan.refundFault) {
    case 'refund-lost-client-response':
      return [{ target: 'api', operation: 'POST /v1/refunds', bodyIncludes: [`"chaos_refund":"${refund.key}"`], action: 'drop-response' }];
    case 'refund-lost-create-response':
      return [{ target: 'dynamodb', operation: 'TransactWriteItems', bodyIncludes: [item, 'attribute_not_exists(pk)'], action: 'drop-response' }];
    case 'refund-crash-before-outcome':
      return [{ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [item, ':final'], action: 'hold-request' }];
    default:
      return [];
  }
}

/** Proxy rules for a charge's fault; empty for faults injected elsewhere. */
function proxyRules(plan: PlannedCharge): FaultRule[] {
  const charge = `CHARGE#${plan.chargeId}`;
  const clientCall: Omit<FaultRule, 'action'> = { target: 'api', operation: 'POST /v1/charges', bodyIncludes: [`"chaos_index":"${plan.index}"`] };
  switch (plan.fault) {
    case 'lost-client-response':
      return [{ ...clientCall, action: 'drop-response' }];
    case 'client-connection-reset':
      return [{ ...clientCall, action: 'reset-request', times: 2 }];
    case 'api-error-before-arrival':
      return [{ ...clientCall, action: 'error', times: 2 }];
    case 'api-error-after-accept':
      return [{ ...clientCall, action: 'error-response', times: CLIENT_RETRY.maxRetries + 1 }];
    case 'lost-create-response':
      return [{ target: 'dynamodb', operation: 'PutItem', bodyIncludes: [charge], action: 'drop-response' }];
    case 'throttled-create':
      return [{ target: 'dynamodb', operation: 'PutItem', bodyIncludes: [charge], action: 'throttle' }];
    case 'lost-enqueue-response':
      return [{ target: 'sqs', operation: 'SendMessage', bodyIncludes: [plan.chargeId], action: 'drop-response' }];
    case 'lost-enqueue':
      return [{ target: 'sqs', operation: 'SendMessage', bodyIncludes: [plan.chargeId], action: 'error', times: 3 }];
    case 'crash-after-claim':
      return [{ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [charge, ':claimable'], action: 'hold-response' }];
    case 'crash-before-outcome':
    case 'dead-letter-while-live': // the worker dies after the capture; the harness dead-letters a copy
      return [{ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [charge, ':final'], action: 'hold-request' }];
    case 'crash-after-outcome':
      return [{ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [charge, ':final'], action: 'hold-response' }];
    case 'throttled-claim':
      return [{ target: 'dynamodb', operation: 'UpdateItem', bodyIncludes: [charge, ':claimable'], action: 'throttle' }];
    default:
      return [];
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const random = mulberry32(options.seed);
  progress('starting the embedded stack with fault injection…');
  const stack = await startLocalStack({
    port: 0,
    faultInjection: true,
    runSchedules: false,
    seedDemoMerchants: false,
    ...(options.bundleOverrides ? { bundleOverrides: options.bundleOverrides } : {}),
  });
  try {
    return await drive(stack, options, random, startedAt, progress);
  } finally {
    await stack.stop();
  }
}

async function drive(
  stack: LocalStack,
  options: ChaosOptions,
  random: Random,
  startedAt: number,
  progress: (line: string) => void,
): Promise<ChaosReport> {
  const clientConfig = { region: stack.region, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...clientConfig, endpoint: stack.endpoints.sqs, useQueueUrlAsEndpoint: false });
  const lambda = new LambdaClient({ ...clientConfig, endpoint: stack.endpoints.lambda });
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: stack.endpoints.dynamodb });
  /** The merchants' webhook receivers, stopped however the run ends, and their endpoints' ids. */
  const receivers = new Map<string, ChaosReceiver>();
  const endpointIds = new Map<string, string>();
  const control = stack.faultControlUrl ?? '';
  const outputs = stack.outputs;
  try {
    // Merchants, each with a key, as the CLI creates them.
    const store = new DynamoDbMerchantStore(dynamodb, outputs['MerchantsTableName'] ?? '');
    const merchants: Array<{ id: string; key: string }> = [];
    for (let i = 0; i < options.merchants; i += 1) {
      const id = `mer_chaos${options.seed}x${i}`;
      const key = generateApiKey('secret', 'test');
      await store.createMerchant({ merchantId: id, name: `chaos ${i}`, createdAt: Date.now() }, newStoredApiKey(key, id, Date.now()));
      merchants.push({ id, key });
    }
    // Each merchant's webhook receiver, registered for every event type before any charge.
    const client: typeof oncepayClient = options.clientModule ? await import(pathToFileURL(options.clientModule).href) : oncepayClient;
    for (const merchant of merchants) {
      const receiver = await ChaosReceiver.start(merchant.id);
      receivers.set(merchant.id, receiver);
      const endpoint = await new client.Oncepay(merchant.key, { baseUrl: stack.apiUrl }).webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
      receiver.setSecret(String(endpoint.secret));
      endpointIds.set(merchant.id, endpoint.id);
    }
    const plans = planCharges(options, merchants.map((merchant) => merchant.id), random);
    const runs = new Map(
      plans.map((plan) => [
        plan.chargeId,
        {
          plan,
          history: [plan.fault, plan.refundFault, plan.webhookFault].filter((fault) => fault !== null),
          firstAccepted: null,
          refundsAccepted: new Map(),
          answers: [],
        } as ChargeRun,
      ]),
    );
    const faultsPlanned: Record<string, number> = {};
    for (const plan of plans) {
      for (const fault of [plan.fault, plan.refundFault, plan.webhookFault]) if (fault) faultsPlanned[fault] = (faultsPlanned[fault] ?? 0) + 1;
    }

    // Stripe's documented behaviour on its bad days, for the whole run: they are how the
    // processor is, not faults that stop.
    // Stripe's "later" (days) shortened, so that what it does on its own happens inside the run.
    const sandboxSettings: Record<string, number> = { disputeAfterMs: 1_000, refundFailAfterMs: 1_500, disputeCloseMs: 3_000, webhookRetryMs: 500 };
    if (options.faults.includes('search-lag')) sandboxSettings['searchLagMs'] = 60_000;
    if (options.faults.includes('short-processor-key-window')) sandboxSettings['idempotencyKeyTtlMs'] = 500;
    await fetch(`${stack.sandbox.url}/_sandbox/config`, { method: 'POST', body: JSON.stringify(sandboxSettings) });
    if (options.stripeWebhooksDown) {
      const everyDelivery = { action: 'lose', times: Number.MAX_SAFE_INTEGER };
      await fetch(`${stack.sandbox.url}/_sandbox/webhook_faults`, { method: 'POST', body: JSON.stringify({ rules: [everyDelivery] }) });
    }
    for (const kind of WORLD_FAULTS) if (options.faults.includes(kind)) faultsPlanned[kind] = 1;

    // The reconciler runs while the faults do, as its schedule does in production.
    let faultsStopped = false;
    const reconcilingUnderFaults = (async () => {
      while (!faultsStopped) {
        await lambda.send(new InvokeCommand({ FunctionName: outputs['ReconcilerFunctionName'], Payload: '{}' })).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    })();

    const addRules = async (rules: FaultRule[]): Promise<string[]> => {
      if (rules.length === 0) return [];
      const response = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ rules }) });
      return ((await response.json()) as { ids: string[] }).ids;
    };
    /** Waits (bounded) until the proxy rule has fired: the worker has reached that point. */
    const awaitFired = async (ruleId: string) => {
      for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 200))) {
        const { rules } = (await (await fetch(`${control}/faults`)).json()) as { rules: Array<{ id: string; fired: number }> };
        if ((rules.find((rule) => rule.id === ruleId)?.fired ?? 0) > 0) return true;
      }
      return false;
    };
    const poisonCount = plans.filter((plan) => plan.fault === 'poison').length;
    const expiryCount = plans.filter((plan) => plan.fault === 'visibility-expiry').length;
    // Visibility expiries are not tied to one charge: the next receives are made visible again.
    await addRules(expiryCount > 0 ? [{ target: 'sqs', operation: 'ReceiveMessage', action: 'expire-visibility', times: expiryCount }] : []);

    let done = 0;
    let clientCalls = 0;
    let clientAttempts = 0;
    /**
     * The merchant's client for one call: oncepay's own, its retries on, through the fault proxy.
     * Its fetch is tapped so that the checks see every 202 as the client got it (bytes, and
     * Idempotent-Replayed).
     */
    const clientFor = (run: ChargeRun) => {
      clientCalls += 1;
      return new client.Oncepay(merchants[run.plan.merchant]?.key ?? '', {
        baseUrl: stack.faultyApiUrl ?? stack.apiUrl,
        retry: CLIENT_RETRY,
        fetch: async (input, init) => {
          clientAttempts += 1;
          const response = await fetch(input, init);
          const key = new Headers(init?.headers).get('idempotency-key');
          if (response.status === 202 && key !== null) {
            run.answers.push({ key, text: await response.clone().text(), replayed: response.headers.get('idempotent-replayed') === 'true' });
          }
          return response;
        },
      });
    };
    /** The first 202 the client got for a key: the one that did the work or, that one lost, the first replay. */
    const firstAcceptedOf = (run: ChargeRun, key: string) => {
      const answers = run.answers.filter((answer) => answer.key === key);
      return (answers.find((answer) => !answer.replayed) ?? answers[0])?.text ?? null;
    };
    /**
     * A merchant's request as its code makes it: a call of the client, which retries on its own.
     * When the client gives up saying the outcome is unknown, the merchant keeps the key its error
     * names and asks again later; a refusal is final. Where the client says a request was not done
     * although it may have been, the merchant asks for the purchase anew, with a new key, and the
     * checks find the second charge.
     */
    const merchantRequest = async (run: ChargeRun, key: string, call: (key: string) => Promise<unknown>, label: string) => {
      let current = key;
      for (let asked = 1; asked <= 20; asked += 1) {
        try {
          await call(current);
          return;
        } catch (error) {
          if (!(error instanceof client.OncepayError)) throw error;
          const status = error instanceof client.OncepayApiError ? error.status : null;
          if (error.outcomeUnknown || status === 429) {
            run.history.push(`${label}: the client gave up (${status ?? 'no answer'}), outcome unknown: asked again with its key`);
            current = error.idempotencyKey ?? current;
          } else if (status !== null && status < 500) {
            run.history.push(`${label}: refused ${status}: ${error.message.slice(0, 160)}`);
            return;
          } else {
            current = `${key}-anew-${asked}`;
            run.history.push(`${label}: the client said ${status ?? 'no answer'} was not done: asked anew with ${current}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 800)));
        }
      }
    };
    /** A raw POST straight to the API, for I4's checks of the bytes and Idempotent-Replayed. */
    const post = async (plan: PlannedCharge) => {
      const response = await fetch(`${stack.apiUrl}/v1/charges`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${merchants[plan.merchant]?.key}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': plan.key,
        },
        body: JSON.stringify(plan.body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, text: await response.text(), replayed: response.headers.get('idempotent-replayed') === 'true' };
    };

    /** One purchase: its faults set, then the merchant's request through the client. */
    const charge = async (run: ChargeRun) => {
      const { plan } = run;
      const [ruleId] = await addRules(proxyRules(plan));
      const webhookRules = stripeWebhookRules(plan.webhookFault, plan.chargeId);
      if (webhookRules.length > 0) await fetch(`${stack.sandbox.url}/_sandbox/webhook_faults`, { method: 'POST', body: JSON.stringify({ rules: webhookRules }) });
      const eventId = eventIdFor(plan.chargeId, plan.expected === 'succeeded' ? 'charge.succeeded' : 'charge.failed');
      const receiverFault = plan.fault ? RECEIVER_FAULTS[plan.fault] : undefined;
      if (receiverFault) receivers.get(merchants[plan.merchant]?.id ?? '')?.misbehaveFor(eventId, receiverFault);
      // The merchant's next deliveries are queued but every SDK attempt loses its answer: the events
      // function fails that record after storing its event and queueing it, and the stream runs it again.
      if (plan.fault === 'events-function-crash') {
        const endpointId = endpointIds.get(merchants[plan.merchant]?.id ?? '') ?? '';
        await addRules([{ target: 'sqs', operation: 'SendMessageBatch', bodyIncludes: [endpointId], action: 'drop-response', times: 3 }]);
      }
      const create = (key: string) => clientFor(run).charges.create(plan.body, { idempotencyKey: key });
      if (plan.fault === 'concurrent-client-retry') await Promise.all([create(plan.key), create(plan.key), create(plan.key)].map((call) => call.catch(() => undefined)));
      await merchantRequest(run, plan.key, create, 'charge');
      run.firstAccepted = firstAcceptedOf(run, plan.key);
      if (plan.fault === 'duplicate-delivery') {
        const queueUrl = outputs['WorkQueueUrl'];
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: workMessageBody(plan.chargeId) }));
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: workMessageBody(plan.chargeId) }));
      }
      if (plan.fault === 'dead-letter-while-live' && ruleId && (await awaitFired(ruleId))) {
        // The worker captured and died; once its lease is over the charge is open to anyone,
        // while its own message is still invisible: now a copy reaches the DLQ.
        await new Promise((resolve) => setTimeout(resolve, WORKER_TIMEOUT_MS + 500));
        await sqs.send(new SendMessageCommand({ QueueUrl: outputs['DeadLetterQueueUrl'], MessageBody: workMessageBody(plan.chargeId) }));
        run.history.push('a copy of its message was dead-lettered');
      }
      if (plan.fault === 'poison') {
        await sqs.send(new SendMessageCommand({ QueueUrl: outputs['WorkQueueUrl'], MessageBody: `poison ${randomUUID()}` }));
      }
      done += 1;
      if (done % 50 === 0 || done === plans.length) progress(`charges sent ${done}/${plans.length}, client retries ${clientAttempts - clientCalls}`);
    };

    const queue = [...runs.values()];
    const concurrency = options.concurrency ?? 8;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let run = queue.shift(); run; run = queue.shift()) await charge(run);
      }),
    );

    // Refunds, still under faults: once a charge has succeeded its merchant sends its planned
    // refunds at once, and a client retries each like a charge (same key, backoff).
    const violations: Violation[] = [];
    const flag = (invariant: Violation['invariant'], run: ChargeRun | null, detail: string) =>
      violations.push({ invariant, chargeId: run?.plan.chargeId ?? null, detail, history: run?.history ?? [] });
    const authorization = (run: ChargeRun) => ({ Authorization: `Bearer ${merchants[run.plan.merchant]?.key}` });
    const getObject = async (run: ChargeRun, path: string) =>
      (await (await fetch(`${stack.apiUrl}${path}`, { headers: authorization(run), signal: AbortSignal.timeout(30_000) })).json()) as Record<string, unknown>;
    /** I8 at this moment: what refunds hold of the charge never exceeds it. */
    const sampleRefunded = async (run: ChargeRun, when: string) => {
      const object = await getObject(run, `/v1/charges/${run.plan.chargeId}`).catch(() => null);
      if (object && Number(object['amount_refunded']) > Number(object['amount'])) {
        flag('I8', run, `${when}: amount_refunded ${object['amount_refunded']} exceeds the charge's ${object['amount']}`);
      }
    };
    const postRefund = async (run: ChargeRun, refund: PlannedRefund) => {
      const response = await fetch(`${stack.apiUrl}/v1/refunds`, {
        method: 'POST',
        headers: { ...authorization(run), 'Content-Type': 'application/json', 'Idempotency-Key': refund.key },
        body: JSON.stringify(refundBody(run.plan, refund)),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, text: await response.text(), replayed: response.headers.get('idempotent-replayed') === 'true' };
    };
    /** Rules of refunds that were refused: their write never happens, so nobody waits for them to fire. */
    const moot = new Set<string>();
    const sendRefund = async (run: ChargeRun, refund: PlannedRefund) => {
      const ruleIds = await addRules(refundProxyRules(run.plan, refund));
      await merchantRequest(run, refund.key, (key) => clientFor(run).refunds.create(refundBody(run.plan, refund), { idempotencyKey: key }), `refund ${refund.refundId}`);
      const accepted = firstAcceptedOf(run, refund.key);
      if (accepted === null) for (const id of ruleIds) moot.add(id);
      else run.refundsAccepted.set(refund.refundId, accepted);
      if (run.plan.refundFault === 'refund-duplicate-delivery' && run.refundsAccepted.has(refund.refundId)) {
        for (let copy = 0; copy < 2; copy += 1) {
          await sqs.send(new SendMessageCommand({ QueueUrl: outputs['WorkQueueUrl'], MessageBody: refundWorkMessageBody(refund.refundId) }));
        }
      }
    };
    const refundRuns = [...runs.values()].filter((run) => run.firstAccepted !== null && run.plan.refunds.length > 0);
    let refunded = 0;
    const refundOne = async (run: ChargeRun) => {
      let status: unknown;
      for (const until = Date.now() + 40_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 500))) {
        status = (await getObject(run, `/v1/charges/${run.plan.chargeId}`).catch((): Record<string, unknown> => ({})))['status'];
        if (status === 'succeeded' || status === 'failed') break;
      }
      if (status !== 'succeeded') {
        run.history.push(`no refunds sent: the charge was ${String(status)}`);
        return;
      }
      await Promise.all(run.plan.refunds.map((refund) => sendRefund(run, refund)));
      await sampleRefunded(run, 'right after its refunds were accepted');
      refunded += 1;
      if (refunded % 20 === 0) progress(`refunded charges ${refunded}/${refundRuns.length}`);
    };
    const refundQueue = [...refundRuns];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let run = refundQueue.shift(); run; run = refundQueue.shift()) await refundOne(run);
      }),
    );

    // Attackers, while the faults go on: a delivery about a charge's real payment saying it failed,
    // signed with another secret; and one saying it succeeded, signed with the real secret 10
    // minutes ago (a replay). Each must be refused and change nothing (I12).
    const attacks: Array<{ run: ChargeRun; eventId: string; status: number }> = [];
    const attackRuns = [...runs.values()].filter((run) => run.firstAccepted !== null && (run.plan.webhookFault === 'stripe-webhook-forged' || run.plan.webhookFault === 'stripe-webhook-replayed'));
    if (attackRuns.length > 0) {
      const signingSecret = await processorWebhookSecret(stack);
      const { data: movements } = (await (await fetch(`${stack.sandbox.url}/_sandbox/ledger`)).json()) as { data: LedgerEntry[] };
      for (const run of attackRuns) {
        const forged = run.plan.webhookFault === 'stripe-webhook-forged';
        const paymentIntent = movements.find((entry) => entry.kind === 'capture' && entry.charge_id === run.plan.chargeId)?.payment_intent ?? `pi_chaos${run.plan.index}`;
        const eventId = `evt_attack${options.seed}x${run.plan.index}`;
        const nowSeconds = Math.floor(Date.now() / 1000);
        const body = JSON.stringify({
          id: eventId,
          object: 'event',
          api_version: '2023-08-16',
          created: nowSeconds,
          data: { object: { id: paymentIntent, object: 'payment_intent', status: forged ? 'requires_payment_method' : 'succeeded' } },
          livemode: false,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
          type: forged ? 'payment_intent.payment_failed' : 'payment_intent.succeeded',
        });
        const signature = forged ? stripeSignatureHeader(body, 'whsec_an_attackers_guess', nowSeconds) : stripeSignatureHeader(body, signingSecret, nowSeconds - 600);
        const answer = await fetch(`${stack.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature }, body }).catch(() => null);
        attacks.push({ run, eventId, status: answer?.status ?? 0 });
        run.history.push(`${forged ? 'forged' : 'replayed'} Stripe event ${eventId} answered ${answer?.status ?? 'nothing'}`);
      }
    }

    // Faults aimed at the worker fire only when it reaches that charge, which may be after the
    // last request: wait for them (bounded) before the faults stop.
    type FiredRule = FaultRule & { id: string; fired: number; remaining: number };
    const readRules = async () => ((await (await fetch(`${control}/faults`)).json()) as { rules: FiredRule[] }).rules;
    const waitUntil = Date.now() + 120_000;
    for (let rules = await readRules(); Date.now() < waitUntil; rules = await readRules()) {
      const pending = rules.filter((rule) => rule.bodyIncludes !== undefined && rule.remaining > 0 && !moot.has(rule.id)).length;
      if (pending === 0) break;
      progress(`waiting for ${pending} scheduled faults to meet their charges…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // Faults stop here; what fired is recorded first.
    faultsStopped = true;
    await reconcilingUnderFaults;
    const rules = await readRules();
    const faultsFired: Record<string, number> = {};
    for (const rule of rules) {
      const kind = `${rule.target}:${rule.operation ?? '*'}:${rule.action}`;
      faultsFired[kind] = (faultsFired[kind] ?? 0) + rule.fired;
    }
    // A fault aimed at one charge that never met it tested nothing: a request's shape changed under the rule.
    const faultsNeverFired = rules
      .filter((rule) => rule.bodyIncludes !== undefined && rule.fired === 0 && !moot.has(rule.id))
      .map((rule) => `${rule.target}:${rule.operation ?? '*'}:${rule.action} [${rule.bodyIncludes?.join(', ')}]`);
    await fetch(`${control}/faults`, { method: 'DELETE' });

    progress('faults stopped; reconciling until every charge is final…');
    const convergeStarted = Date.now();
    const accepted = [...runs.values()].filter((run) => run.firstAccepted !== null);
    const finals = new Map<string, Record<string, unknown>>();
    const acceptedRefunds = accepted.flatMap((run) => [...run.refundsAccepted.keys()].map((refundId) => ({ run, refundId })));
    const refundFinals = new Map<string, Record<string, unknown>>();
    let passes = 0;
    const deadline = convergeStarted + (options.convergeTimeoutMs ?? 90_000);
    let queueEmpty = false;
    while (Date.now() < deadline) {
      await invokeReconciler(lambda, String(outputs['ReconcilerFunctionName']));
      passes += 1;
      for (const run of accepted) {
        if (finals.has(run.plan.chargeId)) continue;
        const response = await fetch(`${stack.apiUrl}/v1/charges/${run.plan.chargeId}`, {
          headers: { Authorization: `Bearer ${merchants[run.plan.merchant]?.key}` },
        });
        const object = (await response.json()) as Record<string, unknown>;
        if (object['status'] === 'succeeded' || object['status'] === 'failed') finals.set(run.plan.chargeId, object);
      }
      for (const { run, refundId } of acceptedRefunds) {
        if (refundFinals.has(refundId)) continue;
        const object = await getObject(run, `/v1/refunds/${refundId}`);
        if (['succeeded', 'failed', 'canceled'].includes(String(object['status']))) refundFinals.set(refundId, object);
      }
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: outputs['WorkQueueUrl'],
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      queueEmpty = Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) === 0;
      progress(
        `converging: ${finals.size}/${accepted.length} charges and ${refundFinals.size}/${acceptedRefunds.length} refunds final, ` +
          `work queue ${queueEmpty ? 'empty' : 'busy'}, pass ${passes}`,
      );
      if (finals.size === accepted.length && refundFinals.size === acceptedRefunds.length && queueEmpty) break;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const convergeMs = Date.now() - convergeStarted;

    progress('checking invariants…');
    // A payment still `processing` at the processor may yet capture: the ledger is read once none is.
    let ledger: LedgerEntry[] = [];
    for (const waitUntil = Date.now() + 30_000; ; ) {
      const read = (await (await fetch(`${stack.sandbox.url}/_sandbox/ledger`)).json()) as { data: LedgerEntry[]; processing: number };
      ledger = read.data;
      if (read.processing === 0 || Date.now() > waitUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // I11: what Stripe did on its own (a dispute, a refund failing late) reaches oncepay and its
    // merchant within convergence: by webhook, or by the reconciler's catch-up over the Events API.
    progress('waiting for what Stripe did on its own to be reflected and told…');
    const stripeTruth = await stripeChangesOf(stack.sandbox, accepted, ledger);
    const receivedOf = (merchantId: string) => receivers.get(merchantId)?.received ?? [];
    /** oncepay's dispute of each disputed charge, as the last look found it (I5 and I10 read it too). */
    const ourDisputes = new Map<string, Record<string, unknown> | null>();
    const unreflected = async (): Promise<Array<{ run: ChargeRun; detail: string }>> => {
      const missing: Array<{ run: ChargeRun; detail: string }> = [];
      for (const { run, dispute } of stripeTruth.disputes) {
        const merchantId = merchants[run.plan.merchant]?.id ?? '';
        const charge = await getObject(run, `/v1/charges/${run.plan.chargeId}`);
        const ours = typeof charge['dispute'] === 'string' ? await getObject(run, `/v1/disputes/${String(charge['dispute'])}`) : null;
        ourDisputes.set(run.plan.chargeId, ours);
        if (ours?.['status'] !== dispute.status) {
          missing.push({ run, detail: `Stripe's dispute ${dispute.id} is ${dispute.status}; oncepay's is ${String(ours?.['status'] ?? 'missing')}` });
          continue;
        }
        const told = receivedOf(merchantId).filter((got) => got.objectId === ours['id']);
        if (!told.some((got) => got.type === 'charge.dispute.created')) missing.push({ run, detail: `charge.dispute.created of ${String(ours['id'])} never reached the merchant` });
        if (!told.some((got) => got.type === 'charge.dispute.closed' && got.status === dispute.status)) {
          missing.push({ run, detail: `charge.dispute.closed (${dispute.status}) of ${String(ours['id'])} never reached the merchant` });
        }
      }
      for (const { run, refundId } of stripeTruth.refundsFailedLate) {
        const merchantId = merchants[run.plan.merchant]?.id ?? '';
        const ours = await getObject(run, `/v1/refunds/${refundId}`);
        refundFinals.set(refundId, ours);
        if (ours['status'] !== 'failed') missing.push({ run, detail: `refund ${refundId} failed at Stripe after it succeeded; oncepay says ${String(ours['status'])}` });
        else if (!receivedOf(merchantId).some((got) => got.objectId === refundId && got.type === 'refund.failed')) missing.push({ run, detail: `refund.failed of ${refundId} never reached the merchant` });
      }
      return missing;
    };
    let stillMissing = await unreflected();
    for (const until = Date.now() + (options.convergeTimeoutMs ?? 90_000); stillMissing.length > 0 && Date.now() < until; stillMissing = await unreflected()) {
      await invokeReconciler(lambda, String(outputs['ReconcilerFunctionName']));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    for (const { run, detail } of stillMissing) flag('I11', run, detail);

    // I12: every forged or replayed delivery was refused, and left no trace of its event.
    for (const attack of attacks) {
      if (attack.status !== 400) flag('I12', attack.run, `an attacker's delivery ${attack.eventId} was answered ${attack.status}, not 400`);
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: outputs['WebhooksTableName'], Key: { pk: { S: `PROCESSOR_EVENT#${attack.eventId}` } }, ConsistentRead: true }));
      if (Item) flag('I12', attack.run, `an attacker's event ${attack.eventId} was recorded`);
    }

    const refundRows = ledger.filter((entry) => entry.kind === 'refund');
    const captureRows = ledger.filter((entry) => entry.kind === 'capture');
    const capturesByCharge = new Map<string, LedgerEntry[]>();
    for (const entry of captureRows) {
      const list = capturesByCharge.get(entry.charge_id ?? '') ?? [];
      list.push(entry);
      capturesByCharge.set(entry.charge_id ?? '', list);
    }

    for (const run of runs.values()) {
      const captures = capturesByCharge.get(run.plan.chargeId) ?? [];
      // I1: at most one capture per (merchant, key).
      if (captures.length > 1) flag('I1', run, `${captures.length} captures for one (merchant, key)`);
      if (run.firstAccepted === null) {
        if (captures.length > 0) flag('I2', run, 'captured although the client never got a 202');
        flag('I2', run, 'the client never got a 202 for a valid request');
        continue;
      }
      const final = finals.get(run.plan.chargeId);
      // I3: every charge terminal once faults stopped.
      if (!final) {
        flag('I3', run, 'not final after the reconciler had time to converge');
        continue;
      }
      // I2: every 202 ends in exactly one processor outcome, the one the card calls for.
      if (final['status'] === 'succeeded' && captures.length !== 1) flag('I2', run, `succeeded with ${captures.length} captures`);
      if (final['status'] === 'failed' && captures.length !== 0) flag('I6', run, `failed (${final['failure_code']}) but captured`);
      const wanted = run.plan.expected === 'succeeded' ? 'succeeded' : 'failed';
      if (final['status'] !== wanted) flag('I2', run, `ended ${final['status']} (${final['failure_code']}), expected ${wanted}`);
      // I6: a succeeded charge matches the processor.
      const [capture] = captures;
      if (final['status'] === 'succeeded' && capture && (capture.amount !== final['amount'] || capture.currency !== final['currency'])) {
        flag('I6', run, `charge ${final['amount']} ${final['currency']} vs capture ${capture.amount} ${capture.currency}`);
      }
      // I7: an unknown outcome (timeout after capture) resolves one way, never twice.
      const unknownOutcome = run.plan.fault === 'processor-timeout-after-capture' || run.plan.fault === 'lookup-rejected';
      if (unknownOutcome && (final['status'] !== 'succeeded' || captures.length !== 1)) {
        flag('I7', run, `timeout after capture resolved to ${final['status']} with ${captures.length} captures`);
      }
    }
    for (const [chargeId, captures] of capturesByCharge) {
      if (!runs.has(chargeId)) violations.push({ invariant: 'I1', chargeId, detail: `${captures.length} captures for a charge no purchase was planned as (one asked for anew, with a new key?)`, history: [] });
    }
    // I3: every message is in the queue, the DLQ or done.
    if (!queueEmpty) flag('I3', null, 'the work queue still holds messages after convergence');
    const { Attributes: dlq = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: outputs['DeadLetterQueueUrl'], AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const dead = Number(dlq.ApproximateNumberOfMessages) + Number(dlq.ApproximateNumberOfMessagesNotVisible);
    if (dead > poisonCount) flag('I3', null, `${dead} messages in the DLQ, only ${poisonCount} poison messages were injected`);

    // I4: replay is byte-identical; a different body under the same key is 422.
    progress('replaying every accepted key…');
    for (const run of accepted) {
      const replay = await post(run.plan);
      if (replay.status !== 202 || replay.text !== run.firstAccepted || !replay.replayed) {
        flag('I4', run, `replay answered ${replay.status}${replay.replayed ? ' (replayed)' : ''} with a different body`);
      }
      if (run.plan.index % 10 === 0) {
        const mismatch = await post({ ...run.plan, body: { ...run.plan.body, amount: run.plan.body.amount + 1 } });
        if (mismatch.status !== 422) flag('I4', run, `a different body under the same key answered ${mismatch.status}`);
      }
    }

    // I5: captured − refunded − withdrawn by disputes, per merchant, equals the processor's ledger.
    const withdrawnByMerchant = new Map<string, number>();
    for (const { run } of stripeTruth.disputes) {
      const ours = ourDisputes.get(run.plan.chargeId);
      if (ours && disputeWithdrawsFunds(ours['status'] as DisputeStatus)) {
        const merchantId = merchants[run.plan.merchant]?.id ?? '';
        withdrawnByMerchant.set(merchantId, (withdrawnByMerchant.get(merchantId) ?? 0) + Number(ours['amount']));
      }
    }
    for (const merchant of merchants) {
      const fromCharges = accepted
        .filter((run) => merchants[run.plan.merchant]?.id === merchant.id && finals.get(run.plan.chargeId)?.['status'] === 'succeeded')
        .reduce((sum, run) => sum + run.plan.body.amount, 0);
      const refundedInOncepay = [...refundFinals.values()]
        .filter((refund) => refund['status'] === 'succeeded' && accepted.some((run) => run.plan.chargeId === refund['charge'] && merchants[run.plan.merchant]?.id === merchant.id))
        .reduce((sum, refund) => sum + Number(refund['amount']), 0);
      const withdrawn = withdrawnByMerchant.get(merchant.id) ?? 0;
      const net = fromCharges - refundedInOncepay - withdrawn;
      const netInLedger = ledger.filter((entry) => entry.merchant_id === merchant.id).reduce((sum, entry) => sum + merchantShare(entry), 0);
      if (net !== netInLedger) {
        flag('I5', null, `merchant ${merchant.id}: captured − refunded − withdrawn ${fromCharges} − ${refundedInOncepay} − ${withdrawn} = ${net}, the processor's ledger says ${netInLedger}`);
      }
    }

    // I8 and I9 from the processor's ledger and the final objects. A refund that failed after it
    // succeeded moved money twice, out and back: one refund row and one failure row.
    const refundRowsById = new Map<string, LedgerEntry[]>();
    const failureRowsById = new Map<string, LedgerEntry[]>();
    for (const row of ledger) {
      if (row.kind !== 'refund' && row.kind !== 'refund_failure') continue;
      const byId = row.kind === 'refund' ? refundRowsById : failureRowsById;
      const id = row.refund_id ?? '';
      byId.set(id, [...(byId.get(id) ?? []), row]);
    }
    const failureRows = ledger.filter((entry) => entry.kind === 'refund_failure');
    for (const run of accepted) {
      const captured = (capturesByCharge.get(run.plan.chargeId) ?? []).reduce((sum, entry) => sum + entry.amount, 0);
      const ofCharge = (rows: LedgerEntry[]) => rows.filter((row) => row.charge_id === run.plan.chargeId).reduce((sum, row) => sum + row.amount, 0);
      const refundedAtProcessor = ofCharge(refundRows) - ofCharge(failureRows);
      if (refundedAtProcessor > captured) flag('I8', run, `the processor refunded ${refundedAtProcessor} of ${captured} captured`);
      const final = finals.get(run.plan.chargeId);
      if (!final) continue;
      const succeededRefunds = [...run.refundsAccepted.keys()].map((id) => refundFinals.get(id)).filter((refund) => refund?.['status'] === 'succeeded');
      const refundedInOncepay = succeededRefunds.reduce((sum, refund) => sum + Number(refund?.['amount']), 0);
      const heldNow = Number((await getObject(run, `/v1/charges/${run.plan.chargeId}`))['amount_refunded']);
      if (heldNow !== refundedInOncepay) flag('I8', run, `amount_refunded ${heldNow} once all refunds are final, but its succeeded refunds sum to ${refundedInOncepay}`);
      if (refundedInOncepay > Number(final['amount'])) flag('I8', run, `refunds of ${refundedInOncepay} succeeded on a charge of ${final['amount']}`);
      for (const refundId of run.refundsAccepted.keys()) {
        const rows = refundRowsById.get(refundId) ?? [];
        const cameBack = (failureRowsById.get(refundId) ?? []).length;
        const refund = refundFinals.get(refundId);
        if (rows.length > 1) flag('I9', run, `refund ${refundId} moved money ${rows.length} times`);
        if (!refund) {
          flag('I3', run, `refund ${refundId} not final after the reconciler had time to converge`);
          continue;
        }
        if (refund['status'] === 'succeeded' && (rows.length !== 1 || cameBack !== 0 || rows[0]?.amount !== refund['amount'])) {
          flag('I9', run, `refund ${refundId} succeeded in oncepay with ${rows.length} processor refunds, ${cameBack} of them failed since`);
        }
        if (refund['status'] !== 'succeeded' && rows.length !== cameBack) flag('I9', run, `refund ${refundId} is ${refund['status']} but the processor refunded it (${rows.length}) and it came back ${cameBack} times`);
        const expectedStatus = run.plan.refundFault === 'refund-pending-then-fails' || run.plan.refundFault === 'refund-fails-late' ? 'failed' : null;
        if (expectedStatus && refund['status'] !== expectedStatus) flag('I9', run, `refund ${refundId} ended ${refund['status']}, expected ${expectedStatus}`);
      }
    }
    const knownRefunds = new Set(accepted.flatMap((run) => [...run.refundsAccepted.keys()]));
    for (const [refundId, rows] of refundRowsById) {
      if (!knownRefunds.has(refundId)) violations.push({ invariant: 'I9', chargeId: rows[0]?.charge_id ?? null, detail: `${rows.length} processor refunds for refund ${refundId}, which no client was answered 202 for`, history: [] });
    }

    // I4 for refunds: every accepted refund key replays byte for byte.
    for (const run of accepted) {
      for (const refund of run.plan.refunds) {
        const first = run.refundsAccepted.get(refund.refundId);
        if (first === undefined) continue;
        const replay = await postRefund(run, refund);
        if (replay.status !== 202 || replay.text !== first || !replay.replayed) flag('I4', run, `refund replay answered ${replay.status} with a different body`);
      }
    }

    // I10: every state change has exactly one event id, delivered at least once to its merchant's
    // (healthy) endpoint, never to another merchant; no event for a change that did not happen.
    // A change is an object and the state it reached: a charge's or refund's outcome, a dispute's
    // opening, each status it moved to, and its closing.
    progress('waiting for every event to reach its merchant’s receiver…');
    const changeOf = (got: { objectId: string; type: string; status: string }) => (got.type === 'charge.dispute.updated' ? `${got.objectId} ${got.type} ${got.status}` : `${got.objectId} ${got.type}`);
    const merchantOfObject = new Map<string, string>();
    const runOfObject = new Map<string, ChargeRun>();
    /** Changes that must be told; and the further ones that may have been (a late-failing refund's success, a dispute's updates). */
    const required = new Map<string, { merchantId: string; objectId: string; type: string }>();
    const allowed = new Set<string>();
    for (const run of accepted) {
      const merchantId = merchants[run.plan.merchant]?.id ?? '';
      merchantOfObject.set(run.plan.chargeId, merchantId);
      runOfObject.set(run.plan.chargeId, run);
      const final = finals.get(run.plan.chargeId);
      if (final) {
        const type = final['status'] === 'succeeded' ? 'charge.succeeded' : 'charge.failed';
        required.set(`${run.plan.chargeId} ${type}`, { merchantId, objectId: run.plan.chargeId, type });
      }
      for (const refundId of run.refundsAccepted.keys()) {
        merchantOfObject.set(refundId, merchantId);
        runOfObject.set(refundId, run);
        const refund = refundFinals.get(refundId);
        if (refund) {
          const type = refund['status'] === 'succeeded' ? 'refund.succeeded' : 'refund.failed';
          required.set(`${refundId} ${type}`, { merchantId, objectId: refundId, type });
          if (run.plan.refundFault === 'refund-fails-late') allowed.add(`${refundId} refund.succeeded`);
        }
      }
    }
    for (const { run } of stripeTruth.disputes) {
      const merchantId = merchants[run.plan.merchant]?.id ?? '';
      const disputeId = ourDisputes.get(run.plan.chargeId)?.['id'];
      if (typeof disputeId !== 'string') continue;
      merchantOfObject.set(disputeId, merchantId);
      runOfObject.set(disputeId, run);
      for (const type of ['charge.dispute.created', 'charge.dispute.closed']) required.set(`${disputeId} ${type}`, { merchantId, objectId: disputeId, type });
      for (const status of ['warning_under_review', 'under_review', 'needs_response']) allowed.add(`${disputeId} charge.dispute.updated ${status}`);
    }
    const allReceived = () => [...receivers.values()].flatMap((receiver) => receiver.received);
    const missing = () => [...required.entries()].filter(([change, expected]) => !receivers.get(expected.merchantId)?.received.some((got) => changeOf(got) === change));
    for (const until = Date.now() + 90_000; missing().length > 0 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [, expected] of missing()) flag('I10', runOfObject.get(expected.objectId) ?? null, `${expected.type} of ${expected.objectId} never reached its merchant's endpoint`);
    const idsByChange = new Map<string, Set<string>>();
    for (const got of allReceived()) {
      const change = changeOf(got);
      idsByChange.set(change, (idsByChange.get(change) ?? new Set()).add(got.eventId));
      const owner = merchantOfObject.get(got.objectId);
      const run = runOfObject.get(got.objectId) ?? null;
      if (owner !== undefined && owner !== got.receiver) flag('I10', run, `${got.type} ${got.eventId} of ${owner}'s ${got.objectId} was delivered to ${got.receiver}`);
      if (!required.has(change) && !allowed.has(change)) flag('I10', run, `${got.type} ${got.eventId} for ${got.objectId}, whose change it names did not happen`);
      if (!got.verified) flag('I10', run, `${got.eventId} arrived with a signature that does not verify`);
    }
    for (const [change, ids] of idsByChange) {
      if (ids.size > 1) flag('I10', runOfObject.get(change.split(' ')[0] ?? '') ?? null, `${ids.size} event ids for one change (${change})`);
    }
    const received = allReceived();

    const statuses = [...finals.values()].map((object) => object['status']);
    return {
      seed: options.seed,
      chargesRequested: plans.length,
      chargesAccepted: accepted.length,
      faultsPlanned,
      faultsFired,
      faultsNeverFired,
      clientRetries: clientAttempts - clientCalls,
      captures: captureRows.length,
      refundsRequested: accepted.reduce((sum, run) => sum + run.plan.refunds.length, 0),
      refundsAccepted: acceptedRefunds.length,
      refundsMoved: refundRows.length,
      webhooks: { events: new Set(received.map((got) => got.eventId)).size, deliveries: received.length },
      stripeChanges: { disputes: stripeTruth.disputes.length, refundsFailedLate: stripeTruth.refundsFailedLate.length },
      stripeAttacks: { sent: attacks.length, refused: attacks.filter((attack) => attack.status === 400).length },
      succeeded: statuses.filter((status) => status === 'succeeded').length,
      failed: statuses.filter((status) => status === 'failed').length,
      reconciliationPasses: passes,
      convergeMs,
      durationMs: Date.now() - startedAt,
      violations,
    };
  } finally {
    await Promise.all([...receivers.values()].map((receiver) => receiver.stop()));
    sqs.destroy();
    lambda.destroy();
    dynamodb.destroy();
  }
}

/** The signing secret the local stack gave the endpoint the sandbox sends Stripe's events to (in its Secrets Manager stand-in). */
async function processorWebhookSecret(stack: LocalStack): Promise<string> {
  const secrets = new SecretsManagerClient({ region: stack.region, endpoint: stack.endpoints.secretsManager, credentials: LOCAL_CREDENTIALS });
  try {
    return String((await secrets.send(new GetSecretValueCommand({ SecretId: stack.outputs['ProcessorWebhookSecretName'] }))).SecretString);
  } finally {
    secrets.destroy();
  }
}

/**
 * What Stripe (the sandbox) did on its own to the accepted charges: the dispute each disputed
 * payment ended with, and the refunds it failed after they succeeded (a refund row, then a
 * failure row in its ledger). Read once the sandbox has nothing more scheduled.
 */
async function stripeChangesOf(sandbox: { url: string; secretKey: string }, accepted: ChargeRun[], ledger: LedgerEntry[]) {
  const disputes: Array<{ run: ChargeRun; dispute: { id: string; status: string } }> = [];
  const refundsFailedLate: Array<{ run: ChargeRun; refundId: string }> = [];
  const byCharge = new Map(accepted.map((run) => [run.plan.chargeId, run]));
  for (const entry of ledger) {
    const run = byCharge.get(entry.charge_id ?? '');
    if (!run) continue;
    if (entry.kind === 'refund_failure' && entry.refund_id) refundsFailedLate.push({ run, refundId: entry.refund_id });
  }
  for (const run of accepted) {
    if (!run.plan.fault || !DISPUTE_FAULTS.has(run.plan.fault)) continue;
    const capture = ledger.find((entry) => entry.kind === 'capture' && entry.charge_id === run.plan.chargeId);
    if (!capture) continue;
    const page = (await (await fetch(`${sandbox.url}/v1/disputes?payment_intent=${capture.payment_intent}`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } })).json()) as {
      data: Array<{ id: string; status: string }>;
    };
    const [dispute] = page.data;
    // A payment refunded in full before the cardholder disputed it has nothing left to dispute.
    if (dispute) disputes.push({ run, dispute });
  }
  return { disputes, refundsFailedLate };
}

/** The report as text, as `npm run chaos` prints it. */
export function formatReport(report: ChaosReport): string {
  const lines = [
    `seed ${report.seed}: ${report.chargesAccepted}/${report.chargesRequested} charges accepted, ${report.succeeded} succeeded, ${report.failed} failed, ${report.captures} captures`,
    `refunds: ${report.refundsAccepted}/${report.refundsRequested} accepted (the rest asked for more than was left), ${report.refundsMoved} refunded at the processor`,
    `webhooks: ${report.webhooks.events} events delivered to their merchants' receivers, ${report.webhooks.deliveries} deliveries (at least once)`,
    `Stripe on its own: ${report.stripeChanges.disputes} disputes, ${report.stripeChanges.refundsFailedLate} refunds failed after succeeding; attackers' deliveries refused ${report.stripeAttacks.refused}/${report.stripeAttacks.sent}`,
    `client retries ${report.clientRetries}; reconciliation passes ${report.reconciliationPasses}; converged in ${(report.convergeMs / 1000).toFixed(1)} s; total ${(report.durationMs / 1000).toFixed(1)} s`,
    `faults planned: ${Object.entries(report.faultsPlanned).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'}`,
    `proxy faults fired: ${Object.entries(report.faultsFired).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none'}`,
    ...(report.faultsNeverFired.length > 0 ? [`proxy faults that never met their request: ${report.faultsNeverFired.join('; ')}`] : []),
    `violations: ${report.violations.length}`,
    ...report.violations.map((violation) => `  ${violation.invariant} ${violation.chargeId ?? '-'}: ${violation.detail} [${violation.history.join(' → ')}]`),
  ];
  return lines.join('\n');
}
