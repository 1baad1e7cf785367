// Mutant: the reconciler never pages the processor's Events API: an event whose webhook is lost is never heard.
import type { CatchUpDeps, CatchUpReport } from '../../../functions/domain/processor-event-catch-up.ts';

export * from '../../../functions/domain/processor-event-catch-up.ts';

export async function catchUpProcessorEvents(_deps: CatchUpDeps, _deadline: number): Promise<CatchUpReport> {
  return { listed: 0, caughtUp: 0, cursorLagSeconds: 0, completed: true };
}
