import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ServiceApi } from './service-api.ts';
import type { StageConfig } from './stage-config.ts';

export interface SafeDeploysProps {
  config: StageConfig;
  liveAliases: lambda.Alias[];
  api: ServiceApi;
}

/** The share of API answers that are 5xx, per minute, that rolls a deployment back. */
export const DEPLOY_5XX_RATE_ROLLBACK = 0.01;

/**
 * How a new version takes traffic. Each function's `live` alias moves from the published
 * version it points at to the new one through a CodeDeploy deployment group: in a kept stage a
 * canary (10% of invocations for 5 minutes, then all), elsewhere all at once. While it shifts,
 * the alias's errors per minute and the API's 5xx rate per minute are watched; either in ALARM
 * stops the shift and points the alias back at the old version. (The paging 5xx alarm, slower,
 * is not among them.) An alarm already in ALARM stops a deployment too: to ship a fix during an
 * incident, deploy with `--context deployAlarms=ignore`.
 */
export class SafeDeploys extends Construct {
  readonly deploymentGroups: codedeploy.LambdaDeploymentGroup[] = [];

  constructor(scope: Construct, id: string, props: SafeDeploysProps) {
    super(scope, id);
    const { config } = props;
    const application = new codedeploy.LambdaApplication(this, 'Application', { applicationName: `oncepay-${config.stage}` });
    const deploymentConfig =
      config.deployment.trafficShift === 'canary-10-percent-5-minutes'
        ? codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
        : codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
    const minute = Duration.minutes(1);
    // The paging 5xx alarm reads 5-minute periods, too slow for a 5-minute canary: this one reads minutes.
    const api5xx = new cloudwatch.Alarm(this, 'ApiDeploy5xxRate', {
      alarmName: `oncepay-${config.stage}-ApiDeploy5xxRate`,
      alarmDescription: `More than ${DEPLOY_5XX_RATE_ROLLBACK * 100}% of API answers were 5xx in two of three minutes; a deployment in progress rolls back.`,
      metric: props.api.serverErrorRate(minute),
      threshold: DEPLOY_5XX_RATE_ROLLBACK,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alias of props.liveAliases) {
      const name = alias.node.id.replace(/Live$/, '');
      // Both versions answer through the alias while it shifts: any error is the new code's until shown otherwise.
      const aliasErrors = new cloudwatch.Alarm(this, `${name}DeployErrors`, {
        alarmName: `oncepay-${config.stage}-${name}DeployErrors`,
        alarmDescription: `${name} (live alias) failed an invocation during the last minute; a deployment in progress rolls back.`,
        metric: alias.metricErrors({ period: minute, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.deploymentGroups.push(
        new codedeploy.LambdaDeploymentGroup(this, `${name}Deployment`, {
          application,
          alias,
          deploymentConfig,
          alarms: [aliasErrors, api5xx],
          // `--context deployAlarms=ignore`: ship a fix while these alarms are in ALARM (no rollback then).
          ignoreAlarmConfiguration: config.deployment.ignoreAlarms === true,
          autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        }),
      );
    }
  }
}
