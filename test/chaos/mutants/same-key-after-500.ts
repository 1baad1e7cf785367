// Mutant: every attempt asks the processor with the charge's first keys, however the last answer went:
// a 500 that Stripe keeps for its key is answered again to every retry for a day.
export * from '../../../functions/domain/charge.ts';

export function prepareKeyFor(chargeId: string): string {
  return `oncepay_${chargeId}_prepare`;
}

export function confirmKeyFor(chargeId: string): string {
  return `oncepay_${chargeId}_confirm`;
}
