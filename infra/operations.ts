import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ServiceApi } from './service-api.ts';
import { longestRetrySchedule, type StageConfig } from './stage-config.ts';

export interface OperationsProps {
  config: StageConfig;
  /** The API; its routes that never wait (`Prefer: wait` reads left out) are alarmed on latency one by one. */
  api: ServiceApi;
  worker: lambda.IFunction;
  /** The function reading the charges table's stream (its iterator age), and the webhook deliverer. */
  eventsFunction: lambda.IFunction;
  deliverFunction: lambda.IFunction;
  functions: lambda.IFunction[];
  tables: dynamodb.ITable[];
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  deliveriesQueue: sqs.IQueue;
  deliveriesDeadLetterQueue: sqs.IQueue;
  eventsFailureQueue: sqs.IQueue;
}

/** Above this p99 (ms) for 15 minutes the API is too slow for a client's timeout; below it, noise. */
export const API_P99_LATENCY_ALARM_MS = 3_000;
/** The share of API requests answered 5xx that pages someone (two 5-minute periods out of three). */
export const API_5XX_RATE_ALARM = 0.01;

/** The events function this far behind the charges table's stream means merchants hear late (ms). */
export const STREAM_ITERATOR_AGE_ALARM_MS = 300_000;
/**
 * A delivery not yet tried three times, this old, means deliveries are not keeping up. SQS's
 * oldest-message age leaves out messages received three times or more, so deliveries waiting out
 * their backoff to a merchant endpoint that is down do not count, once past their third attempt.
 */
export const DELIVERIES_AGE_ALARM_SECONDS = 900;
/** Heartbeat: the alarm fires when this many of the last {@link HEARTBEAT_WINDOW} periods had no completed pass. */
export const HEARTBEAT_MISSED_PERIODS = 3;
export const HEARTBEAT_WINDOW = 5;

/** Stripe keeps events 30 days; the catch-up's cursor past an hour behind pages someone. */
export const PROCESSOR_EVENTS_LAG_ALARM_SECONDS = 3_600;
/** Stripe's 429s in a 5-minute period that count towards the alarm (the pacer keeps them rare). */
export const PROCESSOR_RATE_LIMITED_ALARM = 5;
/** Refused deliveries in a 5-minute period that count towards the alarm. */
export const PROCESSOR_EVENTS_REFUSED_ALARM = 5;

/** CloudWatch's limit on the metrics one math-expression alarm reads. */
const MAX_METRICS_PER_MATH_ALARM = 10;

/** The functions' custom metric namespace (Powertools `Metrics`). */
export const METRICS_NAMESPACE = 'oncepay';

/**
 * Alarms that mean money may be stuck or at risk, the SNS topic they notify (encrypted with a
 * key CloudWatch may use, and subscribed from the stage config or `--context alarmEmails=…`),
 * and a dashboard. Alarm names and custom metrics carry the stage: two stages in one account
 * never cross-fire.
 */
export class Operations extends Construct {
  readonly alarmTopic: sns.Topic;
  /** Alarm notifications SNS could not deliver to a subscriber; only when the stage has subscribers. */
  readonly undeliveredAlarms: sqs.Queue | undefined;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config } = props;
    const { account, region, partition } = Stack.of(this);
    const alarmNamePrefix = `oncepay-${config.stage}-`;
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch cannot use the AWS-managed `alias/aws/sns` key: with it no alarm is ever delivered.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the oncepay ${config.stage} alarm topic; CloudWatch alarms may use it`,
      enableKeyRotation: true,
      removalPolicy: config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `oncepay ${config.stage} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarmNamePrefix}*` },
        },
      }),
    );
    if (config.alarms.emails.length + config.alarms.httpsUrls.length > 0 || config.alarms.slack) {
      // A notification SNS could not deliver (an endpoint down past SNS's retries) is kept for a
      // person to read, and kept with the stage: it is the record of pages nobody received.
      this.undeliveredAlarms = new sqs.Queue(this, 'UndeliveredAlarms', {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      const deadLetterQueue = this.undeliveredAlarms;
      for (const email of config.alarms.emails) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email, { deadLetterQueue }));
      for (const url of config.alarms.httpsUrls) {
        this.alarmTopic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS, deadLetterQueue }));
      }
      if (config.alarms.slack) {
        // AWS Chatbot posts each alarm to the channel; its role may only read CloudWatch.
        new chatbot.SlackChannelConfiguration(this, 'AlarmsSlackChannel', {
          slackChannelConfigurationName: `oncepay-${config.stage}-alarms`,
          slackWorkspaceId: config.alarms.slack.workspaceId,
          slackChannelId: config.alarms.slack.channelId,
          notificationTopics: [this.alarmTopic],
          guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
          loggingLevel: chatbot.LoggingLevel.ERROR,
          logRetention: config.logRetentionDays as RetentionDays,
        });
      }
    }
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      options: Partial<cloudwatch.AlarmProps> = {},
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${alarmNamePrefix}${name}`,
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
    const customMetric = (service: 'reconciler' | 'worker' | 'webhooks' | 'processor-events' | 'events', metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service, stage: config.stage },
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
    // A message may legitimately wait out the whole retry schedule (and a crashed attempt's
    // visibility timeout): only a wait beyond that means the workers are not keeping up.
    alarm(
      'WorkQueueOldestMessageAge',
      props.workQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
      workQueueAgeAlarmSeconds(config),
      'Charges are waiting in the work queue longer than the whole retry schedule: workers are failing, throttled or capped.',
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
      'ProcessorLivemodeMismatch',
      new cloudwatch.MathExpression({
        expression: 'FILL(w, 0) + FILL(r, 0)',
        usingMetrics: { w: customMetric('worker', 'ProcessorLivemodeMismatch'), r: reconcilerMetric('ProcessorLivemodeMismatch') },
        period: Duration.minutes(5),
        label: 'ProcessorLivemodeMismatch',
      }),
      1,
      'The card processor answered from the other mode than the stage’s (wrong Stripe key or API URL). Those charges stay open, flagged: `npm run cli -- review list`.',
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
        dimensionsMap: { service: 'reconciler', stage: config.stage },
        statistic: 'Sum',
        period: heartbeatPeriod,
      }),
      1,
      `No reconciliation pass completed in ${HEARTBEAT_MISSED_PERIODS} of the last ${HEARTBEAT_WINDOW} periods: the reconciler is failing, timing out or not scheduled.`,
      {
        evaluationPeriods: HEARTBEAT_WINDOW,
        datapointsToAlarm: HEARTBEAT_MISSED_PERIODS,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    // Stripe keeps events 30 days; a cursor an hour behind means lost webhooks are not being caught up.
    alarm(
      'ProcessorEventsCatchUpLagging',
      customMetric('reconciler', 'ProcessorEventsCursorLagSeconds', 'Maximum'),
      PROCESSOR_EVENTS_LAG_ALARM_SECONDS,
      'The reconciler’s catch-up over Stripe’s Events API is more than an hour behind: events a webhook missed are not being received. ' +
        'See the reconciler logs (the Events API failing, or a backlog longer than its passes read).',
    );
    // One forged delivery is noise; a run of refusals is a wrong signing secret (every event refused) or an attack.
    alarm(
      'ProcessorEventsRefused',
      customMetric('processor-events', 'ProcessorEventsRefused'),
      PROCESSOR_EVENTS_REFUSED_ALARM,
      'Deliveries to POST /webhooks/stripe did not verify in two of three 5-minute periods: the stage’s signing secret may not be the ' +
        'registered endpoint’s (npm run cli -- processor-webhook), or someone is sending forged events. The catch-up still receives Stripe’s events.',
      { evaluationPeriods: 3, datapointsToAlarm: 2 },
    );
    alarm(
      'WorkerErrors',
      props.worker.metricErrors({ period: minute, statistic: 'Sum' }),
      1,
      'The worker function failed whole invocations (timeouts, crashes).',
    );
    alarm(
      'WebhookEndpointsDisabled',
      customMetric('webhooks', 'WebhookEndpointsDisabled'),
      1,
      'A merchant’s webhook endpoint kept failing for the whole retry window (3 days) and was disabled; tell the merchant.',
    );
    alarm(
      'WebhookSecretsUnavailable',
      customMetric('webhooks', 'WebhookSecretsUnavailable'),
      1,
      'A webhook delivery waits because its endpoint’s signing secret could not be opened (KMS refusing or down, the key policy) ' +
        'or is still in the clear (npm run cli -- webhooks seal-secrets); deliveries are retried, not sent unsigned. See the deliver function’s logs.',
    );
    alarm(
      'EventsNotPublished',
      props.eventsFailureQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      1,
      'The events function gave up on a batch of state changes after its retries: their events were not stored or queued. ' +
        'The failure record names the stream sequence numbers; the objects’ states are in the table.',
    );
    alarm(
      'DeliveriesDeadLettered',
      props.deliveriesDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
      1,
      'A webhook delivery outlived its queue’s receives without being delivered or given up on; see the delivery function’s logs.',
    );
    const fiveMinutes = Duration.minutes(5);
    alarm(
      'Api5xxRate',
      props.api.serverErrorRate(fiveMinutes),
      API_5XX_RATE_ALARM,
      `More than ${API_5XX_RATE_ALARM * 100}% of API requests were answered 5xx in two of three 5-minute periods.`,
      { evaluationPeriods: 3, datapointsToAlarm: 2 },
    );
    // Per route, and only routes that answer at once: a `Prefer: wait` read is slow by request.
    for (const route of props.api.promptRoutes) {
      alarm(
        `ApiLatencyP99${route.method}${route.path.replace(/[^A-Za-z0-9]/g, '')}`,
        props.api.routeMetric('Latency', route, 'p99', fiveMinutes),
        API_P99_LATENCY_ALARM_MS,
        `${route.method} ${route.path}: p99 latency above ${API_P99_LATENCY_ALARM_MS} ms for 15 minutes.`,
        { evaluationPeriods: 3 },
      );
    }
    alarm(
      'EventsStreamIteratorAge',
      props.eventsFunction.metric('IteratorAge', { period: minute, statistic: 'Maximum' }),
      STREAM_ITERATOR_AGE_ALARM_MS,
      'The events function is more than 5 minutes behind the charges table’s stream: merchants hear of charges late ' +
        '(failing batches are retried for 6 hours before they go to the events failure queue). See its logs.',
      { evaluationPeriods: 3 },
    );
    alarm(
      'DeliveriesQueueOldestMessageAge',
      props.deliveriesQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
      DELIVERIES_AGE_ALARM_SECONDS,
      'Webhook deliveries wait more than 15 minutes for their first attempts: the deliver function is failing, throttled or capped.',
      { evaluationPeriods: 3 },
    );
    for (const [name, fn] of [
      ['EventsFunctionErrors', props.eventsFunction],
      ['DeliverFunctionErrors', props.deliverFunction],
    ] as const) {
      alarm(name, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), 1, `The ${fn === props.eventsFunction ? 'events' : 'deliver'} function failed whole invocations (crashes, timeouts); see its logs.`);
    }
    alarm(
      'DynamoDbThrottles',
      new cloudwatch.MathExpression({
        // FILL: DynamoDB publishes these only when something is throttled, and a sum needs every operand.
        expression: props.tables.flatMap((_, index) => [`FILL(r${index}, 0)`, `FILL(w${index}, 0)`]).join(' + '),
        usingMetrics: Object.fromEntries(
          props.tables.flatMap((table, index) => [
            [`r${index}`, table.metric('ReadThrottleEvents', { period: fiveMinutes, statistic: 'Sum' })],
            [`w${index}`, table.metric('WriteThrottleEvents', { period: fiveMinutes, statistic: 'Sum' })],
          ]),
        ),
        period: fiveMinutes,
        label: 'DynamoDB throttle events',
      }),
      1,
      'DynamoDB throttled reads or writes (a hot partition, or on-demand scaling behind a burst): requests were retried or failed.',
    );
    alarm(
      'ProcessorRateLimited',
      new cloudwatch.MathExpression({
        // FILL: a function that saw no 429 publishes nothing, and a sum needs every operand.
        expression: 'FILL(worker, 0) + FILL(reconciler, 0)',
        usingMetrics: { worker: customMetric('worker', 'ProcessorRateLimited'), reconciler: customMetric('reconciler', 'ProcessorRateLimited') },
        period: fiveMinutes,
        label: 'Stripe 429s',
      }),
      PROCESSOR_RATE_LIMITED_ALARM,
      `Stripe answered 429 (rate limited) ${PROCESSOR_RATE_LIMITED_ALARM} times in 5 minutes, in two of three periods: ` +
        'the account’s request rate (processor.requestsPerSecond) is too low for the traffic; ask Stripe for more and raise it.',
      { evaluationPeriods: 3, datapointsToAlarm: 2 },
    );
    if (this.undeliveredAlarms) {
      alarm(
        'AlarmNotificationsUndelivered',
        this.undeliveredAlarms.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
        1,
        'An alarm notification could not be delivered to a subscriber: a page did not reach its person. Read the UndeliveredAlarms queue.',
      );
    }
    // A math alarm reads at most 10 metrics: the functions are watched ten at a time.
    for (let start = 0; start < props.functions.length; start += MAX_METRICS_PER_MATH_ALARM) {
      const group = props.functions.slice(start, start + MAX_METRICS_PER_MATH_ALARM);
      alarm(
        start === 0 ? 'FunctionThrottles' : `FunctionThrottles${start / MAX_METRICS_PER_MATH_ALARM + 1}`,
        new cloudwatch.MathExpression({
          expression: group.map((_, index) => `FILL(t${index}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(group.map((fn, index) => [`t${index}`, fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' })])),
          period: fiveMinutes,
          label: 'Throttles',
        }),
        1,
        'Lambda throttled a function (account concurrency, or two reconciliation passes overlapping).',
      );
    }

    const eventCount = (metricName: string) => customMetric('events', metricName);
    const dashboardMetric = (metricName: string, route: { method: string; path: string }, statistic: string) =>
      props.api.routeMetric(metricName, route, statistic, minute).with({ label: `${route.method} ${route.path}` });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `oncepay-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Charges: requests and outcomes',
        left: [dashboardMetric('Count', { method: 'POST', path: '/v1/charges' }, 'Sum'), dashboardMetric('Count', { method: 'POST', path: '/v1/refunds' }, 'Sum')],
        right: ['ChargeSucceeded', 'ChargeFailed', 'RefundSucceeded', 'RefundFailed', 'ChargeDisputeCreated'].map(eventCount),
      }),
      new cloudwatch.GraphWidget({
        title: 'API: p99 latency of the methods that answer at once, and errors',
        left: props.api.promptRoutes.map((route) => dashboardMetric('Latency', route, 'p99')),
        right: props.api.errorCounts(minute),
      }),
      new cloudwatch.GraphWidget({
        title: 'Queue ages (s) and the stream (ms)',
        left: [
          props.workQueue.metricApproximateAgeOfOldestMessage({ period: minute, label: 'work queue' }),
          props.deliveriesQueue.metricApproximateAgeOfOldestMessage({ period: minute, label: 'deliveries' }),
          props.deadLetterQueue.metricApproximateAgeOfOldestMessage({ period: minute, label: 'work DLQ' }),
        ],
        right: [props.eventsFunction.metric('IteratorAge', { period: minute, statistic: 'Maximum', label: 'events stream iterator age' })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Charges in review, and the reconciler',
        left: [customMetric('reconciler', 'ChargesInReview', 'Maximum')],
        right: ['StuckChargesFound', 'ChargesFixed', 'ChargesReEnqueued', 'ChargesFlaggedForReview'].map(reconcilerMetric),
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook backlog',
        left: [
          props.deliveriesQueue.metricApproximateNumberOfMessagesVisible({ period: minute, label: 'ready to deliver' }),
          props.deliveriesQueue.metricApproximateNumberOfMessagesNotVisible({ period: minute, label: 'in flight or waiting a retry' }),
          props.deliveriesDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, label: 'dead-lettered' }),
        ],
        right: [customMetric('webhooks', 'WebhookEndpointsDisabled')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Processor events',
        left: [
          customMetric('processor-events', 'ProcessorEventsReceived'),
          customMetric('processor-events', 'ProcessorEventsRefused'),
          reconcilerMetric('ProcessorEventsCaughtUp'),
        ],
        right: [customMetric('reconciler', 'ProcessorEventsCursorLagSeconds', 'Maximum')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map((fn) => fn.metricErrors({ period: minute })),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms }),
    );
  }
}

/**
 * The work queue's oldest-message alarm threshold: longer than a message can wait while it is
 * retried normally (the whole backoff schedule) plus one crashed attempt's visibility timeout.
 */
export function workQueueAgeAlarmSeconds(config: StageConfig): number {
  return Math.max(300, longestRetrySchedule(config) + config.queue.visibilityTimeoutSeconds);
}
