import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    globalSetup: ['./test/support/build-client.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'components',
          include: ['test/components/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          // Synthesizing bundles every function with esbuild: seconds, more on a busy machine.
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // The suite behind an HTTP API (payload 2.0): global-setup.ts starts that stack for this project's name.
          // Left out here: the two files about faults behind the queue (the worker, the reconciler, Stripe's
          // answers), whose API calls are the ones the other files make; `ONCEPAY_HTTP_API_FULL=1 npm test --
          // --project integration-http-api` runs them too (docs/development.md).
          name: 'integration-http-api',
          include: ['test/integration/**/*.test.ts'],
          exclude: process.env['ONCEPAY_HTTP_API_FULL'] === '1' ? [] : ['test/integration/partial-failures.test.ts', 'test/integration/processor-truth.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'load',
          include: ['test/chaos/**/*.test.ts', 'test/bench/**/*.test.ts'],
          testTimeout: 400_000,
          // After the other projects: it starts its own stacks and loads both cores.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
