/**
 * Prices and the cost model of `npm run bench`: per million charges from one level's measured
 * figures (the DESIGN.md §6 services, and the all-in figure with logs, traces, secrets and the
 * client's status read), and the fixed monthly costs of a deployed stage.
 */
import { resourcesOfType, type SynthesizedStack } from '../local/template.ts';
import { accessLogVolume, addVolume, emptyLogVolume, ingestedBytes, shortFunctionName, XRAY_REPORT_SUFFIX, type ApiRequestGroup, type LogVolume } from './aws-logs.ts';
import { MEMORY_MB, type BenchRun, type LevelResult } from './run.ts';

/** USD, us-east-1. */
export const PRICES = {
  // DESIGN.md §6: on-demand DynamoDB, SQS standard, REST API, Lambda arm64.
  dynamodbWritePerMillion: 0.625,
  dynamodbReadPerMillion: 0.125,
  sqsPerMillionRequests: 0.4,
  restApiPerMillion: 3.5,
  /** https://aws.amazon.com/api-gateway/pricing/ — HTTP APIs, first 300 million requests a month (each request up to 512 KB). */
  httpApiPerMillion: 1.0,
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
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — Standard table class, data storage. */
  dynamodbStoragePerGbMonth: 0.25,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — continuous backups (PITR), by the table's size. */
  dynamodbPitrPerGbMonth: 0.2,
  /** https://aws.amazon.com/backup/pricing/ — DynamoDB backups (advanced features), warm storage; each point is the whole table. */
  backupWarmPerGbMonth: 0.1,
  /** https://aws.amazon.com/backup/pricing/ — DynamoDB backups (advanced features), cold storage. */
  backupColdPerGbMonth: 0.03,
  /** https://aws.amazon.com/kms/pricing/ — $0.03 per 10,000 requests. */
  kmsPerMillionRequests: 3.0,
  /** https://aws.amazon.com/kms/pricing/ — each of a key's first two automatic rotations adds $1 a month (later ones are free): a yearly-rotated key costs $3 from its second year. */
  kmsRotationMonth: 1.0,
};

/** API Gateway's detailed metrics are billed as custom metrics: Count, Latency, IntegrationLatency, 4XXError and 5XXError per method. */
export const DETAILED_METRICS_PER_METHOD = 5;

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
/**
 * Lambda samples the invocations it starts a trace for (those of event sources: SQS, a stream) at
 * 1 a second and 5% of the rest, per function, and takes no sampling rule
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html); a function behind a traced
 * API follows the API's decision.
 */
export const LAMBDA_XRAY_SAMPLING: XRaySampling = { reservoirPerSecond: 1, fixedRate: 0.05, source: "Lambda's fixed sampling for the functions event sources invoke" };

/** The share of requests a sampler traces at a steady rate: the reservoir's each second, then its fixed rate of the rest. */
export function sampledShare(requestsPerSecond: number, sampling: XRaySampling): number {
  if (requestsPerSecond <= 0) return 0;
  const reservoir = Math.min(requestsPerSecond, sampling.reservoirPerSecond);
  return (reservoir + sampling.fixedRate * (requestsPerSecond - reservoir)) / requestsPerSecond;
}
/** Assumed: each recorded trace is retrieved or scanned once (trace map, a query, the console). */
export const XRAY_SCANS_PER_TRACE = 1;
/**
 * Estimated, not measured: an SQS event source on AWS long-polls with 5 pollers while the
 * queue is empty, one 20-second `ReceiveMessage` each (the local pollers wait 1 s).
 */
export const IDLE_EVENT_SOURCE = { pollers: 5, waitSeconds: 20 };

/** What the synthesized templates say about the fixed costs and the logging and tracing set-up. */
export interface StackFacts {
  /** The stage's name: which stage's template these facts are from. */
  stage: string;
  /** The kind of API in front of the functions (`api.type`): what a request costs, and whether it can be traced or carry a WAF. */
  api: 'rest' | 'http';
  /** The API stage's `AccessLogSetting.Format`; `null` without access logging. */
  accessLogFormat: string | null;
  /** The API stage's sampling (a function behind it follows its decision). */
  xraySampling: XRaySampling;
  /** Traced API stages. */
  tracedApiStages: string[];
  /** Functions an event source invokes with active tracing, each its own sampler (Lambda's fixed sampling), by short name. */
  tracedEventFunctions: string[];
  /** API methods (or HTTP API routes) with detailed CloudWatch metrics (billed as custom metrics). */
  detailedMetricMethods: number;
  /** Customer managed keys with automatic rotation. */
  rotatingKmsKeys: number;
  /** Tables with point-in-time recovery. */
  pitrTables: number;
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

/** The function's logical id a mapping's `FunctionName` names: directly, or through its alias (the `live` alias). */
function mappedFunction(name: unknown, stacks: SynthesizedStack[]): string {
  const ref = (name as { Ref?: string } | undefined)?.Ref ?? '';
  const alias = stacks.map((stack) => stack.template.Resources?.[ref]).find((resource) => resource?.Type === 'AWS::Lambda::Alias');
  return alias ? String((alias.Properties?.['FunctionName'] as { Ref?: string } | undefined)?.Ref ?? '') : ref;
}

export function stackFacts(stacks: SynthesizedStack[]): StackFacts {
  const all = (type: string) => stacks.flatMap((stack) => resourcesOfType(stack.template, type));
  const stage = all('AWS::ApiGateway::Stage')[0]?.[1];
  const httpStage = all('AWS::ApiGatewayV2::Stage')[0]?.[1];
  const accessLogFormat = ((httpStage?.Properties?.['AccessLogSettings'] ?? stage?.Properties?.['AccessLogSetting']) as { Format?: unknown } | undefined)?.Format;
  const rule = all('AWS::XRay::SamplingRule')[0]?.[1];
  const ruleProperties = (rule?.Properties?.['SamplingRule'] ?? {}) as { FixedRate?: number; ReservoirSize?: number; RuleName?: string };
  const xraySampling = rule
    ? { reservoirPerSecond: Number(ruleProperties.ReservoirSize ?? 0), fixedRate: Number(ruleProperties.FixedRate ?? 0), source: `the stack's sampling rule ${ruleProperties.RuleName ?? ''}`.trim() }
    : DEFAULT_XRAY_SAMPLING;
  const functions = all('AWS::Lambda::Function');
  const traced = new Set(functions.filter(([, resource]) => (resource.Properties?.['TracingConfig'] as { Mode?: string } | undefined)?.Mode === 'Active').map(([id]) => id));
  const mappings = all('AWS::Lambda::EventSourceMapping');
  const tracedApiStages = all('AWS::ApiGateway::Stage').filter(([, resource]) => resource.Properties?.['TracingEnabled'] === true).map(([id]) => id);
  const tracedEventFunctions = [
    ...new Set(mappings.map(([, resource]) => mappedFunction(resource.Properties?.['FunctionName'], stacks)).filter((id) => traced.has(id)).map(shortFunctionName)),
  ].sort();
  const methodSettings = (stage?.Properties?.['MethodSettings'] as Array<{ MetricsEnabled?: boolean }> | undefined) ?? [];
  const routeSettings = Object.values((httpStage?.Properties?.['RouteSettings'] ?? {}) as Record<string, { DetailedMetricsEnabled?: boolean }>);
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
  // The stage config's name: the REST stage's name, or the one in the HTTP API's name (`oncepay-<stage>`; its stage is `$default`).
  const httpApiName = String(all('AWS::ApiGatewayV2::Api')[0]?.[1].Properties?.['Name'] ?? '');
  return {
    stage: httpStage ? httpApiName.replace(/^oncepay-/, '') : String(stage?.Properties?.['StageName'] ?? ''),
    api: httpStage ? 'http' : 'rest',
    accessLogFormat: typeof accessLogFormat === 'string' ? accessLogFormat : null,
    xraySampling,
    tracedApiStages,
    tracedEventFunctions,
    detailedMetricMethods: methodSettings.filter((setting) => setting.MetricsEnabled === true).length + routeSettings.filter((setting) => setting.DetailedMetricsEnabled === true).length,
    rotatingKmsKeys: all('AWS::KMS::Key').filter(([, resource]) => resource.Properties?.['EnableKeyRotation'] === true).length,
    pitrTables: all('AWS::DynamoDB::Table').filter(([, resource]) => (resource.Properties?.['PointInTimeRecoverySpecification'] as { PointInTimeRecoveryEnabled?: boolean } | undefined)?.PointInTimeRecoveryEnabled === true).length,
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

/** USD per million API requests on each kind of API. */
export const apiPerMillion = (api: StackFacts['api']) => (api === 'http' ? PRICES.httpApiPerMillion : PRICES.restApiPerMillion);

/**
 * Cost of one million new charges in the DESIGN.md §6 services, from one level's measured calls,
 * capacity and Lambda time; the API's requests priced for a REST API unless told otherwise.
 */
export function costPerMillion(level: LevelResult, api: StackFacts['api'] = 'rest'): CostPerMillion {
  const dynamodb = DYNAMODB_COST(level.capacityPerCharge);
  const sqs = SQS_OPERATIONS(level.callsPerCharge) * PRICES.sqsPerMillionRequests;
  const apiGateway = (requestCount(level.apiRequestsPerCharge) + stripeEventRequests(level)) * apiPerMillion(api);
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

/** The monthly volume the per-charge tables are priced at (X-Ray's share depends on it): the middle of the three the report gives. */
export const REFERENCE_CHARGES_PER_MONTH = 10_000_000;

/**
 * Traces per charge at a steady monthly volume: the API stage's sampler sees the POSTs and the
 * status reads, and each traced function an event source invokes is its own sampler (the
 * worker, the events function). Below a sampler's reservoir every request is traced.
 */
export function tracesPerCharge(level: LevelResult, facts: StackFacts, chargesPerMonth: number): { charge: number; read: number } {
  const chargesPerSecond = chargesPerMonth / SECONDS_PER_MONTH;
  const posts = requestCount(level.apiRequestsPerCharge) + stripeEventRequests(level);
  const reads = requestCount(level.statusRead.apiRequestsPerRead);
  const apiShare = facts.tracedApiStages.length > 0 ? sampledShare((posts + reads) * chargesPerSecond, facts.xraySampling) : 0;
  let charge = posts * apiShare;
  for (const name of facts.tracedEventFunctions) {
    const invocations = level.lambda.invocationsPerCharge[name] ?? 0;
    charge += invocations * sampledShare(invocations * chargesPerSecond, LAMBDA_XRAY_SAMPLING);
  }
  return { charge, read: reads * apiShare };
}

/**
 * Stripe's events about the charge, each a `POST /webhooks/stripe` through the API (and its WAF):
 * one invocation of the function behind it per request. The sandbox sends them as Stripe does.
 */
export function stripeEventRequests(level: LevelResult): number {
  return level.lambda.invocationsPerCharge['ProcessorWebhook'] ?? 0;
}

/** The access-log lines of Stripe's event requests (`{"received":true}` answers, 200). */
function stripeEventRequestGroups(level: LevelResult): ApiRequestGroup[] {
  return [{ method: 'POST', resourcePath: '/webhooks/stripe', status: 200, responseBytes: Buffer.byteLength('{"received":true}'), count: stripeEventRequests(level) }];
}

/**
 * The all-in cost of one million charges at a monthly volume: the charge itself (API path and
 * worker), its logs, traces and secret reads, and the client learning the outcome with one
 * status read. `total` is the sum of the rows.
 */
export function allInPerMillion(level: LevelResult, facts: StackFacts, chargesPerMonth = REFERENCE_CHARGES_PER_MONTH): { rows: CostRow[]; total: number } {
  const base = costPerMillion(level, facts.api);
  const chargeLogs = logVolumes(level.logsPerCharge, level.platformLogsPerCharge, level.lambda.invocationsPerCharge, [...level.apiRequestsPerCharge, ...stripeEventRequestGroups(level)], facts);
  const posts = requestCount(level.apiRequestsPerCharge);
  const stripeEvents = stripeEventRequests(level);
  const traces = tracesPerCharge(level, facts, chargesPerMonth);
  const chargeTraces = traces.charge;
  const read = level.statusRead;
  const readLogs = logVolumes(read.logsPerRead, read.platformLogsPerRead, read.lambda.invocationsPerRead, read.apiRequestsPerRead, facts);
  const readRequests = requestCount(read.apiRequestsPerRead);
  const readTraces = traces.read;
  const readLogVolume = emptyLogVolume();
  for (const volume of [readLogs.functions, readLogs.platform, readLogs.access]) addVolume(readLogVolume, volume);
  const rows: CostRow[] = [
    { key: 'dynamodb', label: 'DynamoDB', usd: base.dynamodb, quantity: `${fixed(level.capacityPerCharge.write)} write + ${fixed(level.capacityPerCharge.read)} read units` },
    { key: 'sqs', label: 'SQS', usd: base.sqs, quantity: `${fixed(SQS_OPERATIONS(level.callsPerCharge))} requests` },
    { key: 'apiGateway', label: 'API Gateway (the POST, and Stripe’s events)', usd: base.apiGateway, quantity: `${fixed(posts)} + ${fixed(stripeEvents)} requests` },
    {
      key: 'waf',
      label: 'AWS WAF (the POST, and Stripe’s events)',
      usd: (posts + stripeEvents) * facts.waf.webAcls * PRICES.wafPerMillionRequests,
      quantity: `${fixed((posts + stripeEvents) * facts.waf.webAcls)} requests inspected`,
    },
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
    { key: 'xray', label: 'X-Ray', usd: chargeTraces * TRACE_COST, quantity: `${fixed(chargeTraces, 4)} traces` },
    {
      key: 'read.apiGateway',
      label: 'Status read: API Gateway',
      usd: readRequests * apiPerMillion(facts.api),
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
    { key: 'read.xray', label: 'Status read: X-Ray', usd: readTraces * TRACE_COST, quantity: `${fixed(readTraces, 4)} traces` },
  ];
  return { rows, total: sum(rows.map((row) => row.usd)) };
}

/**
 * What learning the outcome by webhook costs per million charges (one endpoint per merchant, one
 * delivery per charge): the delivery function, its DynamoDB reads and attempt record, the
 * deliveries queue's requests, its logs and traces. Compare with the status-read rows of
 * {@link allInPerMillion}; the events function runs for every charge either way (charge rows).
 */
export function webhookPerMillion(level: LevelResult, facts: StackFacts, kmsRequestsPerDelivery: number, chargesPerMonth = REFERENCE_CHARGES_PER_MONTH): { rows: CostRow[]; total: number } {
  const hook = level.webhook;
  const logs = logVolumes(hook.logsPerCharge, hook.platformLogsPerCharge, hook.lambda.invocationsPerCharge, [], facts);
  const volume = emptyLogVolume();
  for (const part of [logs.functions, logs.platform]) addVolume(volume, part);
  const traces = sum(
    Object.entries(hook.lambda.invocationsPerCharge)
      .filter(([name]) => facts.tracedEventFunctions.includes(name))
      .map(([, invocations]) => invocations * sampledShare((invocations * chargesPerMonth) / SECONDS_PER_MONTH, LAMBDA_XRAY_SAMPLING)),
  );
  const kmsRequests = kmsRequestsPerDelivery * hook.deliveriesPerCharge;
  const rows: CostRow[] = [
    { key: 'hook.dynamodb', label: 'Webhook: DynamoDB', usd: DYNAMODB_COST(hook.capacityPerCharge), quantity: `${fixed(hook.capacityPerCharge.write)} write + ${fixed(hook.capacityPerCharge.read)} read units` },
    { key: 'hook.sqs', label: 'Webhook: SQS', usd: SQS_OPERATIONS(hook.callsPerCharge) * PRICES.sqsPerMillionRequests, quantity: `${fixed(SQS_OPERATIONS(hook.callsPerCharge))} requests` },
    {
      key: 'hook.lambda',
      label: 'Webhook: Lambda',
      usd: LAMBDA_COST(hook.lambda.invocationsPerCharge, hook.lambda.gbSecondsPerCharge),
      quantity: `${fixed(sum(Object.values(hook.lambda.invocationsPerCharge)))} invocations, ${fixed(hook.lambda.gbSecondsPerCharge, 4)} GB-s`,
    },
    { key: 'hook.kms', label: 'Webhook: KMS (opening the signing secret)', usd: kmsRequests * PRICES.kmsPerMillionRequests, quantity: `${fixed(kmsRequests, 4)} requests` },
    { key: 'hook.logs', label: 'Webhook: CloudWatch Logs', usd: LOGS_COST(volume), quantity: bytes(volume) },
    { key: 'hook.xray', label: 'Webhook: X-Ray', usd: traces * TRACE_COST, quantity: `${fixed(traces, 4)} traces` },
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
  const detailedMetrics = facts.detailedMetricMethods * DETAILED_METRICS_PER_METHOD;
  const rows: FixedRow[] = [
    { label: 'CloudWatch alarms', quantity: `${facts.alarmMetrics} alarm metrics (${facts.alarms} alarms)`, usd: facts.alarmMetrics * PRICES.alarmMetricMonth },
    { label: 'CloudWatch dashboard', quantity: `${facts.dashboards}`, usd: facts.dashboards * PRICES.dashboardMonth },
    {
      label: 'CloudWatch custom metrics (EMF)',
      quantity: `${run.customMetrics.length} seen in this run (${pass.metrics.length} published by every reconciler pass; the others only where something happens: counted for the whole month)`,
      usd: run.customMetrics.length * PRICES.customMetricMonth,
      ceiling: true,
    },
    {
      label: 'API Gateway detailed metrics (custom metrics)',
      quantity: `${facts.detailedMetricMethods} methods × ${DETAILED_METRICS_PER_METHOD} metrics`,
      usd: detailedMetrics * PRICES.customMetricMonth,
    },
    { label: 'Secrets Manager secret', quantity: `${facts.secrets.length}`, usd: facts.secrets.length * PRICES.secretsManagerPerSecretMonth },
    {
      label: 'KMS customer managed keys (alarm topic, webhook secrets, backup vault), with rotation',
      quantity: `${facts.kmsKeys} keys, ${facts.rotatingKmsKeys} rotated yearly (+$2 each from the second year)`,
      usd: facts.kmsKeys * PRICES.kmsKeyMonth + facts.rotatingKmsKeys * 2 * PRICES.kmsRotationMonth,
    },
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
  );
  return { rows, total: sum(rows.map((row) => row.usd)) };
}
