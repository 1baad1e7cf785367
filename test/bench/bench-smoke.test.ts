/**
 * The benchmark is a script, not a test; this only proves it runs end to end on a tiny load,
 * and pins the one figure that must never regress: the API path spends exactly one
 * DynamoDB write and one SQS send per new charge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureColdStarts } from '../../scripts/bench/cold-start.ts';
import { apiPathCalls, costPerMillion, markdownReport } from '../../scripts/bench/report.ts';
import { runBenchmark } from '../../scripts/bench/run.ts';
import { synthesize } from '../../scripts/local/template.ts';

describe('npm run bench (smoke)', () => {
  it('measures a tiny load, accounts its calls and writes a report', async () => {
    const [level] = await runBenchmark({ charges: 12, concurrency: [3], replayRatio: 0.5, seed: 1 });
    expect(level).toBeDefined();
    if (!level) return;
    expect(level.newCharges.errors + level.replays.errors).toBe(0);
    expect(apiPathCalls(level)).toEqual({ dynamodbWrites: 1, sqsSends: 1 });
    expect(level.callsPerCharge['dynamodb:UpdateItem']).toBe(2); // claim + outcome
    expect(level.capacityPerCharge.write).toBeGreaterThan(0);
    expect(costPerMillion(level).total).toBeGreaterThan(3.5);

    const outdir = mkdtempSync(join(tmpdir(), 'oncepay-bench-smoke-'));
    const coldStarts = measureColdStarts(synthesize({ stage: 'local', outdir, processorApiUrl: 'http://127.0.0.1:9' }), 1);
    rmSync(outdir, { recursive: true, force: true });
    expect(coldStarts.map((cold) => cold.function).sort()).toEqual(['Authorizer', 'CreateCharge', 'GetCharge', 'Reconciler', 'Worker']);
    for (const cold of coldStarts) expect(cold.bundleBytes).toBeLessThan(1_000_000);

    const report = markdownReport({
      generatedAt: 'now',
      command: 'test',
      machine: 'test',
      options: { charges: 12, concurrency: [3], replayRatio: 0.5, seed: 1 },
      oncepay: [level],
      baseline: null,
      coldStarts,
    });
    expect(report).toContain('1.00 DynamoDB write and 1.00 SQS send');
  });
});
