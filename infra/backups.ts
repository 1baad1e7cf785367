import { Aws, CfnRule, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { BACKUP_VAULT_ARN, type BackupConfig } from './stage-config.ts';

/** The AWS managed policies the backup role needs: take backups, and restore them (docs/runbook.md). */
export const BACKUP_ROLE_MANAGED_POLICIES = ['service-role/AWSBackupServiceRolePolicyForBackup', 'service-role/AWSBackupServiceRolePolicyForRestores'];

/**
 * AWS Backup of the tables: a daily, a monthly and (optionally) a yearly rule into a KMS-encrypted, locked vault kept
 * (RETAIN) whatever happens to the stack, each point optionally copied to a vault of another region.
 * Cold storage and cross-region copies of DynamoDB need AWS Backup's advanced features for
 * DynamoDB turned on in the account and region: no CloudFormation resource sets it (docs/runbook.md).
 */
export class TableBackups extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  /** Runs the backups, and the restores of the runbook (`start-restore-job --iam-role-arn`): the stateful stack's only role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: { config: BackupConfig; tables: dynamodb.ITable[] }) {
    super(scope, id);
    const { config } = props;
    const lock = config.vaultLock;
    const encryptionKey = new kms.Key(this, 'VaultKey', {
      description: 'oncepay backup vault: encrypts the tables’ recovery points',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      // A name the runbook can give: `<stack>-tables`, e.g. OncePay-prod-Stateful-tables.
      backupVaultName: `${Stack.of(this).stackName}-tables`,
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
      lockConfiguration: {
        minRetention: Duration.days(lock.minRetentionDays),
        maxRetention: Duration.days(lock.maxRetentionDays),
        // Without a grace period the lock stays in governance mode; with one, it is immutable once it ends.
        ...(lock.mode === 'compliance' ? { changeableFor: Duration.days(lock.changeableForDays) } : {}),
      },
    });

    const copyTo = config.copyToVaultArn ? this.copyVault(config.copyToVaultArn) : undefined;
    const rule = (ruleName: string, schedule: events.Schedule, lifecycle: { deleteAfter: Duration; moveToColdStorageAfter?: Duration }) =>
      new backup.BackupPlanRule({
        ruleName,
        scheduleExpression: schedule,
        ...lifecycle,
        ...(copyTo ? { copyActions: [{ destinationBackupVault: copyTo, ...lifecycle }] } : {}),
      });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `${Stack.of(this).stackName}-tables`,
      backupVault: this.vault,
      backupPlanRules: [
        rule('Daily', events.Schedule.cron({ hour: '3', minute: '0' }), { deleteAfter: Duration.days(config.dailyRetentionDays) }),
        rule('Monthly', events.Schedule.cron({ day: '1', hour: '4', minute: '0' }), {
          moveToColdStorageAfter: Duration.days(config.monthlyColdStorageAfterDays),
          deleteAfter: Duration.days(config.monthlyRetentionDays),
        }),
        ...(config.yearly
          ? [
              rule('Yearly', events.Schedule.cron({ month: '1', day: '1', hour: '5', minute: '0' }), {
                moveToColdStorageAfter: Duration.days(config.yearly.coldStorageAfterDays),
                deleteAfter: Duration.days(config.yearly.retentionDays),
              }),
            ]
          : []),
      ],
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      managedPolicies: BACKUP_ROLE_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    this.plan.addSelection('Tables', { role: this.role, resources: props.tables.map((table) => backup.BackupResource.fromDynamoDbTable(table)) });
  }

  /** The other region's vault; CloudFormation refuses the stack if it is in the stack's own region. */
  private copyVault(arn: string): backup.IBackupVault {
    const region = BACKUP_VAULT_ARN.exec(arn)?.[1];
    if (!region) throw new Error(`Not a backup vault ARN: ${arn}`);
    new CfnRule(Stack.of(this), 'BackupCopyInAnotherRegion', {
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(Aws.REGION, region)),
          assertDescription: `backup.copyToVaultArn must be a vault of another region than the stack's (${region})`,
        },
      ],
    });
    return backup.BackupVault.fromBackupVaultArn(this, 'CopyVault', arn);
  }
}
