/**
 * The benchmark is a script, not a test; this only proves it runs end to end on a tiny load,
 * pins the one figure that must never regress (the API path spends exactly one DynamoDB write
 * and one SQS send per new charge) and checks the all-in accounting: log bytes measured per
 * function, the status read measured, secrets counted on the wire, the total the sum of its rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureColdStarts } from '../../scripts/bench/cold-start.ts';
import { stackFacts, tracesPerCharge, webhookPerMillion } from '../../scripts/bench/cost.ts';
import { byVolume, keptRecords, VOLUMES } from '../../scripts/bench/volume.ts';
import { stageConfig } from '#infra/stage-config.ts';
import { DEFAULT_CONFIG } from '../../scripts/processor-sandbox/config.ts';
import { allInPerMillion, apiPathCalls, costPerMillion, fixedMonthly, markdownReport } from '../../scripts/bench/report.ts';
import { runBenchmark } from '../../scripts/bench/run.ts';
import { synthesize } from '../../scripts/local/template.ts';

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('npm run bench (smoke)', () => {
  it('measures a tiny load, accounts its calls, logs and status reads, and writes a report', async () => {
    const run = await runBenchmark({ charges: 12, concurrency: [3], replayRatio: 0.5, seed: 1, reconcilerPasses: 1 });
    const [level] = run.levels;
    expect(level).toBeDefined();
    if (!level) return;
    expect(level.newCharges.errors + level.replays.errors + level.statusRead.errors).toBe(0);
    expect(apiPathCalls(level)).toEqual({ dynamodbWrites: 1, sqsSends: 1 });
    expect(level.callsPerCharge['dynamodb:UpdateItem']).toBe(2); // claim + outcome
    expect(level.capacityPerCharge.write).toBeGreaterThan(0);
    // Each index's share of the writes: the merchant lists once each for the charge and its event
    // (keys written at creation, never changed); the open-charges index at least twice (in, out), more for a charge retried on the way.
    expect(level.indexWritesPerCharge['merchant-lists']).toBe(2); // the charge's list entry, and its event's
    expect(level.indexWritesPerCharge['open-charges']).toBeGreaterThanOrEqual(2);
    expect(level.indexWritesPerCharge['open-charges']).toBeLessThan(3);
    expect(level.capacityPerCharge.read).toBeGreaterThanOrEqual(1); // the worker's strongly consistent GetItem
    expect(costPerMillion(level).total).toBeGreaterThan(3.5);
    // Learning the outcome by webhook: each charge's event delivered once, by the delivery function, priced apart.
    expect(level.webhook.deliveriesPerCharge).toBeGreaterThanOrEqual(1);
    expect(level.webhook.lambda.invocationsPerCharge['Deliver']).toBeGreaterThan(0);
    expect(level.webhook.callsPerCharge['dynamodb:UpdateItem']).toBeGreaterThanOrEqual(1); // the attempt recorded
    expect(level.lambda.invocationsPerCharge['Events']).toBeGreaterThan(0); // the outbox runs for every charge

    // Logs are measured per function: the worker logs each outcome; the sampler's GetCharge is not the charge's.
    expect(level.logsPerCharge['Worker']?.events).toBeGreaterThanOrEqual(1);
    expect(level.logsPerCharge['Worker']?.bytes).toBeGreaterThan(0);
    expect(Object.keys(level.logsPerCharge)).not.toContain('GetCharge');
    const invocations = sum(Object.values(level.lambda.invocationsPerCharge));
    expect(level.platformLogsPerCharge.events).toBeCloseTo(3 * invocations, 6);
    // One status read per charge, answered from one strongly consistent GetItem.
    expect(sum(level.statusRead.apiRequestsPerRead.map((request) => request.count))).toBeCloseTo(1, 6);
    expect(level.statusRead.apiRequestsPerRead.every((request) => request.method === 'GET' && request.status === 200)).toBe(true);
    expect(level.statusRead.lambda.invocationsPerRead['GetCharge']).toBeCloseTo(1, 6);
    expect(level.statusRead.callsPerRead['dynamodb:GetItem']).toBeGreaterThanOrEqual(1);
    // The worker's key read (warm-up) and the reconciler's heartbeat metric, both from the run.
    expect(run.totals.secretsManagerCalls).toBeGreaterThan(0);
    expect(run.reconcilerPass.metrics.some((metric) => metric.startsWith('oncepay/ReconcilerPassCompleted{'))).toBe(true);

    const outdir = mkdtempSync(join(tmpdir(), 'oncepay-bench-smoke-'));
    const stacks = synthesize({ stage: 'local', outdir, processorApiUrl: 'http://127.0.0.1:9' });
    const coldStarts = measureColdStarts(stacks, 1);
    const facts = stackFacts(stacks);
    rmSync(outdir, { recursive: true, force: true });
    const httpOutdir = mkdtempSync(join(tmpdir(), 'oncepay-bench-smoke-http-'));
    const httpFacts = stackFacts(synthesize({ stage: 'local', outdir: httpOutdir, processorApiUrl: 'http://127.0.0.1:9', context: { apiType: 'http' } }));
    rmSync(httpOutdir, { recursive: true, force: true });
    expect(coldStarts.map((cold) => cold.function).sort()).toEqual([
      'CreateCharge',
      'CreateRefund',
      'Deliver',
      'DisputesApi',
      'Events',
      'EventsApi',
      'GetCharge',
      'GetRefund',
      'ListCharges',
      'ListRefunds',
      'ProcessorWebhook',
      'Reconciler',
      'WebhookEndpoints',
      'Worker',
    ]);
    for (const cold of coldStarts) expect(cold.bundleBytes).toBeLessThan(1_000_000);
    expect(facts.accessLogFormat).toContain('$context.responseLength');
    expect(facts.alarms).toBeGreaterThan(0);

    const allIn = allInPerMillion(level, facts);
    expect(allIn.total).toBeCloseTo(sum(allIn.rows.map((row) => row.usd)), 10);
    for (const key of ['logs.functions', 'logs.platform', 'logs.access', 'xray', 'read.apiGateway', 'read.dynamodb', 'read.lambda']) {
      expect(allIn.rows.find((row) => row.key === key)?.usd, key).toBeGreaterThan(0);
    }
    expect(allIn.total).toBeGreaterThan(costPerMillion(level).total + 3.5); // at least the status read's API request
    const monthly = fixedMonthly(run, facts, facts.openChargeShards);
    expect(monthly.total).toBeCloseTo(sum(monthly.rows.map((row) => row.usd)), 10);
    // X-Ray by volume: below the samplers' reservoirs every request is traced, far above it about 5%.
    const quiet = tracesPerCharge(level, facts, 100_000);
    const busy = tracesPerCharge(level, facts, 1_000_000_000);
    expect(quiet.read).toBeCloseTo(1, 2);
    expect(busy.read).toBeLessThan(0.06);
    expect(quiet.charge).toBeGreaterThan(busy.charge);
    // What the charges keep: each charge's item is in the charges table, sized, with its index copies.
    const records = keptRecords(run.storage, run.totals.charges, stageConfig('prod'));
    const chargeItems = records.find((record) => record.kind === 'charges: CHARGE#');
    expect(chargeItems?.tableBytes).toBeGreaterThan(500);
    expect(chargeItems?.indexBytes).toBeGreaterThan(0);
    expect(chargeItems?.keptMonths).toBeGreaterThan(80); // prod keeps charge records seven years
    const volumes = byVolume(run, level, facts, stageConfig('prod'), coldStarts, facts.openChargeShards);
    expect(volumes.map((row) => row.chargesPerMonth)).toEqual(VOLUMES);
    for (const row of volumes) expect(row.total).toBeCloseTo(row.charges + row.fixed + row.init + row.keptRecords, 6);

    const reportInput = {
      generatedAt: 'now',
      command: 'test',
      machine: 'test',
      options: { charges: 12, concurrency: [3], replayRatio: 0.5, seed: 1 },
      oncepay: run,
      baseline: null,
      stack: facts,
      pricedConfig: stageConfig('prod'),
      processorLatency: DEFAULT_CONFIG.latency,
      measuredStack: facts,
      coldStarts,
      coldStartOtherCpu: 0,
    };
    const report = markdownReport(reportInput);
    expect(report).toContain('1.00 DynamoDB write and 1.00 SQS send');
    expect(report).toContain(`**Per charge: $${allIn.total.toFixed(2)} per million charges for oncepay**`);
    expect(report).toContain('confirmPayment 800 ms (p99 2400 ms)');
    // Behind an HTTP API: its own access-log line and request price, and nothing traced at the API.
    expect(httpFacts).toMatchObject({ api: 'http', stage: 'local', tracedApiStages: [] });
    expect(httpFacts.accessLogFormat).toContain('$context.routeKey');
    expect(httpFacts.detailedMetricMethods).toBe(facts.detailedMetricMethods);
    const httpAllIn = allInPerMillion(level, httpFacts);
    const readRequests = sum(level.statusRead.apiRequestsPerRead.map((request) => request.count));
    expect(httpAllIn.rows.find((row) => row.key === 'read.apiGateway')?.usd).toBeCloseTo(readRequests * 1.0, 10);
    expect(httpAllIn.total).toBeLessThan(allIn.total);
    const withHttp = markdownReport({ ...reportInput, httpStack: httpFacts });
    expect(withHttp).toContain("### On an HTTP API (`api.type: 'http'`)");
    expect(withHttp).toContain(`| ${allIn.total.toFixed(2)} | ${httpAllIn.total.toFixed(2)} |`);
    // The webhook is priced beside the status read, row by row, each total the sum of its rows.
    const hook = webhookPerMillion(level, facts, run.totals.kmsRequests / Math.max(1, run.totals.webhookDeliveries));
    expect(hook.total).toBeCloseTo(sum(hook.rows.map((row) => row.usd)), 10);
    expect(hook.total).toBeGreaterThan(0);
    expect(report).toContain(`| **webhook** | **${hook.total.toFixed(2)}** | |`);
  });
});
