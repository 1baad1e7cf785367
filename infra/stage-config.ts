import { backoffSeconds } from '../functions/domain/retry-backoff.ts';

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
    /**
     * `rest` (the default): gateway errors as problem+json, a WAF, X-Ray sampling at the API, and
     * LocalStack's free image serves it. `http`: $1.00 per million requests against $3.50, none
     * of those (`--context apiType=http`; a stage with a WAF needs `--context wafRateLimit=off` too).
     */
    type: 'rest' | 'http';
    functionTimeoutSeconds: number;
    throttleRatePerSecond: number;
    throttleBurst: number;
    /**
     * Serve the API on this domain (a REGIONAL custom domain, TLS 1.2+) and disable the default
     * `execute-api` endpoint. The certificate is an ACM certificate in the stack's region.
     */
    customDomain?: { domainName: string; certificateArn: string };
    /** A WAF web ACL in front of the API whose rate-based rule blocks a client IP above this many requests per 5 minutes. */
    waf?: { rateLimitPer5Minutes: number };
  };
  /**
   * Who hears the alarms: each address or URL is subscribed to the stage's alarm topic, and a
   * Slack channel through AWS Chatbot (the workspace authorised once in the Chatbot console).
   * A kept stage must page someone: its synth fails without a subscriber.
   */
  alarms: { emails: string[]; httpsUrls: string[]; slack?: { workspaceId: string; channelId: string } };
  /**
   * Lambda concurrency, so that waiting reads can never starve the money path. Reserved
   * concurrency is both a floor and a ceiling per function; the total stays under the account's
   * limit minus the 100 Lambda keeps unreserved.
   */
  concurrency: {
    /** The account's concurrent-executions quota in the region (AWS's default: 1,000; Service Quotas raises it). */
    accountLimit: number;
    /** Reserved for each function that takes or moves money: create-charge, create-refund, the Stripe-events handler. */
    moneyPathApi: number;
    /** The cap of each read function (get, list, events, disputes, webhook endpoints). */
    reads: number;
    /**
     * How many `Prefer: wait` reads of one kind (charge or refund) may wait at once; past it a
     * read is answered at once, without `Preference-Applied`, so waits never fill the read cap.
     */
    waitingReads: number;
    /** The cap of the webhook delivery function (slow merchant endpoints hold it up to 10 s each). */
    deliveries: number;
  };
  /**
   * How a new version of the functions takes traffic: CodeDeploy shifts the `live` aliases, and
   * rolls them back on an alarm. `none` (disposable stages only, for LocalStack's free image,
   * which has no CodeDeploy): the aliases move at once and nothing rolls back.
   */
  deployment: {
    trafficShift: 'canary-10-percent-5-minutes' | 'all-at-once' | 'none';
    /** Set only by `--context deployAlarms=ignore`: shift without watching the rollback alarms (a fix during an incident). */
    ignoreAlarms?: boolean;
  };
  /**
   * Webhooks: deliveries are retried with exponential backoff from `retryBaseSeconds` up to
   * `retryMaxSeconds` between attempts, for `giveUpAfterHours` (Stripe: 3 days), then the
   * endpoint is disabled. `allowLoopbackHttp` admits `http://127.0.0.1:<port>` receivers (local only).
   */
  webhooks: { allowLoopbackHttp: boolean; retryBaseSeconds: number; retryMaxSeconds: number; giveUpAfterHours: number };
  /**
   * The charge rate the tables are sized for: the open-charges index is spread over enough
   * shards that none of its partitions takes more than a DynamoDB partition's 1,000 writes/s.
   */
  capacity: {
    peakChargesPerSecond: number;
    openChargeShards: number;
    /**
     * Shards of each merchant's list partitions (merchant-lists index): one merchant may make
     * every charge of the peak, and each charge writes its list partition once.
     */
    listShards: number;
  };
  worker: {
    timeoutSeconds: number;
    batchSize: number;
    maxBatchingWindowSeconds: number;
    /** Caps concurrent worker invocations, protecting the processor's rate limits (≥ 2). */
    maxConcurrency: number;
    /** Whether one invocation works on its batch's records at once (else one after another). */
    recordsInParallel: boolean;
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
    /**
     * Name of the Secrets Manager secret holding the signing secret (`whsec_…`) of the endpoint
     * registered at the processor for `POST /webhooks/stripe` (plain text).
     */
    webhookSecretName: string;
    /** Per processor request; the worker's timeout holds {@link PROCESSOR_CALLS_ON_THE_COMMON_PATH} of them. */
    timeoutMs: number;
    /**
     * The processor's request rate limit for the account (Stripe's default: 25/s in test mode,
     * 100/s in live mode). Each worker container paces itself to its share of it.
     */
    requestsPerSecond: number;
    /** How long a function keeps the secret key before reading it again: a rotated key is in use within this, no cold start needed (≥ 1). */
    secretMaxAgeMinutes: number;
  };
  /**
   * Which secret keys a stage accepts: `test` keys with the test processor, `live` keys with the
   * live one. Also the processor's mode (`PROCESSOR_MODE`): the Stripe key's prefix and every
   * answer's `livemode` must match it.
   */
  keyMode: 'test' | 'live';
  /** How long a key keeps referring to its charge; expiry is checked in code. */
  idempotencyRetentionHours: number;
  /**
   * How long charge records are kept before DynamoDB TTL purges them (data retention).
   * Never shorter than the idempotency retention: TTL only cleans up.
   */
  chargeRecordRetentionDays: number;
  /** CloudWatch Logs retention; at least 365 days in a kept stage (PCI DSS asks for a year of audit history). */
  logRetentionDays: number;
  /**
   * X-Ray: the API stage's sampling rule (a reservoir of requests each second, then a share of
   * the rest); the functions trace only what the API sampled. Lambda's own sampling of the
   * functions event sources invoke (1 a second and 5%, not configurable) would trace nearly
   * every charge of a small stage. `null`: no rule of ours, X-Ray's default (1 a second, then 5%).
   */
  tracing: { reservoirPerSecond: number; fixedRate: number } | null;
  /** AWS Backup of the three tables (`null`: none; every kept stage has one). See {@link BackupConfig}. */
  backup: BackupConfig | null;
  /**
   * Serve from these existing tables (restored from a backup or PITR) instead of the stack's own:
   * the stateful stack then creates no tables. Also `--context restoredTables='{…}'` (JSON, same shape).
   */
  restoredTables?: RestoredTables;
}

/**
 * A daily backup kept `dailyRetentionDays`, a monthly one moved to cold storage after
 * `monthlyColdStorageAfterDays` and kept `monthlyRetentionDays`, and optionally a yearly one, in
 * a KMS-encrypted, locked vault. Each point is a whole copy of the tables, so the number of
 * points kept is the cost: the longest-kept points must cover the records' retention.
 */
export interface BackupConfig {
  dailyRetentionDays: number;
  monthlyRetentionDays: number;
  monthlyColdStorageAfterDays: number;
  /** A point on the 1st of January, moved to cold storage after `coldStorageAfterDays`, kept `retentionDays`. */
  yearly?: { retentionDays: number; coldStorageAfterDays: number };
  /**
   * AWS Backup Vault Lock: every recovery point is kept between min and max retention days.
   * `governance`: users with the IAM permission may still remove the lock or delete points;
   * `compliance`: after `changeableForDays` (≥ 3) nobody can, not even the account's root.
   */
  vaultLock: { mode: 'governance'; minRetentionDays: number; maxRetentionDays: number } | { mode: 'compliance'; minRetentionDays: number; maxRetentionDays: number; changeableForDays: number };
  /** Each recovery point is also copied to this vault of another region (`arn:aws:backup:<region>:<account>:backup-vault:<name>`). */
  copyToVaultArn?: string;
}

/**
 * Existing tables to serve from. A restore does not bring back streams, TTL, PITR or deletion
 * protection: turn them on first (docs/runbook.md); the charges table's stream is the events'
 * outbox, so its ARN is given (`aws dynamodb describe-table … LatestStreamArn`).
 */
export interface RestoredTables {
  charges: string;
  chargesStreamArn: string;
  merchants: string;
  webhooks: string;
}

const STAGES: Record<string, StageConfig> = {
  local: {
    stage: 'local',
    disposable: true,
    api: { type: 'rest', functionTimeoutSeconds: 5, throttleRatePerSecond: 1000, throttleBurst: 2000 },
    alarms: { emails: [], httpsUrls: [] },
    // The local runner honours reserved concurrency (room for the burst tests' 200 concurrent
    // requests); there is no account locally, so its limit only bounds the sum.
    concurrency: { accountLimit: 2_000, moneyPathApi: 220, reads: 100, waitingReads: 20, deliveries: 10 },
    deployment: { trafficShift: 'all-at-once' },
    capacity: { peakChargesPerSecond: 1_000, openChargeShards: 4, listShards: 4 },
    // The first retry within 10 s, so developers and tests see one.
    webhooks: { allowLoopbackHttp: true, retryBaseSeconds: 2, retryMaxSeconds: 3600, giveUpAfterHours: 72 },
    // The worker holds two processor timeouts and a second (the sandbox answers at Stripe's latency).
    worker: { timeoutSeconds: 7, batchSize: 10, maxBatchingWindowSeconds: 0, maxConcurrency: 2, recordsInParallel: true },
    queue: { visibilityTimeoutSeconds: 42, maxReceiveCount: 5 },
    retry: { baseDelaySeconds: 1, maxDelaySeconds: 4 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 20, stuckAfterSeconds: 12, reviewAfterSeconds: 24 },
    // The sandbox enforces the same limit (its `rateLimitPerSecond`), set high enough that the
    // benchmark measures oncepay rather than a test-mode cap.
    processor: {
      apiUrl: 'http://127.0.0.1:12111',
      secretName: 'oncepay/local/processor-secret-key',
      webhookSecretName: 'oncepay/local/processor-webhook-secret',
      // Above the sandbox's Stripe-like p99 (a confirm: 2.4 s), so a slow answer is waited for, not retried.
      timeoutMs: 3_000,
      requestsPerSecond: 200,
      secretMaxAgeMinutes: 5,
    },
    keyMode: 'test',
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 30,
    logRetentionDays: 1,
    tracing: { reservoirPerSecond: 1, fixedRate: 0.05 },
    backup: null,
  },
  dev: {
    stage: 'dev',
    disposable: true,
    api: { type: 'rest', functionTimeoutSeconds: 10, throttleRatePerSecond: 50, throttleBurst: 100 },
    alarms: { emails: [], httpsUrls: [] },
    concurrency: { accountLimit: 1_000, moneyPathApi: 20, reads: 10, waitingReads: 5, deliveries: 5 },
    deployment: { trafficShift: 'all-at-once' },
    capacity: { peakChargesPerSecond: 100, openChargeShards: 4, listShards: 4 },
    webhooks: { allowLoopbackHttp: false, retryBaseSeconds: 30, retryMaxSeconds: 3600, giveUpAfterHours: 72 },
    worker: { timeoutSeconds: 30, batchSize: 5, maxBatchingWindowSeconds: 1, maxConcurrency: 2, recordsInParallel: true },
    queue: { visibilityTimeoutSeconds: 190, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 50, stuckAfterSeconds: 360, reviewAfterSeconds: 3600 },
    processor: {
      apiUrl: 'https://api.stripe.com',
      secretName: 'oncepay/dev/stripe-secret-key',
      webhookSecretName: 'oncepay/dev/stripe-webhook-secret',
      timeoutMs: 6_000,
      requestsPerSecond: 25,
      secretMaxAgeMinutes: 5,
    },
    keyMode: 'test',
    idempotencyRetentionHours: 24,
    chargeRecordRetentionDays: 90,
    logRetentionDays: 14,
    tracing: { reservoirPerSecond: 1, fixedRate: 0.05 },
    backup: null,
  },
  prod: {
    stage: 'prod',
    disposable: false,
    api: { type: 'rest', functionTimeoutSeconds: 10, throttleRatePerSecond: 500, throttleBurst: 1000, waf: { rateLimitPer5Minutes: 60_000 } },
    // Who is paged: put the on-call address here (synth refuses a prod that pages no one); a
    // deploy may add more with `--context alarmEmails=a@example.com,b@example.com`.
    alarms: { emails: [], httpsUrls: [] },
    // ~10 ms of create-charge per charge at 500 charges/s is ~5 concurrent; the reserve is the burst's headroom.
    concurrency: { accountLimit: 1_000, moneyPathApi: 100, reads: 50, waitingReads: 20, deliveries: 20 },
    deployment: { trafficShift: 'canary-10-percent-5-minutes' },
    capacity: { peakChargesPerSecond: 10_000, openChargeShards: 32, listShards: 16 },
    webhooks: { allowLoopbackHttp: false, retryBaseSeconds: 30, retryMaxSeconds: 3600, giveUpAfterHours: 72 },
    // 9 workers + the reconciler share Stripe's 100 requests/s: 10/s per container, one per record of a batch.
    worker: { timeoutSeconds: 30, batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 9, recordsInParallel: true },
    queue: { visibilityTimeoutSeconds: 190, maxReceiveCount: 8 },
    retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
    reconciler: { periodMinutes: 1, timeoutSeconds: 50, stuckAfterSeconds: 360, reviewAfterSeconds: 3600 },
    // Stripe's live-mode default; ask Stripe for more and raise it here to go past ~50 charges/s.
    processor: {
      apiUrl: 'https://api.stripe.com',
      secretName: 'oncepay/prod/stripe-secret-key',
      webhookSecretName: 'oncepay/prod/stripe-webhook-secret',
      timeoutMs: 6_000,
      requestsPerSecond: 100,
      secretMaxAgeMinutes: 5,
    },
    keyMode: 'live',
    idempotencyRetentionHours: 72,
    // Seven years: the usual bookkeeping retention for payment records.
    chargeRecordRetentionDays: 2557,
    logRetentionDays: 365,
    // 1% of requests, no reservoir: enough traces to see where time goes, at a cost that does not depend on the hour.
    tracing: { reservoirPerSecond: 0, fixedRate: 0.01 },
    // PITR covers any second of 35 days; the locked points: a week of dailies, a year of monthlies,
    // and yearly points kept as long as the records (a record older than a year no longer changes:
    // refunds and disputes come within months). Compliance: after 3 days nobody can shorten or remove them.
    // Set `copyToVaultArn` to a vault of another region (docs/runbook.md) for a copy of every point there.
    backup: {
      dailyRetentionDays: 7,
      monthlyRetentionDays: 365,
      monthlyColdStorageAfterDays: 30,
      yearly: { retentionDays: 2557, coldStorageAfterDays: 30 },
      vaultLock: { mode: 'compliance', minRetentionDays: 7, maxRetentionDays: 2557, changeableForDays: 3 },
    },
  },
};

export class StageConfigError extends Error {}

const STRIPE_API_URL = 'https://api.stripe.com';

/**
 * A worker attempt's common path is two processor requests in a row: create then confirm, or
 * (a later attempt) retrieve then confirm. Its rarer third or fourth (cancelling a stray or a
 * 3-D Secure payment) starts only if it can finish inside the lease, else the next attempt makes it.
 */
export const PROCESSOR_CALLS_ON_THE_COMMON_PATH = 2;

/** A DynamoDB partition's write limit (per second), which each open-charges shard must stay under. */
export const PARTITION_WRITES_PER_SECOND = 1_000;
/** Each charge writes the open-charges index twice: its keys appear when it opens, go when it closes. */
export const OPEN_INDEX_WRITES_PER_CHARGE = 2;
/** Shards are sized with this headroom: a hash never spreads a burst perfectly evenly. */
const SHARD_HEADROOM = 1.5;

/** The open-charges shards a peak charge rate needs: its index writes over a partition's limit, with headroom. */
export function openChargeShardsFor(peakChargesPerSecond: number): number {
  return Math.ceil((peakChargesPerSecond * OPEN_INDEX_WRITES_PER_CHARGE * SHARD_HEADROOM) / PARTITION_WRITES_PER_SECOND);
}

/** Receives of one delivery message before it is dead-lettered; the retry window must fit in fewer. */
export const WEBHOOK_MAX_RECEIVES = 200;

/** Attempts a delivery gets before `giveUpAfterHours`: the doubling phase, then one per `retryMaxSeconds`. */
export function webhookDeliveryAttempts(config: StageConfig): number {
  const { retryBaseSeconds, retryMaxSeconds, giveUpAfterHours } = config.webhooks;
  let attempts = 1;
  let elapsed = 0;
  for (let delay = retryBaseSeconds; elapsed < giveUpAfterHours * 3600; attempts += 1) {
    elapsed += delay;
    delay = Math.min(retryMaxSeconds, delay * 2);
  }
  return attempts;
}

/** Each charge writes its merchant's list partition once (keys-only index, written at creation). */
export const LIST_INDEX_WRITES_PER_CHARGE = 1;

/** The list shards a peak charge rate needs if one merchant makes all of it. */
export function listShardsFor(peakChargesPerSecond: number): number {
  return Math.ceil((peakChargesPerSecond * LIST_INDEX_WRITES_PER_CHARGE * SHARD_HEADROOM) / PARTITION_WRITES_PER_SECOND);
}

/**
 * The processor request rate each worker container (and the reconciler, which counts as one
 * more) paces itself to: the account's limit shared among all of them, so together they stay under it.
 */
export function processorRequestsPerSecondPerContainer(config: StageConfig): number {
  return config.processor.requestsPerSecond / (config.worker.maxConcurrency + 1);
}

/** Records one worker invocation works on at once. */
export function recordsInFlightPerWorker(config: StageConfig): number {
  return config.worker.recordsInParallel ? config.worker.batchSize : 1;
}

/** Lambda keeps this much of an account's concurrency unreserved: reservations must leave it. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;
/** Functions with the money path's reserve: create-charge, create-refund, the Stripe-events handler. */
export const MONEY_PATH_API_FUNCTIONS = 3;
/** Capped read functions: get and list charges and refunds, events, disputes, webhook endpoints. */
export const READ_FUNCTIONS = 7;

/**
 * The concurrency the stage reserves in its account: the money path's API functions, the
 * worker (its SQS maximum), one reconciler, the capped reads and deliveries. The events
 * function (a DynamoDB stream: one per shard) is left unreserved.
 */
export function reservedConcurrency(config: StageConfig): number {
  const { moneyPathApi, reads, deliveries } = config.concurrency;
  return MONEY_PATH_API_FUNCTIONS * moneyPathApi + config.worker.maxConcurrency + 1 + READ_FUNCTIONS * reads + deliveries;
}

/** Every time an alarm or queue may legitimately see a message wait: the whole retry schedule. */
export function longestRetrySchedule(config: StageConfig): number {
  let seconds = 0;
  for (let attempt = 1; attempt < config.queue.maxReceiveCount; attempt += 1) {
    seconds += backoffSeconds(attempt, config.retry) + config.worker.timeoutSeconds;
  }
  return seconds + config.worker.timeoutSeconds;
}

/** Per-deployment settings that do not belong in the repository (CDK context values, the local runner's sandbox). */
export interface StageOverrides {
  /** The processor's URL, e.g. the local sandbox's (`--context processorApiUrl=…`). */
  processorApiUrl?: string;
  /** Added to the stage's alarm subscribers (`--context alarmEmails=a@x.com,b@y.com`). */
  alarmEmails?: string[];
  /** Added to the stage's alarm subscribers (`--context alarmHttpsUrls=https://…`). */
  alarmHttpsUrls?: string[];
  /** `--context apiDomainName=pay.example.com --context apiCertificateArn=arn:aws:acm:…` */
  customDomain?: { domainName: string; certificateArn: string };
  /** `--context wafRateLimit=<requests per 5 minutes per IP>`, or `off`. */
  wafRateLimitPer5Minutes?: number | 'off';
  /** `--context apiType=http`: an HTTP API instead of the REST API. */
  apiType?: StageConfig['api']['type'];
  /** `--context trafficShift=none`: no CodeDeploy (`npm run localstack:deploy`). */
  trafficShift?: StageConfig['deployment']['trafficShift'];
  /** `--context deployAlarms=ignore`: CodeDeploy shifts without watching its rollback alarms. */
  ignoreDeployAlarms?: boolean;
  /** `--context xraySamplingRule=none`: no sampling rule (`npm run localstack:deploy`: the free image has no X-Ray). */
  xraySamplingRule?: 'none';
  /** `--context restoredTables='{"charges":…,"chargesStreamArn":…,"merchants":…,"webhooks":…}'` */
  restoredTables?: RestoredTables;
  /** `--context backupCopyToVaultArn=arn:aws:backup:<other region>:<account>:backup-vault:<name>` (a stage with a backup plan). */
  backupCopyToVaultArn?: string;
}

/**
 * The config of a named stage, with per-deployment overrides. Throws
 * {@link StageConfigError} for an unknown stage or unsafe values.
 */
export function stageConfig(stage: string, overrides: StageOverrides = {}): StageConfig {
  const base = STAGES[stage];
  if (!base) throw new StageConfigError(`Unknown stage "${stage}"; expected one of ${Object.keys(STAGES).join(', ')}`);
  const { waf: baseWaf, ...baseApi } = base.api;
  const waf =
    overrides.wafRateLimitPer5Minutes === 'off'
      ? undefined
      : overrides.wafRateLimitPer5Minutes !== undefined
        ? { rateLimitPer5Minutes: overrides.wafRateLimitPer5Minutes }
        : baseWaf;
  const customDomain = overrides.customDomain ?? base.api.customDomain;
  if (overrides.backupCopyToVaultArn && !base.backup) throw new StageConfigError(`Stage ${stage} has no backup plan whose points could be copied`);
  const backup = base.backup && overrides.backupCopyToVaultArn ? { ...base.backup, copyToVaultArn: overrides.backupCopyToVaultArn } : base.backup;
  const config: StageConfig = {
    ...base,
    api: { ...baseApi, ...(overrides.apiType ? { type: overrides.apiType } : {}), ...(customDomain ? { customDomain } : {}), ...(waf ? { waf } : {}) },
    alarms: {
      ...base.alarms,
      emails: [...base.alarms.emails, ...(overrides.alarmEmails ?? [])],
      httpsUrls: [...base.alarms.httpsUrls, ...(overrides.alarmHttpsUrls ?? [])],
    },
    processor: { ...base.processor, ...(overrides.processorApiUrl ? { apiUrl: overrides.processorApiUrl } : {}) },
    deployment: {
      ...base.deployment,
      ...(overrides.trafficShift ? { trafficShift: overrides.trafficShift } : {}),
      ...(overrides.ignoreDeployAlarms ? { ignoreAlarms: true } : {}),
    },
    backup,
    tracing: overrides.xraySamplingRule === 'none' ? null : base.tracing,
    ...(overrides.restoredTables ? { restoredTables: overrides.restoredTables } : {}),
  };
  validateStageConfig(config);
  return config;
}

/**
 * Throws {@link StageConfigError} when a kept stage would page no one. Checked at synth (not in
 * {@link stageConfig}), so the config can be read without subscribers.
 */
export function requireAlarmSubscriber(config: StageConfig): void {
  const { emails, httpsUrls, slack } = config.alarms;
  if (config.disposable || emails.length + httpsUrls.length > 0 || slack) return;
  throw new StageConfigError(
    `Stage ${config.stage} pages no one: add an address to alarms.emails (or alarms.httpsUrls, alarms.slack) in infra/stage-config.ts, or deploy with --context alarmEmails=oncall@example.com`,
  );
}

/** The stack ids (and names) per stage; other physical names are left to CloudFormation. */
export const stackIdsFor = (stage: string) => ({ stateful: `OncePay-${stage}-Stateful`, service: `OncePay-${stage}-Service` });

export function stageNames(): string[] {
  return Object.keys(STAGES);
}

/** Throws {@link StageConfigError} for unsafe or disagreeing values. */
export function validateStageConfig(config: StageConfig): void {
  const fail = (message: string) => {
    throw new StageConfigError(`Stage ${config.stage}: ${message}`);
  };
  if (config.queue.visibilityTimeoutSeconds < 6 * config.worker.timeoutSeconds + config.worker.maxBatchingWindowSeconds) {
    fail('queue visibility timeout must be at least 6× the worker timeout plus the batching window (AWS guidance for SQS event sources)');
  }
  if (config.queue.maxReceiveCount < 5) fail('maxReceiveCount must be at least 5');
  if (config.worker.batchSize < 1 || config.worker.batchSize > 10) fail('batch size must be 1–10');
  if (config.worker.maxConcurrency < 2) fail('worker maxConcurrency must be at least 2 (an SQS event source minimum)');
  if (PROCESSOR_CALLS_ON_THE_COMMON_PATH * config.processor.timeoutMs + 1000 > config.worker.timeoutSeconds * 1000) {
    fail(`the worker timeout must hold ${PROCESSOR_CALLS_ON_THE_COMMON_PATH} processor timeouts plus a second to record the outcome`);
  }
  if (config.reconciler.stuckAfterSeconds <= config.retry.maxDelaySeconds + config.worker.timeoutSeconds) {
    fail('reconciler stuckAfterSeconds must exceed the longest retry backoff plus the worker timeout, so a charge waiting out its backoff is never taken for stuck');
  }
  if (config.reconciler.reviewAfterSeconds <= config.reconciler.stuckAfterSeconds) {
    fail('reconciler reviewAfterSeconds must exceed stuckAfterSeconds');
  }
  if (config.reconciler.periodMinutes < 1) fail('the reconciler period is at least 1 minute (EventBridge rate)');
  if (config.reconciler.timeoutSeconds >= config.reconciler.periodMinutes * 60) {
    fail('the reconciler timeout must be below its period, so one pass ends before the next starts');
  }
  const perContainer = processorRequestsPerSecondPerContainer(config);
  const inFlight = recordsInFlightPerWorker(config);
  if (inFlight > perContainer) {
    fail(
      `the worker's ${config.worker.maxConcurrency} × ${inFlight} records in flight exceed the processor's ${config.processor.requestsPerSecond} requests/s ` +
        `shared by ${config.worker.maxConcurrency + 1} containers (${perContainer.toFixed(1)}/s each, under one per record): lower maxConcurrency or batchSize, or raise requestsPerSecond`,
    );
  }
  if ((1000 * inFlight) / perContainer > config.processor.timeoutMs / 2) {
    fail('a full batch waiting for its processor requests would use more than half a processor timeout; lower batchSize or raise requestsPerSecond');
  }
  if (config.capacity.openChargeShards < openChargeShardsFor(config.capacity.peakChargesPerSecond)) {
    fail(
      `${config.capacity.peakChargesPerSecond} charges/s need at least ${openChargeShardsFor(config.capacity.peakChargesPerSecond)} open-charges shards ` +
        `(${OPEN_INDEX_WRITES_PER_CHARGE} index writes per charge, ${PARTITION_WRITES_PER_SECOND} writes/s per partition, ×${SHARD_HEADROOM} headroom)`,
    );
  }
  if (config.capacity.listShards < listShardsFor(config.capacity.peakChargesPerSecond)) {
    fail(
      `${config.capacity.peakChargesPerSecond} charges/s from one merchant need at least ${listShardsFor(config.capacity.peakChargesPerSecond)} list shards ` +
        `(${LIST_INDEX_WRITES_PER_CHARGE} index write per charge, ${PARTITION_WRITES_PER_SECOND} writes/s per partition, ×${SHARD_HEADROOM} headroom)`,
    );
  }
  if (!config.disposable && config.webhooks.allowLoopbackHttp) fail('a kept stage delivers webhooks over https only: allowLoopbackHttp must be false');
  if (config.webhooks.retryMaxSeconds > 43_200) fail('webhooks.retryMaxSeconds is at most 43200 (SQS: a message is hidden at most 12 hours)');
  if (webhookDeliveryAttempts(config) > WEBHOOK_MAX_RECEIVES) {
    fail(`webhook retries over ${config.webhooks.giveUpAfterHours} h take ${webhookDeliveryAttempts(config)} attempts, more than the deliveries queue's ${WEBHOOK_MAX_RECEIVES} receives: raise retryMaxSeconds`);
  }
  if (!config.disposable && config.deployment.trafficShift === 'none') fail('a kept stage deploys through CodeDeploy: trafficShift none is for disposable stages');
  const { concurrency } = config;
  if (concurrency.deliveries < 2) fail('concurrency.deliveries must be at least 2 (an SQS event source minimum)');
  if (concurrency.moneyPathApi < 1 || concurrency.reads < 1) fail('concurrency.moneyPathApi and concurrency.reads are at least 1');
  if (concurrency.waitingReads < 1 || concurrency.waitingReads >= concurrency.reads) {
    fail(`concurrency.waitingReads must be at least 1 and below concurrency.reads (${concurrency.reads}): waiting reads must leave room for plain ones`);
  }
  if (reservedConcurrency(config) > concurrency.accountLimit - LAMBDA_UNRESERVED_MINIMUM) {
    fail(
      `the functions reserve ${reservedConcurrency(config)} concurrent executions, more than the account's ${concurrency.accountLimit} ` +
        `less the ${LAMBDA_UNRESERVED_MINIMUM} Lambda keeps unreserved: lower the concurrency settings or raise accountLimit (after Service Quotas has)`,
    );
  }
  if (config.capacity.listShards > 100) fail('a list reads every shard per page: keep listShards at 100 or fewer');
  if (!config.disposable && config.logRetentionDays < 365) fail('a kept stage keeps its logs at least 365 days (PCI DSS: a year of audit history)');
  if (!config.disposable && config.keyMode !== 'live') fail('a kept stage moves real money: keyMode must be live');
  if (config.tracing && (!Number.isInteger(config.tracing.reservoirPerSecond) || config.tracing.reservoirPerSecond < 0)) fail('tracing.reservoirPerSecond must be a whole number ≥ 0');
  if (config.tracing && !(config.tracing.fixedRate >= 0 && config.tracing.fixedRate <= 1)) fail('tracing.fixedRate must be between 0 and 1');
  if (config.api.type === 'http' && config.api.waf) {
    fail('a WAF attaches only to a REST API: serve an HTTP API without one (--context wafRateLimit=off), or keep the REST API');
  }
  if (config.api.waf && config.api.waf.rateLimitPer5Minutes < 10) fail('the WAF rate limit is at least 10 requests per 5 minutes (AWS WAF minimum)');
  for (const email of config.alarms.emails) if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fail(`"${email}" is not an email address`);
  for (const url of config.alarms.httpsUrls) if (!/^https:\/\//.test(url)) fail(`alarm endpoint "${url}" must be an https:// URL`);
  const { slack } = config.alarms;
  if (slack && !(/^T[A-Z0-9]{6,}$/.test(slack.workspaceId) && /^[CG][A-Z0-9]{6,}$/.test(slack.channelId))) {
    fail('alarms.slack needs the Slack workspace id (T…) and channel id (C… or G…) that AWS Chatbot shows');
  }
  if (config.api.customDomain && !/^arn:aws[a-z-]*:acm:/.test(config.api.customDomain.certificateArn)) {
    fail('the custom domain needs an ACM certificate ARN');
  }
  if (config.idempotencyRetentionHours < 24) fail('idempotency keys must be kept at least 24 hours');
  if (config.chargeRecordRetentionDays * 24 < config.idempotencyRetentionHours) {
    fail('charge records must be kept at least as long as idempotency keys');
  }
  if (!/^https?:\/\//.test(config.processor.apiUrl)) fail('processor apiUrl must be an http(s) URL');
  if (!Number.isInteger(config.processor.secretMaxAgeMinutes) || config.processor.secretMaxAgeMinutes < 1) fail('processor secretMaxAgeMinutes must be a whole number ≥ 1');
  // A kept stage moves real money: only Stripe itself, over TLS (never a sandbox that "succeeds" without capturing).
  if (!config.disposable && config.processor.apiUrl !== STRIPE_API_URL) fail(`processor apiUrl must be ${STRIPE_API_URL} in a stage that is not disposable`);
  if (!config.disposable && !config.backup) fail('a kept stage must have a backup plan (PITR alone keeps 35 days of records kept for years)');
  if (config.backup) validateBackup(config.backup, config.chargeRecordRetentionDays, fail);
  if (config.restoredTables) validateRestoredTables(config.restoredTables, fail);
}

/** AWS Backup's rules, checked before a deploy rather than by a failing backup job. */
function validateBackup(backup: BackupConfig, recordRetentionDays: number, fail: (message: string) => never): void {
  const { dailyRetentionDays: daily, monthlyRetentionDays: monthly, monthlyColdStorageAfterDays: cold, yearly, vaultLock: lock } = backup;
  const longest = yearly?.retentionDays ?? monthly;
  if (daily < 1 || daily > monthly) fail('backup dailyRetentionDays must be at least 1 and at most monthlyRetentionDays');
  if (longest < recordRetentionDays) {
    fail('the longest-kept backup points (yearly.retentionDays, else monthlyRetentionDays) must be kept at least chargeRecordRetentionDays: a backup must cover the records it keeps');
  }
  if (cold < 1 || monthly - cold < 90) fail('backup monthly points must stay in cold storage at least 90 days (AWS Backup): monthlyRetentionDays ≥ monthlyColdStorageAfterDays + 90');
  if (yearly && (yearly.retentionDays < monthly || yearly.coldStorageAfterDays < 1 || yearly.retentionDays - yearly.coldStorageAfterDays < 90)) {
    fail('backup yearly points are kept at least as long as monthly ones, and in cold storage at least 90 days (AWS Backup): yearly.retentionDays ≥ yearly.coldStorageAfterDays + 90');
  }
  if (lock.minRetentionDays < 1 || lock.minRetentionDays > daily) fail('the vault lock minRetentionDays must be 1 to dailyRetentionDays, or the vault refuses the daily backups');
  if (lock.maxRetentionDays < longest || lock.maxRetentionDays > 36_500) {
    fail('the vault lock maxRetentionDays must be the longest backup retention (yearly, else monthly) to 36500, or the vault refuses those backups');
  }
  if (lock.mode === 'compliance' && lock.changeableForDays < 3) fail('a compliance vault lock is changeable for at least 3 days (AWS Backup\'s 72-hour cooling-off)');
  if (backup.copyToVaultArn !== undefined && !BACKUP_VAULT_ARN.test(backup.copyToVaultArn)) {
    fail('backup copyToVaultArn must be a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>) of another region');
  }
}

/** A backup vault's ARN; its region is the first group. */
export const BACKUP_VAULT_ARN = /^arn:aws[a-z-]*:backup:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:backup-vault:[A-Za-z0-9_-]{2,50}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

function validateRestoredTables(tables: RestoredTables, fail: (message: string) => never): void {
  for (const name of ['charges', 'merchants', 'webhooks'] as const) {
    if (!TABLE_NAME.test(tables[name])) fail(`restoredTables.${name} must be a DynamoDB table name (3–255 of A-Z a-z 0-9 _ . -)`);
  }
  if (new Set([tables.charges, tables.merchants, tables.webhooks]).size !== 3) fail('restoredTables must name three different tables');
  const stream = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([^/]+)\/stream\/.+$/.exec(tables.chargesStreamArn);
  if (stream?.[1] !== tables.charges) fail('restoredTables.chargesStreamArn must be the stream ARN of the restored charges table (describe-table: LatestStreamArn)');
}
