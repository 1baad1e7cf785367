/**
 * The chaos harness, bounded for CI: a few fixed seeds with every fault must show no violation,
 * and the harness must catch a system with one protection switched off.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, formatReport, runChaos, type FaultKind } from '../../scripts/chaos/harness.ts';
import { buildMutantBundle } from './build-mutant.ts';

describe('chaos: every fault, fixed seeds', () => {
  it.each([1, 2])('seed %i: 150 charges, their refunds, disputes and webhooks with every fault kind, no violation of I1–I12', async (seed) => {
    const report = await runChaos({ charges: 150, merchants: 3, seed, faults: FAULT_KINDS });
    expect(report.violations, formatReport(report)).toEqual([]);
    expect(report.faultsNeverFired, formatReport(report)).toEqual([]);
    expect(report.chargesAccepted).toBe(150);
    expect(report.refundsAccepted).toBeGreaterThan(20);
    expect(report.refundsMoved).toBeGreaterThan(15);
    expect(report.webhooks.events).toBeGreaterThan(150);
    expect(report.stripeChanges.disputes + report.stripeChanges.refundsFailedLate).toBeGreaterThan(0);
    expect(report.stripeAttacks.sent).toBeGreaterThan(0);
    expect(Object.keys(report.faultsPlanned).length).toBeGreaterThan(25);
  });
});

describe('chaos: the harness catches a broken system', () => {
  type Swap = readonly [original: string, mutant: string];
  const bundles = async (swaps: Swap[], ...functions: Array<'worker' | 'reconciler'>) => {
    const entries = { worker: 'ServiceWorkerFunction', reconciler: 'ServiceReconcilerFunction' } as const;
    const built: Record<string, string> = {};
    for (const name of functions) built[entries[name]] = await buildMutantBundle(`functions/entrypoints/${name}.ts`, ...swaps);
    return built;
  };
  const cases: Array<{
    protection: string;
    overrides: () => Promise<Record<string, string>>;
    /** A mutant of the merchants' client instead of a function's. */
    clientModule?: () => Promise<string>;
    faults: FaultKind[];
    expected: string[];
    refundRate?: number;
    faultRate?: number;
    stripeWebhooksDown?: boolean;
  }> = [
    {
      protection: 'confirming only the payment recorded on the charge',
      overrides: () => bundles([['functions/domain/process-charge.ts', 'test/chaos/mutants/confirm-unrecorded-payment.ts']], 'worker'),
      faults: ['processor-timeout-after-capture', 'short-processor-key-window'],
      expected: ['I1'],
    },
    {
      // Stripe's payment_intent.succeeded would settle the charge before the dead letter is read
      // (a second protection): the run hears nothing from Stripe, so the first one stands alone.
      protection: 'asking the processor by recorded id instead of trusting a search that lags',
      overrides: () =>
        bundles(
          [
            ['functions/domain/reconcile.ts', 'test/chaos/mutants/search-trusted.ts'],
            ['functions/domain/processor-event-catch-up.ts', 'test/chaos/mutants/no-catch-up.ts'],
          ],
          'reconciler',
        ),
      faults: ['dead-letter-while-live', 'search-lag'],
      expected: ['I6'],
      stripeWebhooksDown: true,
    },
    {
      protection: 'keeping a payment the processor has not decided open',
      overrides: () =>
        bundles([['functions/adapters/processor/stripe-card-processor.ts', 'test/chaos/mutants/non-final-is-failed.ts']], 'worker', 'reconciler'),
      faults: ['processor-processing'],
      expected: ['I2', 'I6'],
    },
    {
      protection: 'retrying an unknown processor outcome',
      overrides: () =>
        bundles([['functions/adapters/processor/stripe-card-processor.ts', 'test/chaos/mutants/unknown-outcome-is-a-decline.ts']], 'worker', 'reconciler'),
      faults: ['processor-timeout-after-capture'],
      expected: ['I6', 'I7'],
    },
    {
      protection: 'the conditional write that claims (merchant, key)',
      overrides: async () => ({
        ServiceCreateChargeFunction: await buildMutantBundle(
          'functions/entrypoints/create-charge.ts',
          ['functions/adapters/dynamodb-charge-repository.ts', 'test/chaos/mutants/unconditional-create.ts'],
        ),
      }),
      faults: ['lost-client-response'],
      expected: ['I4'],
    },
    {
      protection: 'the refund’s conditional reservation on its charge',
      overrides: async () => ({
        ServiceCreateRefundFunction: await buildMutantBundle(
          'functions/entrypoints/create-refund.ts',
          ['functions/adapters/dynamodb-refund-repository.ts', 'test/chaos/mutants/unconditional-reservation.ts'],
        ),
      }),
      faults: [],
      expected: ['I8'],
      refundRate: 1,
    },
    {
      protection: 'deciding a processor event from a retrieve, never from its payload',
      overrides: () => bundles([['functions/domain/processor-events.ts', 'test/chaos/mutants/payload-decides.ts']], 'worker', 'reconciler'),
      faults: ['dispute-won', 'dispute-lost', 'stripe-webhook-reordered'],
      expected: ['I11'],
      refundRate: 0,
      faultRate: 0.9,
    },
    {
      protection: 'the reconciler’s catch-up over the processor’s events',
      overrides: () => bundles([['functions/domain/processor-event-catch-up.ts', 'test/chaos/mutants/no-catch-up.ts']], 'reconciler'),
      faults: ['refund-fails-late', 'stripe-webhook-lost'],
      expected: ['I11'],
      refundRate: 1,
      faultRate: 0.9,
    },
    {
      protection: 'a new processor key after a 500 the processor keeps for the old one',
      overrides: () => bundles([['functions/domain/charge.ts', 'test/chaos/mutants/same-key-after-500.ts']], 'worker', 'reconciler'),
      faults: ['processor-500-before-capture', 'processor-500-on-create'],
      expected: ['I3'],
      refundRate: 0,
    },
    {
      protection: 'an event id derived from the state change',
      overrides: async () => ({
        ServiceEventsFunction: await buildMutantBundle('functions/entrypoints/events.ts', ['functions/domain/event.ts', 'test/chaos/mutants/random-event-id.ts']),
      }),
      faults: ['events-function-crash'],
      expected: ['I10'],
    },
    {
      // The merchant, told "not done", asks for the purchase anew: a second charge, captured.
      protection: 'the client’s saying when an outcome is unknown (so the merchant keeps its key)',
      overrides: async () => ({}),
      clientModule: () => buildMutantBundle('client/index.ts', ['client/errors.ts', 'test/chaos/mutants/unknown-outcome-said-known.ts']),
      faults: ['api-error-after-accept'],
      expected: ['I1', 'I2'],
      refundRate: 0,
    },
  ];

  it.each(cases)('switching off $protection is reported as $expected', async ({ overrides, clientModule, faults, expected, refundRate, faultRate, stripeWebhooksDown }) => {
    const report = await runChaos({
      ...(refundRate === undefined ? {} : { refundRate }),
      ...(stripeWebhooksDown ? { stripeWebhooksDown } : {}),
      charges: 40,
      merchants: 2,
      seed: 7,
      faults,
      faultRate: faultRate ?? 0.5,
      convergeTimeoutMs: 30_000,
      bundleOverrides: await overrides(),
      ...(clientModule ? { clientModule: await clientModule() } : {}),
    });
    const found = new Set(report.violations.map((violation) => violation.invariant));
    for (const invariant of expected) expect([...found], formatReport(report)).toContain(invariant);
  });
});
