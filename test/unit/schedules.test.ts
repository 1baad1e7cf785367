import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FunctionHost } from '../../scripts/local/function-host.ts';
import { rateIntervalMs, startSchedules } from '../../scripts/local/schedules.ts';
import { IntrinsicResolver, type CfnTemplate } from '../../scripts/local/template.ts';

describe('local EventBridge schedules', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    ['cron(0 12 * * ? *)', null],
  ])('reads %s', (expression, expected) => {
    expect(rateIntervalMs(expression)).toBe(expected);
  });

  it('invokes each target with a Scheduled Event every period, and skips disabled rules', () => {
    vi.useFakeTimers();
    const template: CfnTemplate = {
      Resources: {
        Reconciler: { Type: 'AWS::Lambda::Function' },
        Every: {
          Type: 'AWS::Events::Rule',
          Properties: { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['Reconciler', 'Arn'] }, Id: 't' }] },
        },
        Disabled: {
          Type: 'AWS::Events::Rule',
          Properties: { ScheduleExpression: 'rate(1 minute)', State: 'DISABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['Reconciler', 'Arn'] }, Id: 't' }] },
        },
      },
    };
    const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000' });
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:reconciler';
    resolver.register('Reconciler', { ref: 'reconciler', attributes: { Arn: arn } });
    const events: unknown[] = [];
    const host = { invoke: async (event: unknown) => events.push(event) } as unknown as FunctionHost;
    const schedules = startSchedules(template, resolver, new Map([[arn, host]]), {
      region: 'us-east-1',
      accountId: '000000000000',
      log: () => undefined,
    });
    vi.advanceTimersByTime(59_999);
    expect(events).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(events).toEqual([expect.objectContaining({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [expect.stringContaining('rule/Every')] })]);
    vi.advanceTimersByTime(120_000);
    expect(events).toHaveLength(3);
    schedules.stop();
  });
});
