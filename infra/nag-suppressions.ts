import { Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { BACKUP_ROLE_MANAGED_POLICIES } from './backups.ts';
import type { StageConfig } from './stage-config.ts';

const LAMBDA_BASIC_EXECUTION =
  'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const API_GATEWAY_LOGS_ROLE =
  'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]';

const CODEDEPLOY_LAMBDA_ROLE =
  'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]';

/** Every function of the service stack (infra/service.ts). */
const FUNCTIONS = [
  'CreateChargeFunction',
  'GetChargeFunction',
  'ListChargesFunction',
  'CreateRefundFunction',
  'GetRefundFunction',
  'ListRefundsFunction',
  'WorkerFunction',
  'ReconcilerFunction',
  'EventsFunction',
  'DeliverFunction',
  'WebhookEndpointsFunction',
  'EventsApiFunction',
  'DisputesApiFunction',
  'ProcessorWebhookFunction',
];

function find(stack: Stack, path: string): IConstruct {
  const found = stack.node.tryFindChild('Service') ?? stack.node.tryFindChild('Storage');
  const node = path.split('/').reduce<IConstruct | undefined>((scope, id) => scope?.node.tryFindChild(id), found);
  if (!node) throw new Error(`cdk-nag suppression target ${stack.stackName}/${path} not found`);
  return node;
}

/**
 * Every cdk-nag finding oncepay accepts, each with the reason it is accepted. Anything not
 * listed here fails `cdk synth` (and the infra test).
 */
export function applyNagSuppressions(stateful: Stack, service: Stack, config: StageConfig): void {
  for (const name of FUNCTIONS) {
    const fn = find(service, name);
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'Node.js 22 (LTS) is the runtime oncepay is built and tested on; upgrades are deliberate.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless::Serverless-LambdaLatestVersion',
      reason: 'Node.js 22 (LTS) is the runtime oncepay is built and tested on; upgrades are deliberate.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        name === 'WorkerFunction' || name === 'DeliverFunction'
          ? 'Invoked by its SQS event source: failed messages go to the queue’s own DLQ via its redrive policy.'
          : name === 'EventsFunction'
            ? 'Invoked by its DynamoDB stream event source, whose on-failure destination (EventsFailureQueue) receives what it gives up on.'
          : name === 'ReconcilerFunction'
            ? 'Invoked by a schedule every minute and idempotent: a failed pass is made up by the next one.'
            : 'Invoked synchronously by API Gateway: the client gets the error and retries with its Idempotency-Key.',
    });
    Validations.of(find(service, name)).acknowledge({
      id: 'Serverless::Serverless-LambdaTracing',
      reason:
        'Pass-through tracing: the API stage’s X-Ray sampling rule (stage config `tracing`) decides, and the functions trace what it sampled. ' +
        'Active tracing would add Lambda’s own fixed sampling (1 a second and 5%) of every event-source invocation: nearly every charge of a small stage, at more than its API requests cost.',
    });
    Validations.of(find(service, `${name}/ServiceRole`)).acknowledge({
      id: LAMBDA_BASIC_EXECUTION,
      reason: 'Grants only CreateLogStream/PutLogEvents (and CreateLogGroup); the function logs to its own explicit log group.',
    });
    Validations.of(find(service, `${name}/ServiceRole/DefaultPolicy`)).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'Tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }
  for (const name of ['WorkerFunction', 'DeliverFunction']) {
    // The event source is on the `live` alias.
    Validations.of(find(service, `${name}Live`)).acknowledge({
      id: 'Serverless::Serverless-LambdaEventSourceMappingDestination',
      reason: 'SQS event sources do not support on-failure destinations; failures reach the queue’s DLQ through its redrive policy.',
    });
  }
  const safeDeploys = service.node.tryFindChild('SafeDeploys');
  for (const name of safeDeploys ? FUNCTIONS : []) {
    const role = safeDeploys?.node.tryFindChild(`${name}Deployment`)?.node.tryFindChild('ServiceRole');
    if (!role) throw new Error(`cdk-nag suppression target ${service.stackName}/SafeDeploys/${name}Deployment/ServiceRole not found`);
    Validations.of(role).acknowledge({
      id: CODEDEPLOY_LAMBDA_ROLE,
      reason: 'CodeDeploy’s own least-privilege policy for Lambda deployments (move an alias, read the alarms); AWS maintains it.',
    });
  }
  Validations.of(find(service, 'ReconcilerFunction/EventInvokeConfig')).acknowledge({
    id: 'Serverless::Serverless-LambdaAsyncFailureDestination',
    reason: 'A dropped scheduled pass (throttled while the previous one runs) is harmless: the next pass, a period later, does the same work.',
  });
  Validations.of(find(service, 'ReconcilerSchedule')).acknowledge({
    id: 'Serverless::Serverless-EventBusDLQ',
    reason: 'A missed scheduled invocation is harmless: the next pass, a period later, does the same work.',
  });
  const api = find(service, config.api.type === 'http' ? 'ChargesHttpApi' : 'ChargesApi');
  if (config.api.type === 'rest') {
    Validations.of(api).acknowledge({
      id: API_GATEWAY_LOGS_ROLE,
      reason: 'The account-level role API Gateway needs to write execution logs to CloudWatch; AWS maintains its policy.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG2',
      reason:
        'Requests are validated in the function against the zod schema the OpenAPI document is generated from, which ' +
        'names every bad field in a problem+json answer; gateway-level validation would answer with less.',
    });
  }
  if (!config.api.waf) {
    Validations.of(api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason: `Stage ${config.stage} has no WAF configured (prod has one; \`--context wafRateLimit=<n>\` adds it to a REST API): stage and per-route throttling protect it.`,
    });
  }
  const inFunctionAuthentication =
    'Merchants authenticate with Stripe-style API keys (sk_/rk_) that the API functions verify themselves against ' +
    'hashed keys in the merchants table, so every target (LocalStack has no authorizers) runs the same check; ' +
    'POST /webhooks/stripe is authenticated by the Stripe-Signature HMAC, which its function verifies with the official SDK.';
  for (const id of ['AwsSolutions::AwsSolutions-APIG4', 'AwsSolutions::AwsSolutions-COG4']) {
    Validations.of(api).acknowledge({ id, reason: inFunctionAuthentication });
  }
  Validations.of(find(stateful, 'WorkDeadLetterQueue')).acknowledge({
    id: 'Serverless::Serverless-SQSRedrivePolicy',
    reason: 'This queue is the dead-letter queue; the reconciler resolves its messages.',
  });
  Validations.of(find(stateful, 'DeliveriesDeadLetterQueue')).acknowledge({
    id: 'Serverless::Serverless-SQSRedrivePolicy',
    reason: 'This queue is the deliveries queue’s dead-letter queue (alarmed: DeliveriesDeadLettered).',
  });
  for (const id of ['Serverless::Serverless-SQSRedrivePolicy', 'AwsSolutions::AwsSolutions-SQS3']) {
    Validations.of(find(stateful, 'EventsFailureQueue')).acknowledge({
      id,
      reason: 'This queue is the events function’s on-failure destination, a dead-letter queue for its stream (alarmed: EventsNotPublished).',
    });
  }
  const undeliveredAlarms = service.node.tryFindChild('Operations')?.node.tryFindChild('UndeliveredAlarms');
  if (undeliveredAlarms) {
    for (const id of ['Serverless::Serverless-SQSRedrivePolicy', 'AwsSolutions::AwsSolutions-SQS3']) {
      Validations.of(undeliveredAlarms).acknowledge({ id, reason: 'This queue is the alarm subscriptions’ dead-letter queue.' });
    }
  }
  if (config.disposable && !config.restoredTables) {
    for (const table of ['ChargesTable', 'MerchantsTable', 'WebhooksTable']) {
      Validations.of(find(stateful, table)).acknowledge({
        id: 'AwsSolutions::AwsSolutions-DDB3',
        reason: `Stage ${config.stage} is disposable: no point-in-time recovery (it is on in every retained stage).`,
      });
    }
  }
  if (config.restoredTables?.chargesStreamArn.includes(':dynamodb:ddblocal:')) {
    Validations.of(find(service, 'EventsFunction')).acknowledge({
      id: 'CloudFormation-Validate::F3031',
      reason: 'DynamoDB Local names its streams’ region "ddblocal": the restore drill’s template, read only by the local runner.',
    });
  }
  const backupRole = stateful.node.tryFindChild('Backups')?.node.tryFindChild('Role');
  if (backupRole) {
    for (const name of BACKUP_ROLE_MANAGED_POLICIES) {
      Validations.of(backupRole).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason: 'AWS Backup’s own service-role policy, kept current by AWS for each resource type; the plan’s selection limits it to the three tables.',
      });
    }
  }
}
