/**
 * Prices and the cost model of `npm run bench`: per million charges from one level's measured
 * figures (the DESIGN.md §6 services, and the all-in figure with logs, traces, secrets and the
 * client's status read), and the fixed monthly costs of a deployed stage.
 */
import { resourcesOfType, type SynthesizedStack } from '../local/template.ts';
import { accessLogVolume, addVolume, emptyLogVolume, ingestedBytes, XRAY_REPORT_SUFFIX, type ApiRequestGroup, type LogVolume } from './aws-logs.ts';
import { MEMORY_MB, type BenchRun, type LevelResult } from './run.ts';

/** USD, us-east-1. */
export const PRICES = {
  // DESIGN.md §6: on-demand DynamoDB, SQS standard, REST API, Lambda arm64.
  dynamodbWritePerMillion: 0.625,
  dynamodbReadPerMillion: 0.125,
  sqsPerMillionRequests: 0.4,
  restApiPerMillion: 3.5,
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  // Not in DESIGN.md §6; from the us-east-1 public price pages.
  /** https://aws.amazon.com/cloudwatch/pricing/ — Logs, Standard log class, data ingestion ("Collect"), first 10 TB. */
  logsIngestionPerGb: 0.5,
  /** https://aws.amazon.com/xray/pricing/ — traces recorded. */
  xrayPerMillionTracesRecorded: 5.0,
  /** https://aws.amazon.com/xray/pricing/ — traces retrieved or scanned. */
  xrayPerMillionTracesScanned: 0.5,
  /** https://aws.amazon.com/secrets-manager/pricing/ — $0.05 per 10,000 API calls. */
  secretsManagerPerMillionCalls: 5.0,
  /** https://aws.amazon.com/secrets-manager/pricing/ — per secret per month. */
  secretsManagerPerSecretMonth: 0.4,
  /** https://aws.amazon.com/cloudwatch/pricing/ — custom metric per month, first 10,000 metrics. */
  customMetricMonth: 0.3,
  /** https://aws.amazon.com/cloudwatch/pricing/ — standard-resolution alarm, per metric, per month. */
  alarmMetricMonth: 0.1,
  /** https://aws.amazon.com/cloudwatch/pricing/ — dashboard per month. */
  dashboardMonth: 3.0,
  /** https://aws.amazon.com/kms/pricing/ — customer managed key per month. */
  kmsKeyMonth: 1.0,
  /** https://aws.amazon.com/waf/pricing/ — web ACL per month. */
  wafWebAclMonth: 5.0,
  /** https://aws.amazon.com/waf/pricing/ — rule per month. */
  wafRuleMonth: 1.0,
  /** https://aws.amazon.com/waf/pricing/ — requests inspected. */
  wafPerMillionRequests: 0.6,
};

/** AWS bills by GB of 2^30 bytes. */
export const GB = 1024 ** 3;
/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * X-Ray sampling: a reservoir of traces each second, then a fixed share of the rest. The
 * stack defines no sampling rule, so its traced API stage and functions use the default
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html): the first
 * request each second and 5% of additional requests. An `AWS::XRay::SamplingRule` in the
 * template replaces these figures.
 */
export interface XRaySampling {
  reservoirPerSecond: number;
  fixedRate: number;
  source: string;
}
export const DEFAULT_XRAY_SAMPLING: XRaySampling = { reservoirPerSecond: 1, fixedRate: 0.05, source: "X-Ray's default rule (the stack defines no sampling rule)" };
/** Assumed: each recorded trace is retrieved or scanned once (trace map, a query, the console). */
export const XRAY_SCANS_PER_TRACE = 1;
/**
 * Estimated, not measured: an SQS event source on AWS long-polls with 5 pollers while the
 * queue is empty, one 20-second `ReceiveMessage` each (the local pollers wait 1 s).
 */
export const IDLE_EVENT_SOURCE = { pollers: 5, waitSeconds: 20 };

/** What the synthesized templates say about the fixed costs and the logging and tracing set-up. */
export interface StackFacts {
  /** The API stage's name: which stage's template these facts are from. */
  stage: string;
  /** The API stage's `AccessLogSetting.Format`; `null` without access logging. */
  accessLogFormat: string | null;
  xraySampling: XRaySampling;
  /** Independent X-Ray samplers on the charge path: traced API stages, and traced functions an SQS event source invokes. */
  tracedSamplers: string[];
  alarms: number;
  /** Metrics the alarms watch (each billed; a metric-math alarm watches several). */
  alarmMetrics: number;
  dashboards: number;
  /** Customer managed keys (the alarm topic's); AWS managed keys have no monthly fee. */
  kmsKeys: number;
  /** Secrets the functions read (by `*_SECRET_ID` environment variable; the secret itself is created out of band). */
  secrets: string[];
  /** The reconciler schedule's period, from its `rate(...)` expression. */
  reconcilerPeriodMinutes: number;
  /** SQS event source mappings (each polls its queue, also when idle); stream mappings read for free. */
  eventSourceMappings: number;
  /** WAF web ACLs in front of the API and their rules (each request is inspected by each ACL). */
  waf: { webAcls: number; rules: number };
  /** The open-charges index shards (`OPEN_CHARGE_SHARDS`): an idle reconciler pass queries each once. */
  openChargeShards: number;
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

export function stackFacts(stacks: SynthesizedStack[]): StackFacts {
  const all = (type: string) => stacks.flatMap((stack) => resourcesOfType(stack.template, type));
  const stage = all('AWS::ApiGateway::Stage')[0]?.[1];
  const setting = stage?.Properties?.['AccessLogSetting'] as { Format?: unknown } | undefined;
  const rule = all('AWS::XRay::SamplingRule')[0]?.[1];
  const ruleProperties = (rule?.Properties?.['SamplingRule'] ?? {}) as { FixedRate?: number; ReservoirSize?: number; RuleName?: string };
  const xraySampling = rule
    ? { reservoirPerSecond: Number(ruleProperties.ReservoirSize ?? 0), fixedRate: Number(ruleProperties.FixedRate ?? 0), source: `the stack's sampling rule ${ruleProperties.RuleName ?? ''}`.trim() }
    : DEFAULT_XRAY_SAMPLING;
  const functions = all('AWS::Lambda::Function');
  const traced = new Set(functions.filter(([, resource]) => (resource.Properties?.['TracingConfig'] as { Mode?: string } | undefined)?.Mode === 'Active').map(([id]) => id));
  const mappings = all('AWS::Lambda::EventSourceMapping');
  const tracedSamplers = [
    ...all('AWS::ApiGateway::Stage').filter(([, resource]) => resource.Properties?.['TracingEnabled'] === true).map(([id]) => id),
    ...mappings.map(([, resource]) => (resource.Properties?.['FunctionName'] as { Ref?: string } | undefined)?.Ref ?? '').filter((id) => traced.has(id)),
  ];
  const alarms = all('AWS::CloudWatch::Alarm');
  const alarmMetrics = alarms.reduce((sum, [, resource]) => {
    const metrics = resource.Properties?.['Metrics'] as Array<{ MetricStat?: unknown }> | undefined;
    return sum + (metrics ? Math.max(1, metrics.filter((metric) => metric.MetricStat).length) : 1);
  }, 0);
  const secrets = new Set<string>();
  let openChargeShards = 0;
  for (const [, resource] of functions) {
    const variables = ((resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    for (const [name, value] of Object.entries(variables)) if (name.endsWith('_SECRET_ID') && typeof value === 'string') secrets.add(value);
    openChargeShards = Math.max(openChargeShards, Number(variables['OPEN_CHARGE_SHARDS'] ?? 0));
  }
  const schedule = all('AWS::Events::Rule')
    .map(([, resource]) => String(resource.Properties?.['ScheduleExpression'] ?? ''))
    .map((expression) => /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression))
    .find((match) => match !== null);
  const reconcilerPeriodMinutes = schedule ? Number(schedule[1]) * (schedule[2]?.startsWith('hour') ? 60 : 1) : 1;
  const webAcls = all('AWS::WAFv2::WebACL');
  return {
    stage: String(stage?.Properties?.['StageName'] ?? ''),
    accessLogFormat: typeof setting?.Format === 'string' ? setting.Format : null,
    xraySampling,
    tracedSamplers,
    alarms: alarms.length,
    alarmMetrics,
    dashboards: all('AWS::CloudWatch::Dashboard').length,
    kmsKeys: all('AWS::KMS::Key').length,
    secrets: [...secrets].sort(),
    reconcilerPeriodMinutes,
    eventSourceMappings: mappings.filter(([, resource]) => !('StartingPosition' in (resource.Properties ?? {}))).length,
    openChargeShards,
    waf: { webAcls: webAcls.length, rules: sum(webAcls.map(([, resource]) => ((resource.Properties?.['Rules'] as unknown[] | undefined) ?? []).length)) },
  };
}

export interface CostPerMillion {
  dynamodb: number;
  sqs: number;
  apiGateway: number;
  lambda: number;
  total: number;
}

const SQS_OPERATIONS = (calls: Record<string, number>) => sum(Object.entries(calls).filter(([key]) => key.startsWith('sqs:')).map(([, count]) => count));
const DYNAMODB_COST = (capacity: { write: number; read: number }) => capacity.write * PRICES.dynamodbWritePerMillion + capacity.read * PRICES.dynamodbReadPerMillion;
const LAMBDA_COST = (invocations: Record<string, number>, gbSeconds: number) =>
  sum(Object.values(invocations)) * PRICES.lambdaPerMillionRequests + gbSeconds * 1_000_000 * PRICES.lambdaPerGbSecond;
const requestCount = (requests: ApiRequestGroup[]) => sum(requests.map((request) => request.count));
/** USD per million units of an ingested log volume per unit. */
const LOGS_COST = (volume: LogVolume) => (ingestedBytes(volume) / GB) * PRICES.logsIngestionPerGb * 1_000_000;
const TRACE_COST = PRICES.xrayPerMillionTracesRecorded + XRAY_SCANS_PER_TRACE * PRICES.xrayPerMillionTracesScanned;

/** Cost of one million new charges in the DESIGN.md §6 services, from one level's measured calls, capacity and Lambda time. */
export function costPerMillion(level: LevelResult): CostPerMillion {
  const dynamodb = DYNAMODB_COST(level.capacityPerCharge);
  const sqs = SQS_OPERATIONS(level.callsPerCharge) * PRICES.sqsPerMillionRequests;
  const apiGateway = requestCount(level.apiRequestsPerCharge) * PRICES.restApiPerMillion;
  const lambda = LAMBDA_COST(level.lambda.invocationsPerCharge, level.lambda.gbSecondsPerCharge);
  return { dynamodb, sqs, apiGateway, lambda, total: dynamodb + sqs + apiGateway + lambda };
}

export interface CostRow {
  key: string;
  label: string;
  /** USD per million charges. */
  usd: number;
  /** The measured or rendered quantity per charge behind it, in words. */
  quantity: string;
}

/** Lambda's START/END/REPORT lines plus the X-Ray line of the REPORT events of sampled invocations. */
function platformVolume(measured: LogVolume, invocations: Record<string, number>, sampling: XRaySampling): LogVolume {
  const volume = emptyLogVolume();
  addVolume(volume, measured);
  volume.bytes += sum(Object.values(invocations)) * sampling.fixedRate * Buffer.byteLength(XRAY_REPORT_SUFFIX, 'utf8');
  return volume;
}

/** Log volume per charge (or read): the functions' lines, Lambda's lines and access-log lines. */
export function logVolumes(
  functions: Record<string, LogVolume>,
  platform: LogVolume,
  invocations: Record<string, number>,
  requests: ApiRequestGroup[],
  facts: StackFacts,
): { functions: LogVolume; platform: LogVolume; access: LogVolume } {
  const own = emptyLogVolume();
  for (const volume of Object.values(functions)) addVolume(own, volume);
  return {
    functions: own,
    platform: platformVolume(platform, invocations, facts.xraySampling),
    access: facts.accessLogFormat ? accessLogVolume(facts.accessLogFormat, requests) : emptyLogVolume(),
  };
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const bytes = (volume: LogVolume) => `${Math.round(ingestedBytes(volume))} B (${volume.events.toFixed(2)} events)`;

/**
 * The all-in cost of one million charges: the charge itself (API path and worker), its logs,
 * traces and secret reads, and the client learning the outcome with one status read.
 * `total` is the sum of the rows.
 */
export function allInPerMillion(level: LevelResult, facts: StackFacts): { rows: CostRow[]; total: number } {
  const base = costPerMillion(level);
  const sampling = facts.xraySampling;
  const chargeLogs = logVolumes(level.logsPerCharge, level.platformLogsPerCharge, level.lambda.invocationsPerCharge, level.apiRequestsPerCharge, facts);
  const posts = requestCount(level.apiRequestsPerCharge);
  // Functions an event source invokes start their own (sampled) traces: the worker and the events function.
  const workerInvocations = (level.lambda.invocationsPerCharge['Worker'] ?? 0) + (level.lambda.invocationsPerCharge['Events'] ?? 0);
  const chargeTraces = sampling.fixedRate * (posts + workerInvocations);
  const read = level.statusRead;
  const readLogs = logVolumes(read.logsPerRead, read.platformLogsPerRead, read.lambda.invocationsPerRead, read.apiRequestsPerRead, facts);
  const readRequests = requestCount(read.apiRequestsPerRead);
  const readTraces = sampling.fixedRate * readRequests;
  const readLogVolume = emptyLogVolume();
  for (const volume of [readLogs.functions, readLogs.platform, readLogs.access]) addVolume(readLogVolume, volume);
  const rows: CostRow[] = [
    { key: 'dynamodb', label: 'DynamoDB', usd: base.dynamodb, quantity: `${fixed(level.capacityPerCharge.write)} write + ${fixed(level.capacityPerCharge.read)} read units` },
    { key: 'sqs', label: 'SQS', usd: base.sqs, quantity: `${fixed(SQS_OPERATIONS(level.callsPerCharge))} requests` },
    { key: 'apiGateway', label: 'API Gateway (POST)', usd: base.apiGateway, quantity: `${fixed(posts)} requests` },
    { key: 'waf', label: 'AWS WAF (POST)', usd: posts * facts.waf.webAcls * PRICES.wafPerMillionRequests, quantity: `${fixed(posts * facts.waf.webAcls)} requests inspected` },
    { key: 'lambda', label: 'Lambda', usd: base.lambda, quantity: `${fixed(sum(Object.values(level.lambda.invocationsPerCharge)))} invocations, ${fixed(level.lambda.gbSecondsPerCharge, 4)} GB-s` },
    {
      key: 'secretsManager',
      label: 'Secrets Manager',
      usd: level.secretsManagerCallsPerCharge * PRICES.secretsManagerPerMillionCalls,
      quantity: `${fixed(level.secretsManagerCallsPerCharge, 4)} GetSecretValue`,
    },
    { key: 'logs.functions', label: 'CloudWatch Logs: functions’ lines', usd: LOGS_COST(chargeLogs.functions), quantity: bytes(chargeLogs.functions) },
    { key: 'logs.platform', label: 'CloudWatch Logs: Lambda START/END/REPORT', usd: LOGS_COST(chargeLogs.platform), quantity: bytes(chargeLogs.platform) },
    { key: 'logs.access', label: 'CloudWatch Logs: API access log', usd: LOGS_COST(chargeLogs.access), quantity: bytes(chargeLogs.access) },
    { key: 'xray', label: 'X-Ray (sampled share)', usd: chargeTraces * TRACE_COST, quantity: `${fixed(chargeTraces, 4)} traces` },
    {
      key: 'read.apiGateway',
      label: 'Status read: API Gateway',
      usd: readRequests * PRICES.restApiPerMillion,
      quantity: `${fixed(readRequests)} requests`,
    },
    {
      key: 'read.waf',
      label: 'Status read: AWS WAF',
      usd: readRequests * facts.waf.webAcls * PRICES.wafPerMillionRequests,
      quantity: `${fixed(readRequests * facts.waf.webAcls)} requests inspected`,
    },
    {
      key: 'read.lambda',
      label: 'Status read: Lambda',
      usd: LAMBDA_COST(read.lambda.invocationsPerRead, read.lambda.gbSecondsPerRead),
      quantity: `${fixed(sum(Object.values(read.lambda.invocationsPerRead)))} invocations, ${fixed(read.lambda.gbSecondsPerRead, 4)} GB-s`,
    },
    { key: 'read.dynamodb', label: 'Status read: DynamoDB', usd: DYNAMODB_COST(read.capacityPerRead), quantity: `${fixed(read.capacityPerRead.read)} read units` },
    { key: 'read.logs', label: 'Status read: CloudWatch Logs', usd: LOGS_COST(readLogVolume), quantity: bytes(readLogVolume) },
    { key: 'read.xray', label: 'Status read: X-Ray (sampled share)', usd: readTraces * TRACE_COST, quantity: `${fixed(readTraces, 4)} traces` },
  ];
  return { rows, total: sum(rows.map((row) => row.usd)) };
}

/**
 * What learning the outcome by webhook costs per million charges (one endpoint per merchant, one
 * delivery per charge): the delivery function, its DynamoDB reads and attempt record, the
 * deliveries queue's requests, its logs and traces. Compare with the status-read rows of
 * {@link allInPerMillion}; the events function runs for every charge either way (charge rows).
 */
export function webhookPerMillion(level: LevelResult, facts: StackFacts): { rows: CostRow[]; total: number } {
  const hook = level.webhook;
  const logs = logVolumes(hook.logsPerCharge, hook.platformLogsPerCharge, hook.lambda.invocationsPerCharge, [], facts);
  const volume = emptyLogVolume();
  for (const part of [logs.functions, logs.platform]) addVolume(volume, part);
  const traces = facts.xraySampling.fixedRate * sum(Object.values(hook.lambda.invocationsPerCharge));
  const rows: CostRow[] = [
    { key: 'hook.dynamodb', label: 'Webhook: DynamoDB', usd: DYNAMODB_COST(hook.capacityPerCharge), quantity: `${fixed(hook.capacityPerCharge.write)} write + ${fixed(hook.capacityPerCharge.read)} read units` },
    { key: 'hook.sqs', label: 'Webhook: SQS', usd: SQS_OPERATIONS(hook.callsPerCharge) * PRICES.sqsPerMillionRequests, quantity: `${fixed(SQS_OPERATIONS(hook.callsPerCharge))} requests` },
    {
      key: 'hook.lambda',
      label: 'Webhook: Lambda',
      usd: LAMBDA_COST(hook.lambda.invocationsPerCharge, hook.lambda.gbSecondsPerCharge),
      quantity: `${fixed(sum(Object.values(hook.lambda.invocationsPerCharge)))} invocations, ${fixed(hook.lambda.gbSecondsPerCharge, 4)} GB-s`,
    },
    { key: 'hook.logs', label: 'Webhook: CloudWatch Logs', usd: LOGS_COST(volume), quantity: bytes(volume) },
    { key: 'hook.xray', label: 'Webhook: X-Ray (sampled share)', usd: traces * TRACE_COST, quantity: `${fixed(traces, 4)} traces` },
  ];
  return { rows, total: sum(rows.map((row) => row.usd)) };
}

export interface FixedRow {
  label: string;
  quantity: string;
  /** USD per month. */
  usd: number;
  /** True where the figure is a ceiling rather than an expected cost. */
  ceiling?: boolean;
}

/**
 * What a deployed stage costs each month with no charge at all (free tiers left out). The
 * reconciler's idle pass was measured on a stack with `measuredShards` open-charges shards; a
 * stage with more queries each extra (empty) shard once more, half a read unit each.
 */
export function fixedMonthly(run: BenchRun, facts: StackFacts, measuredShards: number): { rows: FixedRow[]; total: number } {
  const extraQueries = Math.max(0, facts.openChargeShards - measuredShards);
  const pass = { ...run.reconcilerPass, capacityPerPass: { ...run.reconcilerPass.capacityPerPass, read: run.reconcilerPass.capacityPerPass.read + 0.5 * extraQueries } };
  const passesPerMonth = (HOURS_PER_MONTH * 60) / facts.reconcilerPeriodMinutes;
  const passLambda = LAMBDA_COST({ Reconciler: 1 }, (pass.durationMs / 1000) * (MEMORY_MB / 1024));
  const passLogs = emptyLogVolume();
  addVolume(passLogs, pass.logsPerPass);
  addVolume(passLogs, platformVolume(pass.platformLogsPerPass, { Reconciler: 1 }, { ...facts.xraySampling, fixedRate: 1 }));
  // A pass a minute stays inside the reservoir: every pass is traced.
  const passUsdPerMillion =
    DYNAMODB_COST(pass.capacityPerPass) +
    SQS_OPERATIONS(pass.callsPerPass) * PRICES.sqsPerMillionRequests +
    passLambda +
    LOGS_COST(passLogs) +
    pass.secretsManagerCallsPerPass * PRICES.secretsManagerPerMillionCalls +
    TRACE_COST;
  const idleReceives = facts.eventSourceMappings * IDLE_EVENT_SOURCE.pollers * (SECONDS_PER_MONTH / IDLE_EVENT_SOURCE.waitSeconds);
  const reservoirTraces = facts.tracedSamplers.length * facts.xraySampling.reservoirPerSecond * SECONDS_PER_MONTH;
  const rows: FixedRow[] = [
    { label: 'CloudWatch alarms', quantity: `${facts.alarmMetrics} alarm metrics (${facts.alarms} alarms)`, usd: facts.alarmMetrics * PRICES.alarmMetricMonth },
    { label: 'CloudWatch dashboard', quantity: `${facts.dashboards}`, usd: facts.dashboards * PRICES.dashboardMonth },
    { label: 'CloudWatch custom metrics (EMF)', quantity: `${pass.metrics.length} published by every reconciler pass`, usd: pass.metrics.length * PRICES.customMetricMonth },
    { label: 'Secrets Manager secret', quantity: `${facts.secrets.length}`, usd: facts.secrets.length * PRICES.secretsManagerPerSecretMonth },
    { label: 'KMS customer managed keys (the alarm topic\'s)', quantity: `${facts.kmsKeys}`, usd: facts.kmsKeys * PRICES.kmsKeyMonth },
    {
      label: 'AWS WAF web ACL',
      quantity: `${facts.waf.webAcls} web ACL, ${facts.waf.rules} rule`,
      usd: facts.waf.webAcls * PRICES.wafWebAclMonth + facts.waf.rules * PRICES.wafRuleMonth,
    },
  ];
  rows.push(
    {
      label: `Reconciler schedule (a pass every ${facts.reconcilerPeriodMinutes} min, measured idle pass)`,
      quantity:
        `${Math.round(passesPerMonth)} passes of ${Math.round(pass.durationMs)} ms, ${fixed(pass.capacityPerPass.read, 1)} read units, ${Math.round(ingestedBytes(passLogs))} B of logs each` +
        (extraQueries > 0 ? ` (measured with ${measuredShards} open-charges shards, + ${extraQueries} empty-shard queries for ${facts.openChargeShards})` : ''),
      usd: (passesPerMonth * passUsdPerMillion) / 1_000_000,
    },
    {
      label: 'SQS event source polling an empty queue (estimated)',
      quantity: `${Math.round(idleReceives).toLocaleString('en-US')} receives (${IDLE_EVENT_SOURCE.pollers} pollers, ${IDLE_EVENT_SOURCE.waitSeconds} s long polls)`,
      usd: (idleReceives * PRICES.sqsPerMillionRequests) / 1_000_000,
      ceiling: true,
    },
    {
      label: `X-Ray reservoir (${facts.xraySampling.reservoirPerSecond}/s for each of ${facts.tracedSamplers.length} samplers)`,
      quantity: `≤ ${Math.round(reservoirTraces).toLocaleString('en-US')} traces`,
      usd: (reservoirTraces * TRACE_COST) / 1_000_000,
      ceiling: true,
    },
  );
  return { rows, total: sum(rows.map((row) => row.usd)) };
}
