/**
 * Typed, validated settings per deployment stage. Everything time-related that the local
 * runner must honour (timeouts, visibility, batch size, maxReceiveCount) lives here and
 * reaches the runner only through the synthesized template.
 */
export interface StageConfig {
  stage: string;
  /** `true` where the stage is disposable (local, dev): tables are destroyed with the stack. */
  disposable: boolean;
  api: {
    functionTimeoutSeconds: number;
    throttleRatePerSecond: number;
    throttleBurst: number;
  };
  worker: {
    timeoutSeconds: number;
    batchSize: number;
    maxBatchingWindowSeconds: number;
    /** Caps concurrent worker invocations, protecting the processor's rate limits (≥ 2). */
    maxConcurrency: number;
  };
  queue: {
    visibilityTimeoutSeconds: number;
    maxReceiveCount: number;
  };
  retry: { baseDelaySeconds: number; maxDelaySeconds: number };
  reconciler: {
    /** How often the EventBridge schedule runs a pass. */
    periodMinutes: number;
    timeoutSeconds: number;
    /**
     * A charge with no progress for this long is stuck: longer than a worker's lease plus the
     * longest retry backoff, so a charge merely waiting out its backoff is never taken for stuck.
     */
    stuckAfterSeconds: number;
    /**
     * An open charge this old whose outcome the processor has not settled is flagged for a
     * person (alarm, `review list`); it stays open and keeps being looked at.
     */
    reviewAfterSeconds: number;
  };
  processor: {
    /** Stripe's API, or the sandbox locally. */
    apiUrl: string;
    /** Name of the Secrets Manager secret holding the processor's secret key (plain text). */
    secretName: string;
    /** Per processor request; an attempt makes up to {@link PROCESSOR_CALLS_PER_ATTEMPT} of them. */
    timeoutMs: number;
  };
  /** How long a key keeps referring to its charge; expiry is checked in code. */
  idempotencyRetentionHours: number;
  /**
   * How long charge records are kept before DynamoDB TTL purges them (data retention).
   * Never shorter than the idempotency retention: TTL only cleans up.
   */
  chargeRecordRetentionDays: number;
  logRetentionDays: number;
}

const STAGES: Record<string, StageConfig> = {
  local: {
    stage: 'local',
    disposable: true,
    api: { functionTimeoutSeconds: 5, throttleRatePerSecond: 1000, throttleBurst: 2000 },
    worker: { timeoutSeconds: 3, batchSize: 10, maxBatchingWindowSeconds: 0, maxConcurrency: 2 },
    queue: { visibilityTimeoutSeconds: 18, maxReceiveCount: 5 },
    retry: { baseDelaySeconds: 1, maxDelaySeconds: 4 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 10, stuckAfterSeconds: 8, reviewAfterSeconds: 20 },
    processor: { apiUrl: 'http://127.0.0.1:12111', secretName: 'oncepay/local/processor-secret-key', timeoutMs: 500 },
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 30,
    logRetentionDays: 1,
  },
  dev: {
    stage: 'dev',
    disposable: true,
    api: { functionTimeoutSeconds: 10, throttleRatePerSecond: 50, throttleBurst: 100 },
    worker: { timeoutSeconds: 30, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 5 },
    queue: { visibilityTimeoutSeconds: 190, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 60, stuckAfterSeconds: 360, reviewAfterSeconds: 3600 },
    processor: { apiUrl: 'https://api.stripe.com', secretName: 'oncepay/dev/stripe-secret-key', timeoutMs: 6_000 },
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 90,
    logRetentionDays: 14,
  },
  prod: {
    stage: 'prod',
    disposable: false,
    api: { functionTimeoutSeconds: 10, throttleRatePerSecond: 500, throttleBurst: 1000 },
    worker: { timeoutSeconds: 30, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 50 },
    queue: { visibilityTimeoutSeconds: 190, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 60, stuckAfterSeconds: 360, reviewAfterSeconds: 3600 },
    processor: { apiUrl: 'https://api.stripe.com', secretName: 'oncepay/prod/stripe-secret-key', timeoutMs: 6_000 },
    idempotencyRetentionHours: 72,
    // Seven years: the usual bookkeeping retention for payment records.
    chargeRecordRetentionDays: 2557,
    logRetentionDays: 90,
  },
};

export class StageConfigError extends Error {}

const STRIPE_API_URL = 'https://api.stripe.com';

/** A worker attempt may create, retrieve, confirm and cancel: four processor requests in a row. */
export const PROCESSOR_CALLS_PER_ATTEMPT = 4;

/**
 * The config of a named stage, with per-deployment overrides (e.g. the local runner's
 * sandbox URL). Throws {@link StageConfigError} for an unknown stage or unsafe values.
 */
export function stageConfig(stage: string, overrides: { processorApiUrl?: string } = {}): StageConfig {
  const base = STAGES[stage];
  if (!base) throw new StageConfigError(`Unknown stage "${stage}"; expected one of ${Object.keys(STAGES).join(', ')}`);
  const config: StageConfig = {
    ...base,
    processor: { ...base.processor, ...(overrides.processorApiUrl ? { apiUrl: overrides.processorApiUrl } : {}) },
  };
  validate(config);
  return config;
}

export function stageNames(): string[] {
  return Object.keys(STAGES);
}

function validate(config: StageConfig): void {
  const fail = (message: string) => {
    throw new StageConfigError(`Stage ${config.stage}: ${message}`);
  };
  if (config.queue.visibilityTimeoutSeconds < 6 * config.worker.timeoutSeconds + config.worker.maxBatchingWindowSeconds) {
    fail('queue visibility timeout must be at least 6× the worker timeout plus the batching window (AWS guidance for SQS event sources)');
  }
  if (config.queue.maxReceiveCount < 5) fail('maxReceiveCount must be at least 5');
  if (config.worker.batchSize < 1 || config.worker.batchSize > 10) fail('batch size must be 1–10');
  if (config.worker.maxConcurrency < 2) fail('worker maxConcurrency must be at least 2 (an SQS event source minimum)');
  if (PROCESSOR_CALLS_PER_ATTEMPT * config.processor.timeoutMs + 1000 > config.worker.timeoutSeconds * 1000) {
    fail(`the worker timeout must hold ${PROCESSOR_CALLS_PER_ATTEMPT} processor timeouts plus a second to record the outcome`);
  }
  if (config.reconciler.stuckAfterSeconds <= config.retry.maxDelaySeconds + config.worker.timeoutSeconds) {
    fail('reconciler stuckAfterSeconds must exceed the longest retry backoff plus the worker timeout, so a charge waiting out its backoff is never taken for stuck');
  }
  if (config.reconciler.reviewAfterSeconds <= config.reconciler.stuckAfterSeconds) {
    fail('reconciler reviewAfterSeconds must exceed stuckAfterSeconds');
  }
  if (config.reconciler.periodMinutes < 1) fail('the reconciler period is at least 1 minute (EventBridge rate)');
  if (config.idempotencyRetentionHours < 24) fail('idempotency keys must be kept at least 24 hours');
  if (config.chargeRecordRetentionDays * 24 < config.idempotencyRetentionHours) {
    fail('charge records must be kept at least as long as idempotency keys');
  }
  if (!/^https?:\/\//.test(config.processor.apiUrl)) fail('processor apiUrl must be an http(s) URL');
  // A kept stage moves real money: only Stripe itself, over TLS (never a sandbox that "succeeds" without capturing).
  if (!config.disposable && config.processor.apiUrl !== STRIPE_API_URL) fail(`processor apiUrl must be ${STRIPE_API_URL} in a stage that is not disposable`);
}
