import { mulberry32, type Random } from '../chaos/random.ts';

/**
 * The kinds of Stripe request whose latency differs: a confirm (which authorizes with the card
 * network) takes longest, a read the least.
 */
export const CALL_TYPES = ['createPayment', 'confirmPayment', 'capturePayment', 'cancelPayment', 'createRefund', 'retrieve', 'list'] as const;
export type CallType = (typeof CALL_TYPES)[number];

/** One call type's latency: log-normal with this median and 99th percentile (equal: always the median). */
export interface LatencySpec {
  medianMs: number;
  p99Ms: number;
}

/**
 * Stripe-like latency, the sandbox's default. Stripe publishes no per-endpoint latency; this is an
 * estimate: a create about 300 ms and a confirm about 800 ms at the median, a tail three times that at p99.
 */
export const STRIPE_LATENCY: Readonly<Record<CallType, LatencySpec>> = {
  createPayment: { medianMs: 300, p99Ms: 900 },
  confirmPayment: { medianMs: 800, p99Ms: 2400 },
  capturePayment: { medianMs: 500, p99Ms: 1500 },
  cancelPayment: { medianMs: 300, p99Ms: 900 },
  createRefund: { medianMs: 700, p99Ms: 2100 },
  retrieve: { medianMs: 200, p99Ms: 600 },
  list: { medianMs: 300, p99Ms: 900 },
};

/** No latency at all: for tests about something else, which would otherwise wait on every call. */
export const INSTANT_LATENCY: Readonly<Record<CallType, LatencySpec>> = Object.fromEntries(CALL_TYPES.map((type) => [type, { medianMs: 0, p99Ms: 0 }])) as Record<CallType, LatencySpec>;

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
  /**
   * How long each kind of API request takes, drawn per request from its distribution (seeded by
   * `latencySeed`, so a run can be repeated); a POST's key is in flight (409 to others) meanwhile.
   */
  latency: Record<CallType, LatencySpec>;
  latencySeed: number;
  /** A fixed delay added to every API request (tests hold a key in flight with it). */
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
  /** How long after its creation an uncaptured intent (`capture_method=manual`, `requires_capture`) is canceled by Stripe (7 days). */
  authorizationExpiryMs: number;
  /** The first webhook retry's delay; each later one doubles it. */
  webhookRetryMs: number;
  /** Webhook attempts per event, the first included (Stripe's test mode: three retries over a few hours). */
  webhookAttempts: number;
}

export const DEFAULT_CONFIG: Readonly<SandboxConfig> = {
  searchLagMs: 1000,
  idempotencyKeyTtlMs: 24 * 60 * 60 * 1000,
  processingMs: 2000,
  latency: STRIPE_LATENCY,
  latencySeed: 1,
  latencyMs: 0,
  rateLimitPerSecond: 25,
  disputeAfterMs: 3000,
  refundFailAfterMs: 3000,
  disputeCloseMs: 6000,
  authorizationExpiryMs: 7 * 24 * 60 * 60 * 1000,
  webhookRetryMs: 2000,
  webhookAttempts: 4,
};

/** setTimeout's limit (about 24.8 days); longer delays would fire at once. */
const MAX_MS = 2 ** 31 - 1;

export class InvalidConfigError extends Error {}

/** What each whole-number setting counts, where it is not milliseconds. */
const UNITS: Record<string, string> = { rateLimitPerSecond: ' of requests per second', webhookAttempts: ' of attempts', latencySeed: '' };

/** A change to the configuration: `latency` may name only some call types, which keep the rest. */
export type ConfigPatch = Partial<Omit<SandboxConfig, 'latency'>> & { latency?: Partial<Record<CallType, LatencySpec>> };

/**
 * Checks a partial configuration: only known fields, each a whole number (milliseconds, requests
 * per second, attempts, or the seed), and `latency` an object of call types.
 */
export function parseConfigPatch(input: unknown): ConfigPatch {
  if (!isObject(input)) throw new InvalidConfigError('The configuration must be a JSON object.');
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(DEFAULT_CONFIG, name)) {
      throw new InvalidConfigError(`Unknown setting "${name}"; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}.`);
    }
    if (name === 'latency') {
      checkLatency(value);
      continue;
    }
    if (!isWholeNumber(value)) {
      const unit = UNITS[name] ?? ' of milliseconds';
      throw new InvalidConfigError(`"${name}" must be a whole number${unit} from 0 to ${MAX_MS}.`);
    }
  }
  return input as ConfigPatch;
}

/** The configuration after a checked patch: `latency` merged per call type. */
export function applyConfigPatch(config: SandboxConfig, patch: ConfigPatch): SandboxConfig {
  const { latency, ...rest } = patch;
  return { ...config, ...rest, latency: { ...config.latency, ...latency } };
}

function checkLatency(value: unknown): void {
  if (!isObject(value)) throw new InvalidConfigError(`"latency" must be an object of call types (${CALL_TYPES.join(', ')}).`);
  for (const [type, spec] of Object.entries(value)) {
    if (!(CALL_TYPES as readonly string[]).includes(type)) throw new InvalidConfigError(`Unknown call type "${type}" in "latency"; known: ${CALL_TYPES.join(', ')}.`);
    const { medianMs, p99Ms, ...other } = (isObject(spec) ? spec : {}) as Record<string, unknown>;
    if (!isObject(spec) || Object.keys(other).length > 0 || !isWholeNumber(medianMs) || !isWholeNumber(p99Ms) || p99Ms < medianMs || (medianMs === 0 && p99Ms > 0)) {
      throw new InvalidConfigError(`"latency.${type}" must be {"medianMs", "p99Ms"}: whole milliseconds, p99Ms at least medianMs (both 0 for none).`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWholeNumber(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_MS;
}

/** The z-score of the 99th percentile of a standard normal distribution. */
export const Z_99 = 2.3263;

/**
 * Draws request latencies from each call type's log-normal distribution with a seeded generator
 * (Box–Muller over mulberry32), so the same seed and the same order of requests give the same delays.
 */
export class LatencySampler {
  private seed = Number.NaN;
  private random: Random = Math.random;

  /** One request's delay in whole milliseconds, capped at setTimeout's limit; a new seed restarts the sequence. */
  sample(spec: LatencySpec, seed: number): number {
    if (seed !== this.seed) {
      this.seed = seed;
      this.random = mulberry32(seed);
    }
    if (spec.p99Ms === spec.medianMs) return spec.medianMs;
    const sigma = Math.log(spec.p99Ms / spec.medianMs) / Z_99;
    const z = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return Math.min(MAX_MS, Math.round(spec.medianMs * Math.exp(sigma * z)));
  }
}
