/**
 * `npm run bench -- [--charges 200] [--concurrency 1,4,16,64] [--replay-ratio 0.2] [--seed 1] [--no-baseline] [--out docs]`
 * Benchmarks oncepay and, in the same run, the Powertools-makeIdempotent baseline on the same
 * emulators and load, and prices them all in (logs, traces, secrets, the client's status read)
 * beside the stage's fixed monthly costs; writes <out>/benchmarks.json, <out>/benchmarks.md and
 * its SVG charts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInt, usageError } from './script-args.ts';
import { build } from 'esbuild';
import { measureColdStarts } from './bench/cold-start.ts';
import { measureStartup } from './bench/startup.ts';
import { stackFacts } from './bench/cost.ts';
import { lineChart, markdownReport, type BenchResult } from './bench/report.ts';
import { machineCpuSeconds, runBenchmark, selfCpuSeconds } from './bench/run.ts';
import { synthesize } from './local/template.ts';
import { DEFAULT_CONFIG } from './processor-sandbox/config.ts';
import { stageConfig } from '#infra/stage-config.ts';

let values;
try {
  ({ values } = parseArgs({
    options: {
      charges: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '1,4,16,64' },
      'replay-ratio': { type: 'string', default: '0.2' },
      seed: { type: 'string', default: '1' },
      'no-baseline': { type: 'boolean', default: false },
      'cold-start-runs': { type: 'string', default: '7' },
      out: { type: 'string', default: 'docs' },
    },
  }));
} catch (error) {
  usageError((error as Error).message);
}
const charges = positiveInt('charges', values.charges);
const concurrency = values.concurrency.split(',').map((level) => positiveInt('concurrency', level));
const replayRatio = Number(values['replay-ratio']);
if (!(replayRatio >= 0 && replayRatio <= 10)) usageError('--replay-ratio must be between 0 and 10');
const seed = positiveInt('seed', values.seed);
const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);

log('measuring bundles and cold starts…');
const synthDir = mkdtempSync(join(tmpdir(), 'oncepay-bench-'));
const synthesized = synthesize({ stage: 'local', outdir: synthDir, processorApiUrl: 'http://127.0.0.1:9' });
const coldStartBefore = { wall: Date.now(), self: selfCpuSeconds(), machine: machineCpuSeconds() };
const coldStarts = measureColdStarts(synthesized, positiveInt('cold-start-runs', values['cold-start-runs']));
const coldStartOtherCpu =
  Math.max(0, machineCpuSeconds() - coldStartBefore.machine - (selfCpuSeconds() - coldStartBefore.self)) / ((Date.now() - coldStartBefore.wall) / 1000);
const measuredStack = stackFacts(synthesized);
rmSync(synthDir, { recursive: true, force: true });
log('timing npm start (nothing kept, then with the kept synth)…');
const startup = await measureStartup(3);
// The fixed costs, WAF, access-log format and tracing are priced for a prod stack.
log('synthesizing the prod stage for its fixed costs…');
const prodDir = mkdtempSync(join(tmpdir(), 'oncepay-bench-prod-'));
// Prod pages someone or does not synthesize; the address only fills the subscription the template prices.
const stack = stackFacts(synthesize({ stage: 'prod', outdir: prodDir, processorApiUrl: 'https://api.stripe.com', context: { alarmEmails: 'oncall@example.com' } }));
rmSync(prodDir, { recursive: true, force: true });
// The same stage behind an HTTP API, priced beside it.
const httpProdDir = mkdtempSync(join(tmpdir(), 'oncepay-bench-prod-http-'));
const httpStack = stackFacts(
  synthesize({ stage: 'prod', outdir: httpProdDir, processorApiUrl: 'https://api.stripe.com', context: { alarmEmails: 'oncall@example.com', apiType: 'http', wafRateLimit: 'off' } }),
);
rmSync(httpProdDir, { recursive: true, force: true });

const options = { charges, concurrency, replayRatio, seed, progressBar: process.stderr.isTTY, onProgress: (line: string) => log(`oncepay: ${line}`) };
log('benchmarking oncepay…');
const oncepay = await runBenchmark(options);

let baseline = null;
if (!values['no-baseline']) {
  log('bundling the Powertools baseline…');
  const bundleDir = mkdtempSync(join(tmpdir(), 'oncepay-baseline-'));
  const bundle = join(bundleDir, 'index.mjs');
  await build({
    entryPoints: ['bench/baseline/create-charge.ts'],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    outfile: bundle,
    logLevel: 'error',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  log('benchmarking the baseline…');
  baseline = await runBenchmark({
    ...options,
    baseline: true,
    bundleOverrides: { ServiceCreateChargeFunction: bundle },
    onProgress: (line) => log(`baseline: ${line}`),
  });
  rmSync(bundleDir, { recursive: true, force: true });
}

const result: BenchResult = {
  generatedAt: new Date().toISOString(),
  command: process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(' ')}` : 'npm run bench',
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}`,
  options: { charges, concurrency, replayRatio, seed },
  oncepay,
  baseline,
  stack,
  httpStack,
  pricedConfig: stageConfig('prod'),
  processorLatency: DEFAULT_CONFIG.latency,
  measuredStack,
  coldStarts,
  coldStartOtherCpu,
  startup,
};
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'benchmarks.json'), `${JSON.stringify(result, null, 2)}\n`);
const series = (pick: (level: (typeof oncepay.levels)[number]) => number) => [
  { name: 'oncepay', color: '#1f6feb', values: oncepay.levels.map(pick) },
  ...(baseline ? [{ name: 'baseline', color: '#d1242f', values: baseline.levels.map(pick) }] : []),
];
writeFileSync(join(values.out, 'bench-throughput.svg'), lineChart('New charges per second', 'charges/s', concurrency, series((level) => level.newCharges.throughput)));
writeFileSync(join(values.out, 'bench-latency.svg'), lineChart('p99 latency of new charges', 'ms', concurrency, series((level) => level.newCharges.latencyMs.p99)));
writeFileSync(join(values.out, 'benchmarks.md'), markdownReport(result));
log(`wrote ${values.out}/benchmarks.md, benchmarks.json and the charts`);
