// Mutant: the reconciler answers a dead letter from Stripe's search, and takes "not found" as
// "never charged" (what oncepay once did): the charge is failed although the capture is real.
import type Stripe from 'stripe';
import { parseWorkMessage } from '../../../functions/domain/work-message.ts';
import type { DeadLetterQueue } from '../../../functions/domain/ports.ts';
import { reconcile as realReconcile, type ReconcileDeps, type ReconcileInput, type ReconcileReport } from '../../../functions/domain/reconcile.ts';

export * from '../../../functions/domain/reconcile.ts';

export async function reconcile(deps: ReconcileDeps, input: ReconcileInput): Promise<ReconcileReport> {
  // The adapter's Stripe client for its current key (a private method: this is a mutant).
  const stripe = await (deps.processor as unknown as { client(): Promise<Stripe> }).client();
  const searchFirst: DeadLetterQueue = {
    receive: async (max, hideForSeconds) => {
      const letters = await deps.deadLetters.receive(max, hideForSeconds);
      const left = [];
      for (const letter of letters) {
        const item = parseWorkMessage(letter.body);
        const chargeId = item?.kind === 'charge' ? item.id : null;
        const found = chargeId ? await stripe.paymentIntents.search({ query: `metadata['oncepay_charge_id']:'${chargeId}'` }) : null;
        if (!chargeId || (found?.data.length ?? 0) > 0) {
          left.push(letter);
          continue;
        }
        const now = deps.now();
        const claim = await deps.charges.claim(chargeId, { owner: input.leaseOwner, expiresAt: now + input.leaseDurationMs }, now);
        if (claim.kind !== 'claimed') {
          left.push(letter);
          continue;
        }
        const failed = { kind: 'failed', paymentId: null, code: 'needs_review', declineCode: null, message: 'unknown to the processor' } as const;
        await deps.charges.complete(chargeId, input.leaseOwner, failed, deps.now());
        await deps.deadLetters.delete(letter);
      }
      return left;
    },
    delete: (letter) => deps.deadLetters.delete(letter),
  };
  return realReconcile({ ...deps, deadLetters: searchFirst }, input);
}
