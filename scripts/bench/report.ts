import { ingestedBytes, LOG_EVENT_OVERHEAD_BYTES, XRAY_TRACE_ID_FIELD_BYTES, type LogVolume } from './aws-logs.ts';
import { BUDGET, type ColdStart } from './cold-start.ts';
import type { StartupTimes } from './startup.ts';
import type { StageConfig } from '#infra/stage-config.ts';
import type { CallType, LatencySpec } from '../processor-sandbox/sandbox.ts';
import {
  allInPerMillion,
  costPerMillion,
  fixedMonthly,
  HOURS_PER_MONTH,
  IDLE_EVENT_SOURCE,
  LAMBDA_XRAY_SAMPLING,
  logVolumes,
  PRICES,
  REFERENCE_CHARGES_PER_MONTH,
  webhookPerMillion,
  XRAY_SCANS_PER_TRACE,
  type StackFacts,
} from './cost.ts';
import { MEMORY_MB, type BenchRun, type LevelResult } from './run.ts';
import { byVolume, ENVIRONMENT_LIFETIME_HOURS, initPerMonth, keptRecords, keptRecordsPerCharge, type VolumeRow } from './volume.ts';

export { allInPerMillion, costPerMillion, fixedMonthly, PRICES } from './cost.ts';

export interface BenchResult {
  generatedAt: string;
  command: string;
  machine: string;
  options: { charges: number; concurrency: number[]; replayRatio: number; seed: number };
  oncepay: BenchRun;
  baseline: BenchRun | null;
  /** What the synthesized templates say about logging, tracing and the fixed costs: the stage priced (prod). */
  stack: StackFacts;
  /** The priced stage's configuration: record retention and backup plan. */
  pricedConfig: StageConfig;
  /** The processor sandbox's latency model during the run (both systems). */
  processorLatency: Record<CallType, LatencySpec>;
  /** The same for the stage the benchmark ran (local). */
  measuredStack: StackFacts;
  /** The priced stage served by an HTTP API instead (`--context apiType=http`): its facts, for the report's REST/HTTP comparison. */
  httpStack?: StackFacts;
  coldStarts: ColdStart[];
  /** Share of one core other processes used while the cold starts were measured. */
  coldStartOtherCpu: number;
  /** `npm start` to ready, on this machine (absent from reports made before it was measured). */
  startup?: StartupTimes;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** The API path: what the create function spends per new charge before answering. */
export function apiPathCalls(level: LevelResult): { dynamodbWrites: number; sqsSends: number } {
  return level.apiPathPerCharge;
}

/** A small line chart as SVG: x = concurrency (log scale), one line per series. */
export function lineChart(title: string, unit: string, xs: number[], series: Array<{ name: string; color: string; values: number[] }>): string {
  const width = 560;
  const height = 300;
  const left = 60;
  const bottom = 40;
  const top = 30;
  const right = 130;
  const max = Math.max(1, ...series.flatMap((line) => line.values)) * 1.1;
  const logs = xs.map((x) => Math.log2(x));
  const minLog = Math.min(...logs);
  const maxLog = Math.max(...logs, minLog + 1);
  const px = (x: number) => left + ((Math.log2(x) - minLog) / (maxLog - minLog)) * (width - left - right);
  const py = (y: number) => height - bottom - (y / max) * (height - top - bottom);
  const lines = series
    .map(
      (line, index) =>
        `<polyline fill="none" stroke="${line.color}" stroke-width="2" points="${line.values.map((value, i) => `${px(xs[i] ?? 1).toFixed(1)},${py(value).toFixed(1)}`).join(' ')}"/>` +
        line.values.map((value, i) => `<circle cx="${px(xs[i] ?? 1).toFixed(1)}" cy="${py(value).toFixed(1)}" r="3" fill="${line.color}"/>`).join('') +
        `<text x="${width - right + 10}" y="${top + 20 * index + 10}" font-size="12" fill="${line.color}">${line.name}</text>`,
    )
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((share) => {
      const value = max * share;
      return `<line x1="${left}" x2="${width - right}" y1="${py(value)}" y2="${py(value)}" stroke="#ddd"/><text x="${left - 6}" y="${py(value) + 4}" font-size="11" text-anchor="end">${value >= 100 ? Math.round(value) : value.toFixed(1)}</text>`;
    })
    .join('');
  const xLabels = xs.map((x) => `<text x="${px(x)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle">${x}</text>`).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${title}</text>`,
    ticks,
    `<text x="14" y="${height / 2}" font-size="11" transform="rotate(-90 14 ${height / 2})" text-anchor="middle">${unit}</text>`,
    xLabels,
    `<text x="${(left + width - right) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">concurrent clients</text>`,
    lines,
    '</svg>',
  ].join('\n');
}

const volumeText = (volume: LogVolume) => `${fixed(volume.events)} / ${Math.round(ingestedBytes(volume))}`;

/** docs/benchmarks.md */
export function markdownReport(result: BenchResult): string {
  const levels = result.oncepay.levels;
  const baselineLevels = result.baseline?.levels ?? [];
  const baselineAt = (concurrency: number) => baselineLevels.find((level) => level.concurrency === concurrency);
  const facts = result.stack;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(`Generated ${result.generatedAt} by \`${result.command}\` on ${result.machine}.`);
  lines.push(
    `Each level sends ${result.options.charges} new charges (\`pm_card_visa\`, 4 merchants), waits until all are \`succeeded\`, replays ` +
      `${Math.round(result.options.replayRatio * 100)}% of their keys, then reads each charge once (\`GET /v1/charges/{id}\`, the client learning the outcome). ` +
      `Load: autocannon, seed ${result.options.seed}. Calls are counted on the wire ` +
      'by the local stack\'s proxy (every DynamoDB and SQS request the functions and the SQS pollers send, retries included, except receives that came back empty: ' +
      'the pollers idling, priced in the fixed costs; the local pollers wait 1 s, AWS\'s 20 s); ' +
      'capacity is what DynamoDB Local reports (`ReturnConsumedCapacity: INDEXES`, GSI writes included); log lines are what the functions wrote, captured per function by the runner. ' +
      'Everything runs on one 2-core machine: DynamoDB Local (Java), the SQS emulator, the runner and the functions compete for the same cores, and other processes on the machine may too.',
  );
  lines.push('');
  const latency = Object.entries(result.processorLatency)
    .map(([call, spec]) => `${call} ${spec.medianMs} ms (p99 ${spec.p99Ms} ms)`)
    .join(', ');
  lines.push(
    `The processor sandbox answers at Stripe-like latency, the same for both systems: each request's delay is drawn from a log-normal distribution per call type, median and 99th percentile: ${latency}. ` +
      'A worker waiting for Stripe is billed for the wait, as on Lambda.',
  );
  lines.push('');
  lines.push(
    'Requests per second are measured over each phase, autocannon\'s start included: the replay phases are short, so their rate is a lower bound.',
  );
  lines.push('');
  lines.push('## Throughput and latency', '');
  lines.push('![throughput](bench-throughput.svg) ![latency](bench-latency.svg)', '');
  lines.push('| clients | new: charges/s | new p50 / p95 / p99 ms | replay: req/s | replay p50 / p95 / p99 ms | status read p50 / p95 / p99 ms | 202→succeeded p50 / p99 ms | errors | CPU: DynamoDB Local / node / other processes |');
  lines.push('|---:|---:|---|---:|---|---|---|---:|---|');
  for (const level of levels) {
    const n = level.newCharges;
    const r = level.replays;
    const g = level.statusRead;
    lines.push(
      `| ${level.concurrency} | ${fixed(n.throughput, 1)} | ${n.latencyMs.p50} / ${n.latencyMs.p95} / ${n.latencyMs.p99} | ${fixed(r.throughput, 1)} | ${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} | ` +
        `${g.latencyMs.p50} / ${g.latencyMs.p95} / ${g.latencyMs.p99} | ` +
        `${level.acceptedToSucceededMs.p50} / ${level.acceptedToSucceededMs.p99} (${level.acceptedToSucceededMs.samples} samples) | ${n.errors + r.errors + g.errors} | ` +
        `${fixed(level.cpu.dynamodbLocal * 100, 0)}% / ${fixed(level.cpu.nodeProcess * 100, 0)}% / ${fixed(level.cpu.otherProcesses * 100, 0)}% |`,
    );
  }
  const top = levels.at(-1);
  if (top) {
    const saturated = top.cpu.dynamodbLocal + top.cpu.nodeProcess;
    lines.push(
      '',
      `CPU is given as a share of one core (200% = both cores). At ${top.concurrency} clients the benchmark uses ${fixed(saturated * 100, 0)}% of one core ` +
        `(other processes ${fixed(top.cpu.otherProcesses * 100, 0)}%): DynamoDB Local alone uses ${fixed(top.cpu.dynamodbLocal * 100, 0)}% and the node process (fauxqs, the runner's API Gateway and pollers, and ` +
        'every function) the rest. Where throughput stops growing, the emulators and the one machine are the bottleneck, not oncepay\'s call count. ' +
        '"Other processes" is what the rest of the machine used meanwhile (it is shared): where it is high, throughput, latency and Lambda time are worse than the system\'s own.',
    );
  }
  lines.push('', '## Calls and cost per charge', '');
  const reference = levels.find((level) => level.concurrency === 16) ?? levels.at(-1);
  if (reference) {
    const peer = baselineAt(reference.concurrency);
    const allIn = allInPerMillion(reference, facts);
    const peerAllIn = peer ? allInPerMillion(peer, facts) : null;
    const monthly = fixedMonthly(result.oncepay, facts, result.measuredStack.openChargeShards);
    const hasCeiling = monthly.rows.some((row) => row.ceiling);
    const atVolume = `${REFERENCE_CHARGES_PER_MONTH / 1_000_000}M charges a month`;
    lines.push(
      `**Per charge: $${fixed(allIn.total)} per million charges for oncepay` +
        (peerAllIn ? `, $${fixed(peerAllIn.total)} for the Powertools baseline (${fixed(allIn.total / Math.max(0.001, peerAllIn.total))}×)** ` : '** ') +
        `(at ${reference.concurrency} clients, X-Ray priced at ${atVolume}; the charge, its logs, traces and secret reads, and one status read by the client), ` +
        `plus ${hasCeiling ? 'at most ' : ''}$${fixed(monthly.total)} a month of fixed costs for the stage, and the records each charge leaves (storage, PITR, backups: [by volume](#what-a-user-pays-by-volume)).`,
      '',
    );
    lines.push('### All-in cost per million charges (USD)', '');
    lines.push(
      `Measured per charge in this run, priced for a \`${facts.stage}\` stack at ${atVolume}: its synthesized template gives the access-log format, tracing, WAF and the fixed costs.`,
      '',
    );
    lines.push('| | oncepay | baseline | per charge (oncepay) |', '|---|---:|---:|---|');
    for (const row of allIn.rows) {
      const other = peerAllIn?.rows.find((candidate) => candidate.key === row.key);
      lines.push(`| ${row.label} | ${fixed(row.usd)} | ${other ? fixed(other.usd) : '–'} | ${row.quantity} |`);
    }
    lines.push(`| **all-in** | **${fixed(allIn.total)}** | **${peerAllIn ? fixed(peerAllIn.total) : '–'}** | |`);
    const kmsPerDelivery = result.oncepay.totals.kmsRequests / Math.max(1, result.oncepay.totals.webhookDeliveries);
    const hook = webhookPerMillion(reference, facts, kmsPerDelivery);
    const readRows = allIn.rows.filter((row) => row.key.startsWith('read.'));
    const readTotal = readRows.reduce((total, row) => total + row.usd, 0);
    lines.push(
      '',
      '### Learning the outcome: a webhook or one status read (USD per million charges)',
      '',
      `The client learns each charge's outcome either by one \`GET /v1/charges/{id}\` once it is final (the status-read rows above, $${fixed(readTotal)}) ` +
        `or by a webhook (one endpoint per merchant, one delivery per charge: ${fixed(reference.webhook.deliveriesPerCharge)} deliveries per charge measured), $${fixed(hook.total)}. ` +
        'The events function that turns the table\'s stream into events runs for every charge either way; it is in the charge rows above. ' +
        'A client that polls more than once pays a status read per poll; a webhook costs the same however long the charge takes.',
      '',
      '| | USD per million charges | per charge |',
      '|---|---:|---|',
      ...readRows.map((row) => `| ${row.label} | ${fixed(row.usd)} | ${row.quantity} |`),
      `| **one status read** | **${fixed(readTotal)}** | |`,
      ...hook.rows.map((row) => `| ${row.label} | ${fixed(row.usd)} | ${row.quantity} |`),
      `| **webhook** | **${fixed(hook.total)}** | |`,
      '',
      `With webhooks instead of the status read, all in: $${fixed(allIn.total - readTotal + hook.total)} per million charges.`,
    );
    lines.push('', 'By level (the same accounting at each concurrency):', '');
    lines.push('| clients | oncepay | baseline |', '|---:|---:|---:|');
    for (const level of levels) {
      const other = baselineAt(level.concurrency);
      lines.push(`| ${level.concurrency} | ${fixed(allInPerMillion(level, facts).total)} | ${other ? fixed(allInPerMillion(other, facts).total) : '–'} |`);
    }
    const sampling = facts.xraySampling;
    const totals = result.oncepay.totals;
    const workerInvocationsPerCharge = reference.lambda.invocationsPerCharge['Worker'] ?? 0;
    lines.push('', 'How each row is measured:', '');
    lines.push(
      '- **DynamoDB, SQS, API Gateway, Lambda**: as in the per-call tables below (DESIGN.md §6 prices). DynamoDB read units now include the worker\'s strongly consistent `GetItem` ' +
        '(GetItem capacity is shared with the latency sampler\'s polling and attributed by call count).',
      `- **Secrets Manager**: \`GetSecretValue\` requests counted on the wire (every request the Secrets Manager stand-in receives). The worker reads the processor key once per execution environment and keeps it, ` +
        `so after the warm-up the levels make none: ${totals.secretsManagerCalls} calls in the whole run for ${totals.charges} charges, warm-up included. ` +
        `Even one read per worker invocation (every invocation a cold start) would cost $${fixed(workerInvocationsPerCharge * PRICES.secretsManagerPerMillionCalls)} per million charges.`,
      `- **CloudWatch Logs: functions' lines**: every line each function wrote to stdout or stderr during the level, captured by the runner's function host, in UTF-8, ` +
        `plus ${LOG_EVENT_OVERHEAD_BYTES} bytes per event (the event size CloudWatch Logs assigns, PutLogEvents reference) and the \`xray_trace_id\` field Powertools Logger adds on Lambda ` +
        `(${XRAY_TRACE_ID_FIELD_BYTES} bytes per Powertools line; the runner sets no \`_X_AMZN_TRACE_ID\`). EMF metric lines are among them (CloudWatch bills EMF as log ingestion). ` +
        `$${PRICES.logsIngestionPerGb} per GB (2^30 bytes) ingested. By function below.`,
      '- **CloudWatch Logs: Lambda START/END/REPORT**: *rendered*, since the runner writes none: three events per measured invocation with its measured duration (Max Memory Used assumed three digits), ' +
        `and the REPORT's X-Ray line for the sampled share (${fixed(sampling.fixedRate * 100, 0)}%).`,
      (facts.accessLogFormat
        ? '- **CloudWatch Logs: API access log**: *rendered*, since the local gateway writes none: one line per API request in the stage\'s access-log format from the synthesized template ' +
          '(`jsonWithStandardFields`), with each request\'s measured status and response length, a 36-character request id, a 15-character client IP (the longest IPv4) and a CLF time. '
        : '- **CloudWatch Logs: API access log**: the stage has no access logging. ') +
        'Execution logging is at `ERROR` level and the run has no errors, so none.',
      `- **X-Ray**, at ${atVolume} (the by-volume table prices each volume): the API stage samples by ${sampling.source}, ${sampling.reservoirPerSecond} trace a second, then ${fixed(sampling.fixedRate * 100, 0)}% of the rest, ` +
        'and the functions behind it follow its decision; ' +
        `each function an event source invokes with active tracing (${facts.tracedEventFunctions.join(', ') || 'none'}) is sampled by Lambda itself, ${LAMBDA_XRAY_SAMPLING.reservoirPerSecond} a second and ${fixed(LAMBDA_XRAY_SAMPLING.fixedRate * 100, 0)}% of the rest, with no rule to change it. ` +
        'Each sampler traces every request below its reservoir: at a low volume nearly every request is traced. ' +
        `$${PRICES.xrayPerMillionTracesRecorded} per million recorded, plus $${PRICES.xrayPerMillionTracesScanned} per million scanned, ` +
        `assuming each recorded trace is scanned ${XRAY_SCANS_PER_TRACE === 1 ? 'once' : `${XRAY_SCANS_PER_TRACE} times`}.`,
      `- **AWS WAF**: ${facts.waf.webAcls} web ACL${facts.waf.webAcls === 1 ? '' : 's'} in front of the \`${facts.stage}\` API inspect${facts.waf.webAcls === 1 ? 's' : ''} every request: $${PRICES.wafPerMillionRequests} per million (https://aws.amazon.com/waf/pricing/).`,
      '- **Status read**: one `GET /v1/charges/{id}` per accepted charge once it is final, at the level\'s concurrency, accounted like the charge: the API request, GetCharge (its key lookup is cached in the warm container for 30 s, so reads of the ' +
        'table for keys are a share of one per container and key), its strongly consistent `GetItem` (one read unit), its logs and its share of traces. The SQS pollers\' receives during the reads are not the reads\' and are left out.',
      `- **Custom metrics (EMF)**: per charge they are log bytes, above. Each metric is billed per month, prorated by the hours it has data: the fixed costs count those every reconciler pass publishes ` +
        `(${result.oncepay.reconcilerPass.metrics.map((metric) => `\`${metric}\``).join(', ') || 'none'}); the others are published only when something happens ` +
        `(seen in this run: ${result.oncepay.customMetrics.filter((metric) => !result.oncepay.reconcilerPass.metrics.includes(metric)).map((metric) => `\`${metric}\``).join(', ') || 'none'}).`,
    );
    const responseBytes = [...reference.apiRequestsPerCharge, ...reference.statusRead.apiRequestsPerRead].reduce((total, request) => total + request.count * request.responseBytes, 0);
    lines.push(
      '',
      'Not included: free tiers; data transfer out (response bodies are ' +
        `${Math.round(responseBytes)} bytes per charge, headers aside: $${fixed((responseBytes / 1024 ** 3) * 0.09 * 1_000_000)} per million at $0.09/GB); ` +
        'CloudWatch Logs storage ($0.03 per GB-month, compressed, for the log retention); the INIT_START log line; KMS requests of alarm notifications; DynamoDB Streams reads by Lambda (free).',
    );
    lines.push('', `### Fixed monthly costs (USD, from the synthesized \`${facts.stage}\` template and the run; ${HOURS_PER_MONTH}-hour month)`, '');
    lines.push('| item | quantity | per month |', '|---|---|---:|');
    for (const row of monthly.rows) lines.push(`| ${row.label} | ${row.quantity} | ${row.ceiling ? '≤ ' : ''}${fixed(row.usd)} |`);
    lines.push(`| **total** | | **${hasCeiling ? '≤ ' : ''}${fixed(monthly.total)}** |`);
    lines.push(
      '',
      `Prices: alarms $${PRICES.alarmMetricMonth} per alarm metric, dashboards $${PRICES.dashboardMonth}, custom metrics $${PRICES.customMetricMonth} each, secrets $${PRICES.secretsManagerPerSecretMonth}, ` +
        `KMS keys $${PRICES.kmsKeyMonth}, WAF $${PRICES.wafWebAclMonth} per web ACL and $${PRICES.wafRuleMonth} per rule ` +
        '(https://aws.amazon.com/cloudwatch/pricing/, https://aws.amazon.com/secrets-manager/pricing/, https://aws.amazon.com/kms/pricing/, https://aws.amazon.com/waf/pricing/, https://aws.amazon.com/xray/pricing/, us-east-1). ' +
        `The reconciler's passes are measured (${result.oncepay.reconcilerPass.passes} idle passes after the levels: Lambda, DynamoDB, its dead-letter receive with the worker's idle polling subtracted, logs, one trace each). ` +
        `The SQS line is an estimate for AWS (${IDLE_EVENT_SOURCE.pollers} pollers per SQS event source long-polling ${IDLE_EVENT_SOURCE.waitSeconds} s while the queue is empty; receives that return messages are in the per-charge SQS rows). ` +
        'The baseline deploys the same stack but its create-charge function, so the same fixed costs.',
    );
    const found = result.oncepay.reconcilerPass.foundPerPass;
    if (found.stuck + found.inReview + found.deadLetters > 0) {
      lines.push(
        '',
        `The measured passes were not idle: per pass ${fixed(found.stuck)} stuck charges, ${fixed(found.inReview)} in review and ${fixed(found.deadLetters)} dead letters, left by the levels; their work is in the figure.`,
      );
    }

    const config = result.pricedConfig;
    const records = keptRecords(result.oncepay.storage, result.oncepay.totals.charges, config);
    const kept = keptRecordsPerCharge(records, facts, config);
    const rows = byVolume(result.oncepay, reference, facts, config, result.coldStarts, result.measuredStack.openChargeShards);
    const peerRows = result.baseline && peer ? byVolume(result.baseline, peer, facts, config, result.coldStarts, result.measuredStack.openChargeShards) : null;
    const plan = config.backup;
    lines.push('', '## What a user pays, by volume', '');
    lines.push(
      `A \`${facts.stage}\` stage's month at a steady volume, in USD: the measured per-charge costs above (X-Ray at that volume), the fixed costs, Lambda's billed INIT, ` +
        `and the records the charges keep once the tables hold a whole retention (${config.chargeRecordRetentionDays} days of charge records): their storage, point-in-time recovery and backups.`,
      '',
      '| charges a month | per-charge costs | fixed | Lambda INIT | kept records | **all in** | per million (oncepay) | per million (baseline) | per million without kept records (oncepay / baseline) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...rows.map((row, index) => {
        const other = peerRows?.[index];
        const withoutKept = (entry: typeof row) => (entry.total - entry.keptRecords) / (entry.chargesPerMonth / 1_000_000);
        return (
          `| ${row.chargesPerMonth.toLocaleString('en-US')} | ${fixed(row.charges)} | ${fixed(row.fixed)} | ${fixed(row.init)} | ${fixed(row.keptRecords)} | **${fixed(row.total)}** | ${fixed(row.perMillion)} | ` +
          `${other ? fixed(other.perMillion) : '–'} | ${fixed(withoutKept(row))} / ${other ? fixed(withoutKept(other)) : '–'} |`
        );
      }),
      '',
      'What each charge keeps (measured: every item the run left in the charges and webhooks tables, sized by DynamoDB\'s rules, 100 bytes of overhead per item and per index copy):',
      '',
      '| item | bytes per charge (table / indexes) | kept |',
      '|---|---:|---:|',
      ...records.map((record) => `| ${record.kind} | ${fixed(record.tableBytes, 0)} / ${fixed(record.indexBytes, 0)} | ${fixed(record.keptMonths, 1)} months |`),
      '',
      `Per charge at the steady state, each month: storage $${fixed(kept.storage * 1_000_000)} per million charges ($${PRICES.dynamodbStoragePerGbMonth}/GB-month, indexes included), ` +
        `PITR $${fixed(kept.pitr * 1_000_000)} ($${PRICES.dynamodbPitrPerGbMonth}/GB-month of table data, ${facts.pitrTables} tables), ` +
        (plan
          ? `backups $${fixed(kept.backups * 1_000_000)}: the plan keeps ${plan.dailyRetentionDays} daily points, a monthly one for ${plan.monthlyRetentionDays} days (cold after ${plan.monthlyColdStorageAfterDays})` +
            (plan.yearly ? ` and a yearly one for ${plan.yearly.retentionDays} days (cold after ${plan.yearly.coldStorageAfterDays})` : '') +
            ', ' +
            `and each point is a whole copy of the tables ($${PRICES.backupWarmPerGbMonth}/GB-month warm, $${PRICES.backupColdPerGbMonth} cold; DynamoDB backups are full, not incremental, and leave the indexes out). `
          : 'no backups. ') +
        `The tables grow for the whole retention: in the first year they hold a seventh of that, and these rows cost about that share.`,
      '',
      `Lambda INIT: every function on the charge path keeps the environments its concurrency needs (at least one), each replaced every ${ENVIRONMENT_LIFETIME_HOURS} hours ` +
        `(AWS documents no lifetime: an assumption), and each cold start bills its measured initialisation (the cold-start table below) at ${MEMORY_MB} MB: ` +
        `${Math.round(initPerMonth(reference, result.coldStarts, REFERENCE_CHARGES_PER_MONTH).coldStarts)} cold starts a month at ${atVolume}.`,
    );

    if (result.httpStack) lines.push(...httpApiSection(result, reference, rows));

    lines.push('', '### Logs per charge, by function (events / bytes ingested)', '');
    const names = [...new Set([...Object.keys(reference.logsPerCharge), ...Object.keys(peer?.logsPerCharge ?? {}), ...Object.keys(reference.statusRead.logsPerRead)])].sort();
    lines.push('| log group | oncepay | baseline |', '|---|---:|---:|');
    for (const name of names) {
      lines.push(`| ${name}: its own lines | ${volumeText(reference.logsPerCharge[name] ?? { events: 0, bytes: 0 })} | ${peer ? volumeText(peer.logsPerCharge[name] ?? { events: 0, bytes: 0 }) : '–'} |`);
    }
    const chargeLogs = logVolumes(reference.logsPerCharge, reference.platformLogsPerCharge, reference.lambda.invocationsPerCharge, reference.apiRequestsPerCharge, facts);
    const peerLogs = peer ? logVolumes(peer.logsPerCharge, peer.platformLogsPerCharge, peer.lambda.invocationsPerCharge, peer.apiRequestsPerCharge, facts) : null;
    lines.push(`| all functions: Lambda START/END/REPORT (rendered) | ${volumeText(chargeLogs.platform)} | ${peerLogs ? volumeText(peerLogs.platform) : '–'} |`);
    lines.push(`| API access log (rendered) | ${volumeText(chargeLogs.access)} | ${peerLogs ? volumeText(peerLogs.access) : '–'} |`);
    const readLogs = logVolumes(reference.statusRead.logsPerRead, reference.statusRead.platformLogsPerRead, reference.statusRead.lambda.invocationsPerRead, reference.statusRead.apiRequestsPerRead, facts);
    const readOwn = Object.entries(reference.statusRead.logsPerRead).map(([name, volume]) => `${name} ${volumeText(volume)}`).join(', ') || 'none';
    lines.push(
      '',
      `Per status read (oncepay): the functions' own lines ${readOwn}; Lambda lines ${volumeText(readLogs.platform)}; access log ${volumeText(readLogs.access)}.`,
    );

    lines.push('', '### Calls per charge', '');
    lines.push('Per new charge, API path and worker together; client polling (GET) and replays excluded.', '');
    const keys = [...new Set([...Object.keys(reference.callsPerCharge), ...Object.keys(peer?.callsPerCharge ?? {})])].sort();
    lines.push(`At ${reference.concurrency} clients:`, '');
    lines.push(`| call | oncepay | baseline (Powertools makeIdempotent) |`, '|---|---:|---:|');
    for (const key of keys) lines.push(`| ${key} | ${fixed(reference.callsPerCharge[key] ?? 0)} | ${peer ? fixed(peer.callsPerCharge[key] ?? 0) : '–'} |`);
    lines.push(`| DynamoDB write units | ${fixed(reference.capacityPerCharge.write)} | ${peer ? fixed(peer.capacityPerCharge.write) : '–'} |`);
    lines.push(`| DynamoDB read units | ${fixed(reference.capacityPerCharge.read)} | ${peer ? fixed(peer.capacityPerCharge.read) : '–'} |`);
    const indexes = Object.entries(reference.indexWritesPerCharge ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (indexes.length > 0) {
      lines.push(
        '',
        `What each index costs per charge (its share of the write units above, at $${PRICES.dynamodbWritePerMillion} per million write units):`,
        '',
        '| index | write units per charge | USD per million charges |',
        '|---|---:|---:|',
        ...indexes.map(([index, units]) => `| ${index} | ${fixed(units)} | ${fixed(units * PRICES.dynamodbWritePerMillion)} |`),
      );
    }
    const api = apiPathCalls(reference);
    lines.push(
      '',
      `API path per new charge (oncepay): ${fixed(api.dynamodbWrites)} DynamoDB write and ${fixed(api.sqsSends)} SQS send — the minimum the design allows.` +
        (peer ? ` Baseline: ${fixed(apiPathCalls(peer).dynamodbWrites + (peer.callsPerCharge['dynamodb:UpdateItem'] ?? 0) - (reference.callsPerCharge['dynamodb:UpdateItem'] ?? 0))} DynamoDB writes (Powertools' in-progress record, the charge, the completed record) and ${fixed(apiPathCalls(peer).sqsSends)} SQS send.` : ''),
    );
    const cost = costPerMillion(reference);
    const peerCost = peer ? costPerMillion(peer) : null;
    lines.push('', '### Cost per million charges in the DESIGN.md §6 services (USD)', '');
    lines.push('The charge alone (no logs, traces, secrets, WAF or status read): the DynamoDB, SQS, API Gateway and Lambda rows of the all-in table.', '');
    lines.push('| service | oncepay | baseline |', '|---|---:|---:|');
    for (const service of ['dynamodb', 'sqs', 'apiGateway', 'lambda', 'total'] as const) {
      lines.push(`| ${service} | ${fixed(cost[service])} | ${peerCost ? fixed(peerCost[service]) : '–'} |`);
    }
    lines.push(
      '',
      'Lambda time is the invocations\' measured duration here (worker threads on this machine, 512 MB), a stand-in for billed duration on AWS.',
    );
    if (peer) {
      lines.push('', '### oncepay / baseline', '');
      lines.push('| clients | throughput ratio | p99 ratio (new charges) | API-path DynamoDB writes ratio | all-in cost ratio |', '|---:|---:|---:|---:|---:|');
      for (const level of levels) {
        const other = baselineAt(level.concurrency);
        if (!other) continue;
        lines.push(
          `| ${level.concurrency} | ${fixed(level.newCharges.throughput / Math.max(0.001, other.newCharges.throughput))} | ` +
            `${fixed(level.newCharges.latencyMs.p99 / Math.max(1, other.newCharges.latencyMs.p99))} | ` +
            `${fixed((level.callsPerCharge['dynamodb:PutItem'] ?? 0) / Math.max(0.001, (other.callsPerCharge['dynamodb:PutItem'] ?? 0) + (other.callsPerCharge['dynamodb:UpdateItem'] ?? 0) - (level.callsPerCharge['dynamodb:UpdateItem'] ?? 0)))} | ` +
            `${fixed(allInPerMillion(level, facts).total / Math.max(0.001, allInPerMillion(other, facts).total))} |`,
        );
      }
    }
  }
  lines.push('', '## Cold start', '');
  lines.push(
    `Budget: each bundle ≤ ${BUDGET.bundleBytes / 1_000_000} MB and initialisation ≤ ${BUDGET.initMs} ms (median of fresh \`node\` processes importing the bundle CDK built). ` +
      `Other processes used ${fixed(result.coldStartOtherCpu * 100, 0)}% of one core meanwhile.`,
    '',
  );
  lines.push('| function | bundle (bytes, minified) | init (ms, median) | within budget |', '|---|---:|---:|---|');
  for (const cold of result.coldStarts) {
    const ok = cold.bundleBytes <= BUDGET.bundleBytes && cold.initMs <= BUDGET.initMs;
    lines.push(`| ${cold.function} | ${cold.bundleBytes} | ${cold.initMs} | ${ok ? 'yes' : '**no**'} |`);
  }
  if (result.startup) {
    const { coldSeconds, warmSeconds, warmRuns } = result.startup;
    lines.push(
      '',
      '## `npm start`',
      '',
      `Until it prints "oncepay is ready" (Ctrl-C between runs): ${fixed(coldSeconds, 1)} s with nothing kept (it synthesizes the CDK app and bundles every function), ` +
        `${fixed(warmSeconds, 1)} s (median of ${warmRuns}) when the templates and bundles kept by the first start are reused, as they are while \`functions/\`, \`infra/\` and the lockfile are unchanged. Budget: ${STARTUP_BUDGET_SECONDS} s.`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The same run priced for the stage behind an HTTP API: the request price, no WAF, no traces
 * started at the API, its access-log format and detailed route metrics, beside the REST figures.
 */
function httpApiSection(result: BenchResult, reference: LevelResult, restRows: VolumeRow[]): string[] {
  const rest = result.stack;
  const http = result.httpStack;
  if (!http) return [];
  const shards = result.measuredStack.openChargeShards;
  const restAllIn = allInPerMillion(reference, rest).total;
  const httpAllIn = allInPerMillion(reference, http).total;
  const httpRows = byVolume(result.oncepay, reference, http, result.pricedConfig, result.coldStarts, shards);
  const perMillion = (row: VolumeRow) => fixed(row.perMillion);
  const withoutKept = (row: VolumeRow) => fixed((row.total - row.keptRecords) / (row.chargesPerMonth / 1_000_000));
  return [
    '',
    `### On an HTTP API (\`api.type: 'http'\`)`,
    '',
    `The same run priced for a \`${http.stage}\` stage served by an HTTP API (\`--context apiType=http --context wafRateLimit=off\`): ` +
      `$${PRICES.httpApiPerMillion} per million requests instead of $${PRICES.restApiPerMillion}, no WAF (an HTTP API cannot carry one), and no X-Ray traces started at the API (it cannot start them). ` +
      'Requests, function time and DynamoDB and SQS calls are the ones measured above: the functions answer both kinds of API alike ' +
      '(`integration-http-api`, the integration suite behind the local HTTP API, checks it).',
    '',
    '| USD | REST API (default) | HTTP API |',
    '|---|---:|---:|',
    `| all in per million charges (at ${REFERENCE_CHARGES_PER_MONTH / 1_000_000}M a month, one status read) | ${fixed(restAllIn)} | ${fixed(httpAllIn)} |`,
    `| fixed per month | ${fixed(fixedMonthly(result.oncepay, rest, shards).total)} | ${fixed(fixedMonthly(result.oncepay, http, shards).total)} |`,
    ...restRows.map((row, index) => {
      const other = httpRows[index];
      return `| per million, all in, at ${row.chargesPerMonth.toLocaleString('en-US')} a month (without kept records) | ${perMillion(row)} (${withoutKept(row)}) | ${other ? `${perMillion(other)} (${withoutKept(other)})` : '–'} |`;
    }),
  ];
}

/** `npm start` on an idle 2-core machine, with the kept synth (issue 23). */
const STARTUP_BUDGET_SECONDS = 10;
