/**
 * Issue 23's cost decisions, on the synthesized templates: X-Ray traces what the API's sampling
 * rule samples and nothing else (Lambda's own fixed sampling would trace nearly every charge of a
 * small stage), and the local stage holds Stripe's real latency.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { PROCESSOR_CALLS_ON_THE_COMMON_PATH, stageConfig, validateStageConfig } from '#infra/stage-config.ts';

const synth = (stage: string, context: Record<string, string> = {}) => {
  const { service } = buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-cost-')), context });
  return Template.fromStack(service);
};
const prod = synth('prod', { alarmEmails: 'oncall@example.com' });

describe('tracing is decided by the API sampling rule', () => {
  it("prod samples 1% of the API's requests, with no reservoir, by a rule matching its stage", () => {
    prod.hasResourceProperties('AWS::XRay::SamplingRule', {
      SamplingRule: { RuleName: 'oncepay-prod', ServiceName: 'oncepay-prod/prod', ServiceType: 'AWS::ApiGateway::Stage', ReservoirSize: 0, FixedRate: 0.01 },
    });
    prod.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true, StageName: 'prod' });
  });

  it('no function samples on its own: every one passes the decision through', () => {
    const functions = Object.values(prod.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(10);
    for (const resource of functions) expect(resource['Properties']['TracingConfig']).toEqual({ Mode: 'PassThrough' });
  });

  it('leaves the rule out for LocalStack, whose free image has no X-Ray', () => {
    const local = Template.fromStack(buildApp({ outdir: mkdtempSync(join(tmpdir(), 'oncepay-cost-')), context: { stage: 'dev', trafficShift: 'none', xraySamplingRule: 'none' } }).service);
    local.resourceCountIs('AWS::XRay::SamplingRule', 0);
    expect(() => buildApp({ context: { stage: 'dev', xraySamplingRule: 'off' } })).toThrow(/xraySamplingRule can only be none/);
  });

  it('refuses a sampling rule X-Ray would refuse', () => {
    const config = stageConfig('dev');
    expect(() => validateStageConfig({ ...config, tracing: { reservoirPerSecond: -1, fixedRate: 0.05 } })).toThrow(/reservoirPerSecond/);
    expect(() => validateStageConfig({ ...config, tracing: { reservoirPerSecond: 1, fixedRate: 1.5 } })).toThrow(/fixedRate/);
  });
});

describe('the local stage holds Stripe-like latency', () => {
  it('gives each processor request 3 s, and the worker room for a whole attempt of them', () => {
    const local = stageConfig('local');
    expect(local.processor.timeoutMs).toBe(3_000);
    expect(local.worker.timeoutSeconds * 1000).toBeGreaterThanOrEqual(PROCESSOR_CALLS_ON_THE_COMMON_PATH * local.processor.timeoutMs + 1000);
    const service = synth('local');
    const worker = Object.entries(service.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ServiceWorkerFunction'))?.[1];
    expect(worker?.['Properties']['Timeout']).toBe(local.worker.timeoutSeconds);
    expect(worker?.['Properties']['Environment']['Variables']['PROCESSOR_TIMEOUT_MS']).toBe('3000');
  });
});
