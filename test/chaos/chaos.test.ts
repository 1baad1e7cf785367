/**
 * The chaos harness, bounded for CI: a few fixed seeds with every fault must show no violation,
 * and the harness must catch a system with one protection switched off.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, formatReport, runChaos, type FaultKind } from '../../scripts/chaos/harness.ts';
import { buildMutantBundle } from './build-mutant.ts';

describe('chaos: every fault, fixed seeds', () => {
  it.each([1, 2])('seed %i: 150 charges with every fault kind, no violation of I1–I7', async (seed) => {
    const report = await runChaos({ charges: 150, merchants: 3, seed, faults: FAULT_KINDS });
    expect(report.violations, formatReport(report)).toEqual([]);
    expect(report.chargesAccepted).toBe(150);
    expect(Object.keys(report.faultsPlanned).length).toBeGreaterThan(10);
  });
});

describe('chaos: the harness catches a broken system', () => {
  const cases: Array<{
    protection: string;
    overrides: () => Promise<Record<string, string>>;
    faults: FaultKind[];
    expected: string[];
  }> = [
    {
      protection: 'the stable processor idempotency key',
      overrides: async () => {
        const mutant = ['functions/domain/charge.ts', 'test/chaos/mutants/random-processor-key.ts'] as const;
        return {
          ServiceWorkerFunction: await buildMutantBundle('functions/entrypoints/worker.ts', ...mutant),
          ServiceReconcilerFunction: await buildMutantBundle('functions/entrypoints/reconciler.ts', ...mutant),
        };
      },
      faults: ['processor-timeout-after-capture'],
      expected: ['I1'],
    },
    {
      protection: 'retrying an unknown processor outcome',
      overrides: async () => {
        const mutant = ['functions/adapters/processor/stripe-card-processor.ts', 'test/chaos/mutants/unknown-outcome-is-a-decline.ts'] as const;
        return {
          ServiceWorkerFunction: await buildMutantBundle('functions/entrypoints/worker.ts', ...mutant),
          ServiceReconcilerFunction: await buildMutantBundle('functions/entrypoints/reconciler.ts', ...mutant),
        };
      },
      faults: ['processor-timeout-after-capture'],
      expected: ['I6', 'I7'],
    },
    {
      protection: 'the conditional write that claims (merchant, key)',
      overrides: async () => ({
        ServiceCreateChargeFunction: await buildMutantBundle(
          'functions/entrypoints/create-charge.ts',
          'functions/adapters/dynamodb-charge-repository.ts',
          'test/chaos/mutants/unconditional-create.ts',
        ),
      }),
      faults: ['lost-client-response'],
      expected: ['I4'],
    },
  ];

  it.each(cases)('switching off $protection is reported as $expected', async ({ overrides, faults, expected }) => {
    const report = await runChaos({
      charges: 40,
      merchants: 2,
      seed: 7,
      faults,
      faultRate: 0.5,
      convergeTimeoutMs: 30_000,
      bundleOverrides: await overrides(),
    });
    const found = new Set(report.violations.map((violation) => violation.invariant));
    for (const invariant of expected) expect([...found], formatReport(report)).toContain(invariant);
  });
});
