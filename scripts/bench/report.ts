import { BUDGET, type ColdStart } from './cold-start.ts';
import type { LevelResult } from './run.ts';

/** DESIGN.md §6 prices (USD): on-demand DynamoDB, SQS standard, REST API, Lambda arm64. */
export const PRICES = {
  dynamodbWritePerMillion: 0.625,
  dynamodbReadPerMillion: 0.125,
  sqsPerMillionRequests: 0.4,
  restApiPerMillion: 3.5,
  lambdaPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
};

export interface BenchResult {
  generatedAt: string;
  command: string;
  machine: string;
  options: { charges: number; concurrency: number[]; replayRatio: number; seed: number };
  oncepay: LevelResult[];
  baseline: LevelResult[] | null;
  coldStarts: ColdStart[];
}

export interface CostPerMillion {
  dynamodb: number;
  sqs: number;
  apiGateway: number;
  lambda: number;
  total: number;
}

const SQS_OPERATIONS = (calls: Record<string, number>) =>
  Object.entries(calls).filter(([key]) => key.startsWith('sqs:')).reduce((sum, [, count]) => sum + count, 0);

/** Cost of one million new charges from one level's measured calls, capacity and Lambda time. */
export function costPerMillion(level: LevelResult): CostPerMillion {
  const dynamodb = level.capacityPerCharge.write * PRICES.dynamodbWritePerMillion + level.capacityPerCharge.read * PRICES.dynamodbReadPerMillion;
  const sqs = SQS_OPERATIONS(level.callsPerCharge) * PRICES.sqsPerMillionRequests;
  const apiGateway = PRICES.restApiPerMillion;
  const invocations = Object.values(level.lambda.invocationsPerCharge).reduce((sum, count) => sum + count, 0);
  const lambda = invocations * PRICES.lambdaPerMillionRequests + level.lambda.gbSecondsPerCharge * 1_000_000 * PRICES.lambdaPerGbSecond;
  return { dynamodb, sqs, apiGateway, lambda, total: dynamodb + sqs + apiGateway + lambda };
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** The API path: what the create function spends per new charge before answering. */
export function apiPathCalls(level: LevelResult): { dynamodbWrites: number; sqsSends: number } {
  return { dynamodbWrites: level.callsPerCharge['dynamodb:PutItem'] ?? 0, sqsSends: level.callsPerCharge['sqs:SendMessage'] ?? 0 };
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

/** docs/benchmarks.md */
export function markdownReport(result: BenchResult): string {
  const levels = result.oncepay;
  const baselineAt = (concurrency: number) => result.baseline?.find((level) => level.concurrency === concurrency);
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(`Generated ${result.generatedAt} by \`${result.command}\` on ${result.machine}.`);
  lines.push(
    `Each level sends ${result.options.charges} new charges (\`pm_card_visa\`, 4 merchants), waits until all are \`succeeded\`, then replays ` +
      `${Math.round(result.options.replayRatio * 100)}% of their keys. Load: autocannon, seed ${result.options.seed}. Calls are counted on the wire ` +
      'by the local stack\'s proxy (every DynamoDB and SQS request the functions and the SQS pollers send, retries included); ' +
      'capacity is what DynamoDB Local reports (`ReturnConsumedCapacity: INDEXES`, GSI writes included). ' +
      'Everything runs on one 2-core machine: DynamoDB Local (Java), the SQS emulator, the runner and the functions compete for the same cores.',
  );
  lines.push('');
  lines.push(
    'Requests per second are measured over each phase, autocannon\'s start included: the replay phases are short, so their rate is a lower bound.',
  );
  lines.push('');
  lines.push('## Throughput and latency', '');
  lines.push('![throughput](bench-throughput.svg) ![latency](bench-latency.svg)', '');
  lines.push('| clients | new: charges/s | new p50 / p95 / p99 ms | replay: req/s | replay p50 / p95 / p99 ms | 202→succeeded p50 / p99 ms | errors | CPU: DynamoDB Local / node |');
  lines.push('|---:|---:|---|---:|---|---|---:|---|');
  for (const level of levels) {
    const n = level.newCharges;
    const r = level.replays;
    lines.push(
      `| ${level.concurrency} | ${fixed(n.throughput, 1)} | ${n.latencyMs.p50} / ${n.latencyMs.p95} / ${n.latencyMs.p99} | ${fixed(r.throughput, 1)} | ${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} | ` +
        `${level.acceptedToSucceededMs.p50} / ${level.acceptedToSucceededMs.p99} (${level.acceptedToSucceededMs.samples} samples) | ${n.errors + r.errors} | ` +
        `${fixed(level.cpu.dynamodbLocal * 100, 0)}% / ${fixed(level.cpu.nodeProcess * 100, 0)}% |`,
    );
  }
  const top = levels.at(-1);
  if (top) {
    const saturated = top.cpu.dynamodbLocal + top.cpu.nodeProcess;
    lines.push(
      '',
      `CPU is given as a share of one core (200% = both cores). At ${top.concurrency} clients the machine is at ${fixed(saturated * 100, 0)}% of one core: ` +
        `DynamoDB Local alone uses ${fixed(top.cpu.dynamodbLocal * 100, 0)}% and the node process (fauxqs, the runner's API Gateway and pollers, and ` +
        'every function) the rest. Where throughput stops growing, the emulators and the one machine are the bottleneck, not oncepay\'s call count.',
    );
  }
  lines.push('', '## Calls and cost per charge', '');
  lines.push('Per new charge, API path and worker together; client polling (GET) and replays excluded.', '');
  const reference = levels.find((level) => level.concurrency === 16) ?? levels.at(-1);
  if (reference) {
    const peer = baselineAt(reference.concurrency);
    const keys = [...new Set([...Object.keys(reference.callsPerCharge), ...Object.keys(peer?.callsPerCharge ?? {})])].sort();
    lines.push(`At ${reference.concurrency} clients:`, '');
    lines.push(`| call | oncepay | baseline (Powertools makeIdempotent) |`, '|---|---:|---:|');
    for (const key of keys) lines.push(`| ${key} | ${fixed(reference.callsPerCharge[key] ?? 0)} | ${peer ? fixed(peer.callsPerCharge[key] ?? 0) : '–'} |`);
    lines.push(`| DynamoDB write units | ${fixed(reference.capacityPerCharge.write)} | ${peer ? fixed(peer.capacityPerCharge.write) : '–'} |`);
    lines.push(`| DynamoDB read units | ${fixed(reference.capacityPerCharge.read)} | ${peer ? fixed(peer.capacityPerCharge.read) : '–'} |`);
    const api = apiPathCalls(reference);
    lines.push(
      '',
      `API path per new charge (oncepay): ${fixed(api.dynamodbWrites)} DynamoDB write and ${fixed(api.sqsSends)} SQS send — the minimum the design allows.` +
        (peer ? ` Baseline: ${fixed(apiPathCalls(peer).dynamodbWrites + (peer.callsPerCharge['dynamodb:UpdateItem'] ?? 0) - (reference.callsPerCharge['dynamodb:UpdateItem'] ?? 0))} DynamoDB writes (Powertools' in-progress record, the charge, the completed record) and ${fixed(apiPathCalls(peer).sqsSends)} SQS send.` : ''),
    );
    const cost = costPerMillion(reference);
    const peerCost = peer ? costPerMillion(peer) : null;
    lines.push('', '### Cost per million charges (USD, DESIGN.md §6 prices)', '');
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
      lines.push('| clients | throughput ratio | p99 ratio (new charges) | API-path DynamoDB writes ratio |', '|---:|---:|---:|---:|');
      for (const level of levels) {
        const other = baselineAt(level.concurrency);
        if (!other) continue;
        lines.push(
          `| ${level.concurrency} | ${fixed(level.newCharges.throughput / Math.max(0.001, other.newCharges.throughput))} | ` +
            `${fixed(level.newCharges.latencyMs.p99 / Math.max(1, other.newCharges.latencyMs.p99))} | ` +
            `${fixed((level.callsPerCharge['dynamodb:PutItem'] ?? 0) / Math.max(0.001, (other.callsPerCharge['dynamodb:PutItem'] ?? 0) + (other.callsPerCharge['dynamodb:UpdateItem'] ?? 0) - (level.callsPerCharge['dynamodb:UpdateItem'] ?? 0)))} |`,
        );
      }
    }
  }
  lines.push('', '## Cold start', '');
  lines.push(`Budget: each bundle ≤ ${BUDGET.bundleBytes / 1_000_000} MB and initialisation ≤ ${BUDGET.initMs} ms (median of fresh \`node\` processes importing the bundle CDK built).`, '');
  lines.push('| function | bundle (bytes, minified) | init (ms, median) | within budget |', '|---|---:|---:|---|');
  for (const cold of result.coldStarts) {
    const ok = cold.bundleBytes <= BUDGET.bundleBytes && cold.initMs <= BUDGET.initMs;
    lines.push(`| ${cold.function} | ${cold.bundleBytes} | ${cold.initMs} | ${ok ? 'yes' : '**no**'} |`);
  }
  lines.push('');
  return lines.join('\n');
}
