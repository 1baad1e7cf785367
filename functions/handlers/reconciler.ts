import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { catchUpProcessorEvents, type CatchUpDeps, type CatchUpReport } from '#domain/processor-event-catch-up.ts';
import { reconcile, type ReconcileAction, type ReconcileDeps, type ReconcileReport } from '#domain/reconcile.ts';

export interface ReconcilerDeps {
  useCaseDeps: ReconcileDeps;
  /** The catch-up over the processor's Events API that runs first in every pass. */
  catchUpDeps: CatchUpDeps;
  logger: Logger;
  metrics: Metrics;
  /**
   * The longest one item can take once started: a processor lookup that times out (the SDK may
   * retry a dropped connection once: two timeouts) plus its DynamoDB writes. No item starts
   * with less time left, so the pass always reports and publishes its heartbeat.
   */
  itemBudgetMs: number;
}
/** Counts are flushed to CloudWatch at least this often during a pass. */
const PUBLISH_EVERY_ACTIONS = 50;

const METRIC_OF_ACTION: Partial<Record<ReconcileAction, string>> = {
  finalized: 'ChargesFixed',
  re_enqueued: 'ChargesReEnqueued',
  flagged_for_review: 'ChargesFlaggedForReview',
  error: 'ReconcilerErrors',
};

/** What one invocation did: the pass, and the catch-up over the processor's events before it. */
export interface ReconcilerReport extends ReconcileReport {
  processorEvents: CatchUpReport | null;
}

/**
 * The scheduled reconciler (also invoked on demand by `npm run cli -- reconcile`). First catches
 * up with the processor's events (so a lost webhook is received within a pass;
 * `ProcessorEventsCursorLagSeconds` is alarmed past an hour), then runs one pass inside the
 * invocation's time, publishing counts as it goes, and at the end the number of charges waiting
 * for a person (`ChargesInReview`) and a heartbeat (`ReconcilerPassCompleted`), whose absence is alarmed.
 */
export function reconcilerHandler(deps: ReconcilerDeps) {
  return async (_event: unknown, context: Context): Promise<ReconcilerReport> => {
    deps.logger.addContext(context);
    const invocationEnds = Date.now() + context.getRemainingTimeInMillis();
    let processorEvents: CatchUpReport | null = null;
    try {
      processorEvents = await catchUpProcessorEvents(deps.catchUpDeps, invocationEnds - deps.itemBudgetMs);
      deps.metrics.addMetric('ProcessorEventsCaughtUp', MetricUnit.Count, processorEvents.caughtUp);
      deps.metrics.addMetric('ProcessorEventsCursorLagSeconds', MetricUnit.Seconds, processorEvents.cursorLagSeconds);
    } catch (error) {
      // The cursor did not move: the next pass reads the same events again.
      deps.metrics.addMetric('ReconcilerErrors', MetricUnit.Count, 1);
      deps.logger.error('Catching up with the processor’s events failed; the next pass reads them again', { error: error as Error });
    }
    let unpublished = 0;
    const report = await reconcile(deps.useCaseDeps, {
      leaseOwner: `reconciler/${context.awsRequestId}`,
      // Keep a margin to write the outcome before the invocation ends.
      leaseDurationMs: Math.max(1000, invocationEnds - Date.now() - 1000),
      deadline: invocationEnds - deps.itemBudgetMs,
      onAction: (entry) => {
        if (entry.source === 'stuck' && entry.action !== 'error') deps.metrics.addMetric('StuckChargesFound', MetricUnit.Count, 1);
        if (entry.source === 'dead_letter') deps.metrics.addMetric('DeadLettersReceived', MetricUnit.Count, 1);
        if (entry.source === 'dead_letter' && entry.action === 'unresolvable') deps.metrics.addMetric('DeadLettersUnresolvable', MetricUnit.Count, 1);
        const metric = METRIC_OF_ACTION[entry.action];
        if (metric) deps.metrics.addMetric(metric, MetricUnit.Count, 1);
        if (entry.action === 'error') deps.logger.error('Reconciliation of one item failed; the pass goes on', { ...entry });
        unpublished += 1;
        if (unpublished >= PUBLISH_EVERY_ACTIONS) {
          deps.metrics.publishStoredMetrics();
          unpublished = 0;
        }
      },
    });
    deps.metrics.addMetric('ChargesInReview', MetricUnit.Count, report.inReview);
    if (report.completed && processorEvents !== null) deps.metrics.addMetric('ReconcilerPassCompleted', MetricUnit.Count, 1);
    deps.metrics.publishStoredMetrics();
    const { actions, ...counts } = report;
    deps.logger.info('Reconciliation pass', { ...counts, processorEvents, actions: actions.filter((action) => action.action !== 'in_progress') });
    return { ...report, processorEvents };
  };
}
