import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './stage-config.ts';

export interface OperationsProps {
  config: StageConfig;
  api: apigateway.RestApi;
  worker: lambda.IFunction;
  functions: lambda.IFunction[];
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
}

/** The functions' custom metric namespace (Powertools `Metrics`). */
export const METRICS_NAMESPACE = 'oncepay';

/**
 * Alarms that mean money may be stuck or at risk, an SNS topic they notify, and a dashboard.
 * Subscribe the topic (email, chat, paging) after deploying: `AlarmTopicArn` output.
 */
export class Operations extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config } = props;
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `oncepay ${config.stage} alarms`,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      options: Partial<cloudwatch.AlarmProps> = {},
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
        ...options,
      });
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(created);
      return created;
    };
    const minute = Duration.minutes(1);
    const customMetric = (service: 'reconciler' | 'worker', metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: Duration.minutes(5),
      });
    const reconcilerMetric = (metricName: string) => customMetric('reconciler', metricName);

    alarm(
      'DeadLetterQueueNotEmpty',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      1,
      'Work messages reached the DLQ; the reconciler resolves them and flags what it cannot settle for review.',
    );
    alarm(
      'WorkQueueOldestMessageAge',
      props.workQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
      Math.max(300, config.queue.visibilityTimeoutSeconds * 2),
      'Charges are waiting in the work queue for too long: workers are failing, throttled or capped.',
    );
    alarm(
      'StuckCharges',
      reconcilerMetric('StuckChargesFound'),
      1,
      'The reconciler found charges a crash or a lost message left half done.',
    );
    alarm(
      'ChargesInReview',
      customMetric('reconciler', 'ChargesInReview', 'Maximum'),
      1,
      'Open charges wait for a person: the processor has not settled them in time, or refused a lookup. ' +
        'They stay open (never failed while money may have moved): `npm run cli -- review list`.',
    );
    alarm(
      'ProcessorConfigurationErrors',
      customMetric('worker', 'ProcessorConfigurationErrors'),
      1,
      'The card processor refused oncepay itself (key, permission, idempotency misuse). Charges stay open until it is fixed.',
    );
    alarm(
      'ReconcilerErrors',
      reconcilerMetric('ReconcilerErrors'),
      1,
      'A reconciliation pass could not handle an item (it went on with the others); see the reconciler logs.',
    );
    // A pass that never completes (or never runs) leaves crashes unfinished: alarm on silence.
    const heartbeatPeriod = Duration.minutes(config.reconciler.periodMinutes);
    alarm(
      'ReconcilerHeartbeatMissing',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ReconcilerPassCompleted',
        dimensionsMap: { service: 'reconciler' },
        statistic: 'Sum',
        period: heartbeatPeriod,
      }),
      1,
      'No reconciliation pass completed in two periods: the reconciler is failing, timing out or not scheduled.',
      {
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    alarm(
      'WorkerErrors',
      props.worker.metricErrors({ period: minute, statistic: 'Sum' }),
      1,
      'The worker function failed whole invocations (timeouts, crashes).',
    );
    alarm(
      'Api5xx',
      props.api.metricServerError({ period: minute, statistic: 'Sum' }),
      1,
      'The API answered 5xx.',
    );

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API',
        left: [props.api.metricCount({ period: minute }), props.api.metricClientError({ period: minute }), props.api.metricServerError({ period: minute })],
        right: [props.api.metricLatency({ period: minute, statistic: 'p99' })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Queues',
        left: [
          props.workQueue.metricApproximateNumberOfMessagesVisible({ period: minute }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute }),
        ],
        right: [props.workQueue.metricApproximateAgeOfOldestMessage({ period: minute })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciler',
        left: ['StuckChargesFound', 'ChargesFixed', 'ChargesReEnqueued', 'ChargesFlaggedForReview', 'ChargesInReview'].map(reconcilerMetric),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map((fn) => fn.metricErrors({ period: minute })),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms }),
    );
  }
}
