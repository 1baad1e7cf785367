/**
 * Backups (AWS Backup plan, locked vault, cross-region copy) and a stage deployed on restored
 * tables, checked on the synthesized templates; each app is synthesized in full, cdk-nag included.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { stageConfig, StageConfigError, validateStageConfig, type StageConfig } from '#infra/stage-config.ts';

const synthesized = (stage: string, context: Record<string, string> = {}) => {
  // A kept stage pages someone or does not synthesize.
  const paged: Record<string, string> = stage === 'prod' ? { alarmEmails: 'oncall@example.com' } : {};
  const { app, stateful, service } = buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-backups-')), context: { ...paged, ...context } });
  app.synth(); // cdk-nag: an unacknowledged finding throws here.
  return { stateful: Template.fromStack(stateful), service: Template.fromStack(service) };
};

const COPY_VAULT = 'arn:aws:backup:eu-west-1:123456789012:backup-vault:oncepay-copy';
const RESTORED = {
  charges: 'oncepay-prod-charges-restored',
  chargesStreamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/oncepay-prod-charges-restored/stream/2026-12-03T10:00:00.000',
  merchants: 'oncepay-prod-merchants-restored',
  webhooks: 'oncepay-prod-webhooks-restored',
};

describe('prod backups', () => {
  let stateful: Template;
  beforeAll(() => {
    ({ stateful } = synthesized('prod'));
  });

  it('keeps the recovery points in a vault encrypted with a rotated key, both retained, locked in compliance mode', () => {
    stateful.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const [vault] = Object.values(stateful.findResources('AWS::Backup::BackupVault'));
    expect(vault).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        EncryptionKeyArn: { 'Fn::GetAtt': [expect.stringMatching(/^BackupsVaultKey/), 'Arn'] },
        LockConfiguration: { MinRetentionDays: 7, MaxRetentionDays: 2557, ChangeableForDays: 3 },
      },
    });
  });

  it('backs up daily, kept a week; monthly, kept a year; yearly, kept 7 years (both cold after 30 days); nothing is copied unless asked', () => {
    const [plan] = Object.values(stateful.findResources('AWS::Backup::BackupPlan'));
    const rules = (plan?.['Properties'] as { BackupPlan: { BackupPlanRule: Array<Record<string, unknown>> } }).BackupPlan.BackupPlanRule;
    expect(rules).toEqual([
      {
        RuleName: 'Daily',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Lifecycle: { DeleteAfterDays: 7 },
        TargetBackupVault: { 'Fn::GetAtt': [expect.stringMatching(/^BackupsVault/), 'BackupVaultName'] },
      },
      {
        RuleName: 'Monthly',
        ScheduleExpression: 'cron(0 4 1 * ? *)',
        Lifecycle: { MoveToColdStorageAfterDays: 30, DeleteAfterDays: 365 },
        TargetBackupVault: { 'Fn::GetAtt': [expect.stringMatching(/^BackupsVault/), 'BackupVaultName'] },
      },
      {
        RuleName: 'Yearly',
        ScheduleExpression: 'cron(0 5 1 1 ? *)',
        Lifecycle: { MoveToColdStorageAfterDays: 30, DeleteAfterDays: 2557 },
        TargetBackupVault: { 'Fn::GetAtt': [expect.stringMatching(/^BackupsVault/), 'BackupVaultName'] },
      },
    ]);
    expect(stateful.toJSON()['Rules']?.['BackupCopyInAnotherRegion']).toBeUndefined();
  });

  it('selects the three tables, with a role AWS Backup assumes to back up and restore', () => {
    const [selection] = Object.values(stateful.findResources('AWS::Backup::BackupSelection'));
    const resources = (selection?.['Properties'] as { BackupSelection: { Resources: Array<{ 'Fn::GetAtt': [string, string] }> } }).BackupSelection.Resources;
    expect(resources.map((resource) => resource['Fn::GetAtt'])).toEqual([
      [expect.stringMatching(/^StorageChargesTable/), 'Arn'],
      [expect.stringMatching(/^StorageMerchantsTable/), 'Arn'],
      [expect.stringMatching(/^StorageWebhooksTable/), 'Arn'],
    ]);
    stateful.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'backup.amazonaws.com' } })] },
      ManagedPolicyArns: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores']] },
      ],
    });
    // The runbook finds the role as the stateful stack's only one, and names the vault.
    expect(Object.keys(stateful.findResources('AWS::IAM::Role'))).toHaveLength(1);
    stateful.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: 'OncePay-prod-Stateful-tables' });
  });
});

describe('prod backups copied to another region (--context backupCopyToVaultArn)', () => {
  let stateful: Template;
  beforeAll(() => {
    ({ stateful } = synthesized('prod', { backupCopyToVaultArn: COPY_VAULT }));
  });

  it('copies each point with its rule’s lifecycle, and CloudFormation refuses a copy vault in the stack’s own region', () => {
    const [plan] = Object.values(stateful.findResources('AWS::Backup::BackupPlan'));
    const rules = (plan?.['Properties'] as { BackupPlan: { BackupPlanRule: Array<Record<string, unknown>> } }).BackupPlan.BackupPlanRule;
    expect(rules.map((rule) => rule['CopyActions'])).toEqual([
      [{ DestinationBackupVaultArn: COPY_VAULT, Lifecycle: { DeleteAfterDays: 7 } }],
      [{ DestinationBackupVaultArn: COPY_VAULT, Lifecycle: { MoveToColdStorageAfterDays: 30, DeleteAfterDays: 365 } }],
      [{ DestinationBackupVaultArn: COPY_VAULT, Lifecycle: { MoveToColdStorageAfterDays: 30, DeleteAfterDays: 2557 } }],
    ]);
    expect(stateful.toJSON()['Rules']['BackupCopyInAnotherRegion']['Assertions']).toEqual([
      { Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }] }, AssertDescription: expect.stringContaining('another region') },
    ]);
  });
});

describe('prod deployed on restored tables (--context restoredTables)', () => {
  let stateful: Template;
  let service: Template;
  beforeAll(() => {
    ({ stateful, service } = synthesized('prod', { restoredTables: JSON.stringify(RESTORED) }));
  });

  it('creates no table, outputs the restored tables’ names, and backs them up', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 0);
    const outputs = stateful.findOutputs('*');
    expect([outputs['ChargesTableName']?.['Value'], outputs['MerchantsTableName']?.['Value'], outputs['WebhooksTableName']?.['Value']]).toEqual([
      RESTORED.charges,
      RESTORED.merchants,
      RESTORED.webhooks,
    ]);
    const [selection] = Object.values(stateful.findResources('AWS::Backup::BackupSelection'));
    const resources = JSON.stringify((selection?.['Properties'] as { BackupSelection: { Resources: unknown } }).BackupSelection.Resources);
    for (const table of [RESTORED.charges, RESTORED.merchants, RESTORED.webhooks]) expect(resources).toContain(`:table/${table}`);
  });

  it('points the functions, their permissions and the events function’s stream source at the restored tables', () => {
    const variables = Object.values(service.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn['Properties'] as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables ?? {},
    );
    expect(new Set(variables.flatMap((vars) => (vars['CHARGES_TABLE_NAME'] === undefined ? [] : [vars['CHARGES_TABLE_NAME']])))).toEqual(new Set([RESTORED.charges]));
    expect(new Set(variables.flatMap((vars) => (vars['MERCHANTS_TABLE_NAME'] === undefined ? [] : [vars['MERCHANTS_TABLE_NAME']])))).toEqual(new Set([RESTORED.merchants]));
    expect(new Set(variables.flatMap((vars) => (vars['WEBHOOKS_TABLE_NAME'] === undefined ? [] : [vars['WEBHOOKS_TABLE_NAME']])))).toEqual(new Set([RESTORED.webhooks]));

    const policies = JSON.stringify(service.findResources('AWS::IAM::Policy'));
    for (const table of [RESTORED.charges, RESTORED.merchants, RESTORED.webhooks]) expect(policies).toContain(`:table/${table}`);
    expect(policies).not.toMatch(/Storage(Charges|Merchants|Webhooks)Table/);
    service.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:ListStreams' }), Match.objectLike({ Resource: RESTORED.chargesStreamArn })]) },
    });
    const streamSources = Object.values(service.findResources('AWS::Lambda::EventSourceMapping')).filter((mapping) =>
      JSON.stringify(mapping['Properties']['EventSourceArn']).includes('/stream/'),
    );
    expect(streamSources.map((mapping) => mapping['Properties']['EventSourceArn'])).toEqual([RESTORED.chargesStreamArn]);
  });
});

describe('local deployed on restored tables', () => {
  it('creates no table and no backup, and cdk-nag stays clean', () => {
    const local = { ...RESTORED, chargesStreamArn: RESTORED.chargesStreamArn.replace('us-east-1', 'ddblocal') };
    const { stateful } = synthesized('local', { restoredTables: JSON.stringify(local) });
    stateful.resourceCountIs('AWS::DynamoDB::Table', 0);
    stateful.resourceCountIs('AWS::Backup::BackupPlan', 0);
  });
});

describe('backup and restored-table settings', () => {
  const refuses = (change: (config: StageConfig) => void, message: RegExp) => {
    const config = structuredClone(stageConfig('prod'));
    change(config);
    expect(() => validateStageConfig(config)).toThrow(message);
  };

  it('only disposable stages go without a backup plan', () => {
    expect(['local', 'dev'].map((stage) => stageConfig(stage).backup)).toEqual([null, null]);
    refuses((config) => (config.backup = null), /^Stage prod: a kept stage must have a backup plan/);
  });

  it('refuses retentions AWS Backup would refuse, or that would not cover the records', () => {
    const backup = (config: StageConfig) => config.backup!;
    refuses((config) => (backup(config).yearly = { retentionDays: 2000, coldStorageAfterDays: 30 }), /longest-kept backup points .* must be kept at least chargeRecordRetentionDays/);
    refuses((config) => delete backup(config).yearly, /longest-kept backup points .* must be kept at least chargeRecordRetentionDays/);
    refuses((config) => (backup(config).yearly = { retentionDays: 2557, coldStorageAfterDays: 2500 }), /yearly points .* at least 90 days/);
    refuses((config) => (backup(config).monthlyRetentionDays = 2600), /yearly points are kept at least as long as monthly ones/);
    refuses((config) => (backup(config).monthlyColdStorageAfterDays = 300), /at least 90 days/);
    refuses((config) => (backup(config).dailyRetentionDays = 0), /dailyRetentionDays must be at least 1/);
    refuses((config) => (backup(config).vaultLock.minRetentionDays = 8), /minRetentionDays must be 1 to dailyRetentionDays/);
    refuses((config) => (backup(config).vaultLock.maxRetentionDays = 2000), /maxRetentionDays must be the longest backup retention/);
    refuses((config) => (backup(config).vaultLock = { mode: 'compliance', minRetentionDays: 7, maxRetentionDays: 2557, changeableForDays: 1 }), /at least 3 days/);
    expect(() => validateStageConfig({ ...stageConfig('prod'), backup: { ...stageConfig('prod').backup!, vaultLock: { mode: 'governance', minRetentionDays: 1, maxRetentionDays: 3650 } } })).not.toThrow();
  });

  it('takes a copy vault only as a backup vault ARN, and only where there is a plan', () => {
    for (const arn of ['arn:aws:s3:::bucket', 'arn:aws:backup:eu-west-1:123:backup-vault:x1', 'eu-west-1']) {
      expect(() => stageConfig('prod', { backupCopyToVaultArn: arn })).toThrow(/copyToVaultArn must be a backup vault ARN/);
    }
    expect(stageConfig('prod', { backupCopyToVaultArn: COPY_VAULT }).backup?.copyToVaultArn).toBe(COPY_VAULT);
    expect(() => stageConfig('dev', { backupCopyToVaultArn: COPY_VAULT })).toThrow(new StageConfigError('Stage dev has no backup plan whose points could be copied'));
  });

  it('refuses restored tables that are not DynamoDB names, the same table twice, or a stream of another table', () => {
    const restored = (change: Partial<typeof RESTORED>) => () => stageConfig('prod', { restoredTables: { ...RESTORED, ...change } });
    expect(restored({ merchants: 'a b' })).toThrow(/restoredTables.merchants must be a DynamoDB table name/);
    expect(restored({ webhooks: 'x'.repeat(256) })).toThrow(/restoredTables.webhooks must be a DynamoDB table name/);
    expect(restored({ webhooks: RESTORED.merchants })).toThrow(/three different tables/);
    expect(restored({ chargesStreamArn: RESTORED.chargesStreamArn.replace('charges-restored/', 'charges/') })).toThrow(/chargesStreamArn must be the stream ARN/);
    expect(restored({ chargesStreamArn: `arn:aws:dynamodb:us-east-1:123456789012:table/${RESTORED.charges}` })).toThrow(/chargesStreamArn must be the stream ARN/);
    expect(restored({})()).toMatchObject({ restoredTables: RESTORED });
  });

  it('reads --context restoredTables as JSON with exactly the four names', () => {
    const build = (value: string) => () =>
      buildApp({ stage: 'prod', outdir: mkdtempSync(join(tmpdir(), 'oncepay-backups-')), context: { alarmEmails: 'oncall@example.com', restoredTables: value } });
    expect(build('charges=x')).toThrow(/--context restoredTables must be JSON/);
    expect(build(JSON.stringify({ charges: RESTORED.charges }))).toThrow(/--context restoredTables must be exactly/);
    expect(build(JSON.stringify({ ...RESTORED, extra: 'x' }))).toThrow(/--context restoredTables must be exactly/);
    expect(build(JSON.stringify({ ...RESTORED, merchants: 7 }))).toThrow(/--context restoredTables must be exactly/);
  });
});
