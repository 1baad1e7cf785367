/** The processor's mode: `live` moves real money, `test` never does. A stage has one (`PROCESSOR_MODE`). */
export type ProcessorMode = 'test' | 'live';

export function isProcessorMode(value: string): value is ProcessorMode {
  return value === 'test' || value === 'live';
}

/** Stripe's secret (`sk_`) and restricted (`rk_`) API keys, and their mode. Publishable keys (`pk_`) cannot make charges. */
const STRIPE_SECRET_KEY = /^(sk|rk)_(test|live)_[0-9A-Za-z_]+$/;

/** The keys a stage of this mode accepts, as a person would type them into its secret. */
export function acceptedKeys(mode: ProcessorMode): string {
  return `a ${mode} secret key (sk_${mode}_…) or restricted key (rk_${mode}_…)`;
}

/**
 * What is wrong with a key for a stage of `mode`, in words that never show the key (a
 * prefix at most); `null` when it fits. A test key on a live stage would make charges
 * "succeed" with no money moving; a live key on a test stage would move real money.
 */
export function stripeKeyProblem(key: string, mode: ProcessorMode): string | null {
  const match = STRIPE_SECRET_KEY.exec(key);
  if (!match) return 'is not a Stripe secret or restricted key';
  const keyMode = match[2] as ProcessorMode;
  if (keyMode === mode) return null;
  return keyMode === 'test'
    ? `is a test key (${match[1]}_test_…) on a live stage: charges would "succeed" with no money moving`
    : `is a live key (${match[1]}_live_…) on a test stage: it would move real money`;
}
