/**
 * The right Stripe account (issue 22, item 2), in the stacks: the processor functions know the
 * stage's mode and how long to keep the key, the mismatch alarm pages someone, and the stage
 * config refuses what would defeat them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { METRICS_NAMESPACE } from '#infra/operations.ts';
import { stageConfig, stageNames, validateStageConfig, type StageConfig } from '#infra/stage-config.ts';

describe.each(['local', 'prod'])('the %s service stack', (stage) => {
  const config = stageConfig(stage);
  let service: Template;

  beforeAll(() => {
    // A kept stage pages someone or does not synthesize.
    const context: Record<string, string> = stage === 'prod' ? { alarmEmails: 'oncall@example.com' } : {};
    service = Template.fromStack(buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-infra-')), context }).service);
  });

  it('gives the worker and the reconciler the stage’s processor mode and the key’s max age, and no other function', () => {
    const processorFunctions = Object.entries(service.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn['Properties']['Environment']['Variables']['PROCESSOR_MODE'] !== undefined)
      .map(([id, fn]) => {
        expect(fn['Properties']['Environment']['Variables']).toMatchObject({
          PROCESSOR_MODE: config.keyMode,
          PROCESSOR_SECRET_MAX_AGE_SECONDS: String(config.processor.secretMaxAgeMinutes * 60),
        });
        return id.replace(/[0-9A-F]{8}$/, '');
      })
      .sort();
    expect(processorFunctions).toEqual(['ServiceReconcilerFunction', 'ServiceWorkerFunction']);
  });

  it('alarms at the first answer from the other mode, from the worker or the reconciler, notifying SNS', () => {
    const [alarm] = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter((found) => found['Properties']['AlarmName'] === `oncepay-${stage}-ProcessorLivemodeMismatch`);
    expect(alarm?.['Properties']).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(alarm?.['Properties']['AlarmActions']).toHaveLength(1);
    const watched = (alarm?.['Properties']['Metrics'] as Array<{ MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Stat: string } }>)
      .flatMap((query) => (query.MetricStat ? [query.MetricStat] : []))
      .map(({ Metric, Stat }) => ({ ...Metric, Stat }));
    expect(watched).toEqual(
      ['worker', 'reconciler'].map((service) => ({
        Namespace: METRICS_NAMESPACE,
        MetricName: 'ProcessorLivemodeMismatch',
        Dimensions: expect.arrayContaining([
          { Name: 'service', Value: service },
          { Name: 'stage', Value: stage },
        ]),
        Stat: 'Sum',
      })),
    );
  });

  it('outputs the mode, for the CLI’s processor', () => {
    expect(service.findOutputs('KeyMode')['KeyMode']?.['Value']).toBe(config.keyMode);
  });
});

describe('the stage config of the processor’s key', () => {
  it('keeps the key a few minutes in every stage, and only a live kept stage', () => {
    for (const stage of stageNames()) {
      const config = stageConfig(stage);
      expect(config.processor.secretMaxAgeMinutes).toBeGreaterThanOrEqual(1);
      expect(config.processor.secretMaxAgeMinutes).toBeLessThanOrEqual(15);
      if (!config.disposable) expect(config.keyMode).toBe('live');
    }
  });

  it.each([0, -1, 1.5])('refuses a max age of %s minutes', (minutes) => {
    const config: StageConfig = structuredClone(stageConfig('prod'));
    config.processor.secretMaxAgeMinutes = minutes;
    expect(() => validateStageConfig(config)).toThrow(/processor secretMaxAgeMinutes must be a whole number ≥ 1/);
  });
});
