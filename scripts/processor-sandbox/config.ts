/** The sandbox's timing, which tests and the chaos harness change while it runs. */
export interface SandboxConfig {
  /**
   * How old an intent must be before search finds it. Stripe documents search as "less than a
   * minute" behind, and up to an hour during incidents: nothing may rely on it for
   * read-after-write.
   */
  searchLagMs: number;
  /** How long a saved result is replayed for its Idempotency-Key (Stripe: 24 hours). */
  idempotencyKeyTtlMs: number;
  /** How long the `pm_sandbox_processing…` payments stay `processing`, and the `pm_sandbox_refundPending…` refunds `pending`. */
  processingMs: number;
  /** How long every API request takes; a POST's key is in flight (409 to others) meanwhile. */
  latencyMs: number;
  /**
   * Requests per second the account may make; above it Stripe answers 429 `rate_limit`.
   * Stripe's default is 25 in test mode (100 in live mode); 0 turns the limit off.
   */
  rateLimitPerSecond: number;
  /**
   * Stripe's "later", which on Stripe is days: how long after a payment succeeds its cardholder
   * disputes it (the dispute cards), and after a refund succeeds it fails (`pm_card_refundFail`).
   */
  disputeAfterMs: number;
  refundFailAfterMs: number;
  /** How long a dispute the sandbox closes itself (`pm_sandbox_disputeThen…`) stays open; it is under review from half of it. */
  disputeCloseMs: number;
  /** The first webhook retry's delay; each later one doubles it. */
  webhookRetryMs: number;
  /** Webhook attempts per event, the first included (Stripe's test mode: three retries over a few hours). */
  webhookAttempts: number;
}

export const DEFAULT_CONFIG: Readonly<SandboxConfig> = {
  searchLagMs: 1000,
  idempotencyKeyTtlMs: 24 * 60 * 60 * 1000,
  processingMs: 2000,
  latencyMs: 0,
  rateLimitPerSecond: 25,
  disputeAfterMs: 3000,
  refundFailAfterMs: 3000,
  disputeCloseMs: 6000,
  webhookRetryMs: 2000,
  webhookAttempts: 4,
};

/** setTimeout's limit (about 24.8 days); longer delays would fire at once. */
const MAX_MS = 2 ** 31 - 1;

export class InvalidConfigError extends Error {}

/** Checks a partial configuration: only known fields, each a whole number (milliseconds, or requests per second). */
export function parseConfigPatch(input: unknown): Partial<SandboxConfig> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidConfigError('The configuration must be a JSON object.');
  }
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(DEFAULT_CONFIG, name)) {
      throw new InvalidConfigError(`Unknown setting "${name}"; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}.`);
    }
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_MS) {
      const unit = name === 'rateLimitPerSecond' ? 'requests per second' : name === 'webhookAttempts' ? 'attempts' : 'milliseconds';
      throw new InvalidConfigError(`"${name}" must be a whole number of ${unit} from 0 to ${MAX_MS}.`);
    }
  }
  return input as Partial<SandboxConfig>;
}
