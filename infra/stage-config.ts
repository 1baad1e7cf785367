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
    /** A charge with no progress for this long is stuck; longer than a worker's lease. */
    stuckAfterSeconds: number;
  };
  processor: {
    /** Stripe's API, or the sandbox locally. */
    apiUrl: string;
    /** Name of the Secrets Manager secret holding the processor's secret key (plain text). */
    secretName: string;
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
    worker: { timeoutSeconds: 2, batchSize: 10, maxBatchingWindowSeconds: 0, maxConcurrency: 2 },
    queue: { visibilityTimeoutSeconds: 12, maxReceiveCount: 5 },
    retry: { baseDelaySeconds: 1, maxDelaySeconds: 8 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 10, stuckAfterSeconds: 5 },
    processor: { apiUrl: 'http://127.0.0.1:12111', secretName: 'oncepay/local/processor-secret-key', timeoutMs: 1000 },
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 30,
    logRetentionDays: 1,
  },
  dev: {
    stage: 'dev',
    disposable: true,
    api: { functionTimeoutSeconds: 10, throttleRatePerSecond: 50, throttleBurst: 100 },
    worker: { timeoutSeconds: 30, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 5 },
    queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 60, stuckAfterSeconds: 120 },
    processor: { apiUrl: 'https://api.stripe.com', secretName: 'oncepay/dev/stripe-secret-key', timeoutMs: 20_000 },
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 90,
    logRetentionDays: 14,
  },
  prod: {
    stage: 'prod',
    disposable: false,
    api: { functionTimeoutSeconds: 10, throttleRatePerSecond: 500, throttleBurst: 1000 },
    worker: { timeoutSeconds: 30, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 50 },
    queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 900 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 60, stuckAfterSeconds: 120 },
    processor: { apiUrl: 'https://api.stripe.com', secretName: 'oncepay/prod/stripe-secret-key', timeoutMs: 20_000 },
    idempotencyRetentionHours: 72,
    // Seven years: the usual bookkeeping retention for payment records.
    chargeRecordRetentionDays: 2557,
    logRetentionDays: 90,
  },
};

export class StageConfigError extends Error {}

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
  if (config.queue.visibilityTimeoutSeconds < 6 * config.worker.timeoutSeconds) {
    fail('queue visibility timeout must be at least 6× the worker timeout (AWS guidance for SQS event sources)');
  }
  if (config.queue.maxReceiveCount < 5) fail('maxReceiveCount must be at least 5');
  if (config.worker.batchSize < 1 || config.worker.batchSize > 10) fail('batch size must be 1–10');
  if (config.worker.maxConcurrency < 2) fail('worker maxConcurrency must be at least 2 (an SQS event source minimum)');
  if (config.processor.timeoutMs >= config.worker.timeoutSeconds * 1000) {
    fail('the processor timeout must leave the worker time to record the outcome');
  }
  if (config.reconciler.stuckAfterSeconds <= 2 * config.worker.timeoutSeconds) {
    fail('reconciler stuckAfterSeconds must exceed twice the worker timeout, so live leases are never taken for stuck');
  }
  if (config.reconciler.periodMinutes < 1) fail('the reconciler period is at least 1 minute (EventBridge rate)');
  if (config.idempotencyRetentionHours < 24) fail('idempotency keys must be kept at least 24 hours');
  if (config.chargeRecordRetentionDays * 24 < config.idempotencyRetentionHours) {
    fail('charge records must be kept at least as long as idempotency keys');
  }
  if (!/^https?:\/\//.test(config.processor.apiUrl)) fail('processor apiUrl must be an http(s) URL');
}
