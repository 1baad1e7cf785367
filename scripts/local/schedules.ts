import { randomUUID } from 'node:crypto';
import { ThrottledError, type FunctionHost } from './function-host.ts';
import { resourcesOfType, type CfnTemplate, type IntrinsicResolver } from './template.ts';

export interface RunningSchedules {
  stop(): void;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Milliseconds between runs of an EventBridge `rate(…)` expression; `null` for `cron(…)`. */
export function rateIntervalMs(expression: string): number | null {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
}

/**
 * Runs each enabled `AWS::Events::Rule` with a `rate(…)` schedule: every period, each Lambda
 * target is invoked with a Scheduled Event, as EventBridge does (runs may overlap, unless the
 * function's reserved concurrency throttles the later one: its event is then dropped, as an
 * async event is once its maximum age passes — the next period's run is the retry).
 */
export function startSchedules(
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  hostsByArn: Map<string, FunctionHost>,
  options: { region: string; accountId: string; log: (line: string) => void },
): RunningSchedules {
  const timers: NodeJS.Timeout[] = [];
  for (const [logicalId, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const properties = rule.Properties ?? {};
    const expression = properties['ScheduleExpression'];
    if (typeof expression !== 'string' || properties['State'] === 'DISABLED') continue;
    const intervalMs = rateIntervalMs(expression);
    if (intervalMs === null) {
      options.log(`schedule ${logicalId}: ${expression} is not supported locally (rate expressions only); not run`);
      continue;
    }
    const targets = ((properties['Targets'] ?? []) as Array<{ Arn: unknown }>)
      .map((target) => hostsByArn.get(resolver.resolveString(target.Arn)))
      .filter((host): host is FunctionHost => host !== undefined);
    const ruleArn = `arn:aws:events:${options.region}:${options.accountId}:rule/${logicalId}`;
    timers.push(
      setInterval(() => {
        for (const host of targets) {
          void host.invoke({
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: options.accountId,
            time: new Date().toISOString(),
            region: options.region,
            resources: [ruleArn],
            detail: {},
          }).catch((error: unknown) => {
            if (!(error instanceof ThrottledError)) throw error;
            options.log(`schedule ${logicalId}: ${error.message}; this run is dropped`);
          });
        }
      }, intervalMs),
    );
  }
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) };
}
