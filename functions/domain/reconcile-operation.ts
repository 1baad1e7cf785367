import { ProcessorConfigurationError, ProcessorUnavailableError } from './errors.ts';
import type { Lease, Review } from './ports.ts';

/**
 * What the reconciler does the same way for every money operation (a charge, a refund): decide
 * whether one is stuck, give one that never reached the processor back to the workers once,
 * release one the processor has not decided, and flag one that has been open too long for a
 * person. Settling an operation from the processor's word is the operation's own.
 */

/** What one pass did to one operation or dead letter. */
export type ReconcileAction =
  | 'finalized'
  | 're_enqueued'
  | 'flagged_for_review'
  | 'already_final'
  | 'in_progress'
  | 'deferred'
  | 'unresolvable'
  /** A dead-lettered processor event looked into: its object is as the processor says. */
  | 'event_handled'
  | 'error';

export interface ReconcileTiming {
  now: () => number;
  /** An operation counts as stuck once no worker made progress on it for this long. */
  stuckAfterMs: number;
  /** An open operation this old whose outcome is still not settled is flagged for a person. */
  reviewAfterMs: number;
}

/** One operation as the reconciler sees it. */
export interface OpenOperation {
  id: string;
  status: string;
  terminal: boolean;
  createdAt: number;
  updatedAt: number;
  lease: Lease | null;
  review: Review | null;
  /** Nothing of it can have reached the processor: the workers can simply be given it again. */
  neverSent: boolean;
}

/** The lifecycle's writes the reconciler uses, for one kind of operation. */
export interface ReconcilableOperations {
  touchStalePending: (id: string, staleBefore: number, now: number, toucher: string) => Promise<boolean>;
  enqueue: (id: string) => Promise<void>;
  flagForReview: (id: string, review: Review) => Promise<void>;
}

/**
 * An operation no worker made progress on for `stuckAfterMs`. One that never reached the
 * processor goes back to the workers, once (only the pass whose conditional touch wins enqueues
 * it); any other is settled by `resolve` against the processor. `null` when it turns out not
 * to be stuck: final, touched lately, or under a live lease.
 */
export async function reconcileStuck(
  timing: ReconcileTiming,
  operations: ReconcilableOperations,
  current: OpenOperation | undefined,
  toucher: string,
  neverSentReason: string,
  resolve: () => Promise<ReconcileAction>,
): Promise<ReconcileAction | null> {
  if (!current || current.terminal) return null;
  const now = timing.now();
  const staleBefore = now - timing.stuckAfterMs;
  if (current.updatedAt >= staleBefore) return null;
  if (current.status === 'processing' && current.lease && current.lease.expiresAt > now) return null;
  if (current.status === 'pending' && current.neverSent) {
    if (!(await operations.touchStalePending(current.id, staleBefore, now, toucher))) return 'in_progress';
    await operations.enqueue(current.id);
    return (await flagIfOverdue(timing, operations, current, neverSentReason)) ?? 're_enqueued';
  }
  return resolve();
}

/**
 * A lookup at the processor failed while the pass held the lease: handed back, and left for a
 * later pass when the processor was unavailable; flagged for a person when the processor
 * refused oncepay itself (a revoked or restricted key), which no retry fixes.
 */
export async function lookupFailed(
  timing: ReconcileTiming,
  operations: ReconcilableOperations,
  operation: Pick<OpenOperation, 'id' | 'review'>,
  error: unknown,
  release: () => Promise<void>,
  what: string,
): Promise<ReconcileAction> {
  await release();
  if (error instanceof ProcessorUnavailableError) return 'deferred';
  if (error instanceof ProcessorConfigurationError) {
    return (await flag(timing, operations, operation, `the processor refused the lookup of ${what}: ${error.message}`)) ?? 'deferred';
  }
  throw error;
}

/** Flags the operation when it has been open longer than `reviewAfterMs`; `null` when it was not. */
export async function flagIfOverdue(
  timing: ReconcileTiming,
  operations: ReconcilableOperations,
  operation: Pick<OpenOperation, 'id' | 'review' | 'createdAt'>,
  reason: string,
): Promise<ReconcileAction | null> {
  if (timing.now() - operation.createdAt < timing.reviewAfterMs) return null;
  return flag(timing, operations, operation, `open for more than ${Math.round(timing.reviewAfterMs / 1000)} s: ${reason}`);
}

/** `flagged_for_review` when this pass flagged it, `null` when it was flagged before. */
async function flag(timing: ReconcileTiming, operations: ReconcilableOperations, operation: Pick<OpenOperation, 'id' | 'review'>, reason: string): Promise<ReconcileAction | null> {
  if (operation.review) return null;
  await operations.flagForReview(operation.id, { reason, since: timing.now() });
  return 'flagged_for_review';
}
