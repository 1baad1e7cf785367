import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { reconcile, type ReconcileDeps, type ReconcileReport } from '#domain/reconcile.ts';

export interface ReconcilerDeps {
  useCaseDeps: () => Promise<ReconcileDeps>;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The scheduled reconciler (also invoked on demand by `npm run cli -- reconcile`). Runs one
 * pass, logs and publishes its counts, and returns the report.
 */
export function reconcilerHandler(deps: ReconcilerDeps) {
  return async (_event: unknown, context: Context): Promise<ReconcileReport> => {
    deps.logger.addContext(context);
    const report = await reconcile(await deps.useCaseDeps(), {
      leaseOwner: `reconciler/${context.awsRequestId}`,
      // Keep a margin to write the outcome before the invocation ends.
      leaseDurationMs: Math.max(1000, context.getRemainingTimeInMillis() - 1000),
    });
    deps.metrics.addMetric('StuckChargesFound', MetricUnit.Count, report.found);
    deps.metrics.addMetric('ChargesFixed', MetricUnit.Count, report.fixed);
    deps.metrics.addMetric('ChargesReEnqueued', MetricUnit.Count, report.reEnqueued);
    deps.metrics.addMetric('ChargesNeedingReview', MetricUnit.Count, report.needsReview);
    deps.metrics.addMetric('DeadLettersReceived', MetricUnit.Count, report.deadLetters.received);
    deps.metrics.addMetric('DeadLettersUnresolvable', MetricUnit.Count, report.deadLetters.unresolvable);
    deps.metrics.publishStoredMetrics();
    const { actions, ...counts } = report;
    deps.logger.info('Reconciliation pass', { ...counts, actions: actions.filter((action) => action.action !== 'in_progress') });
    return report;
  };
}
