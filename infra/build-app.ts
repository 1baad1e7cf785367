import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { applyNagSuppressions } from './nag-suppressions.ts';
import { OncePayServiceStack, OncePayStatefulStack } from './stacks.ts';
import { requireAlarmSubscriber, stackIdsFor, stageConfig, StageConfigError, stageNames, type RestoredTables, type StageOverrides } from './stage-config.ts';

export interface BuildAppOptions {
  /** The stage to build; by default the `stage` context value (`--context stage=…`, cdk.json). */
  stage?: string;
  /** Cloud assembly directory; `cdk.out` by default (the CLI sets it). */
  outdir?: string;
  /** Overrides the processor URL, e.g. the local sandbox's (also `--context processorApiUrl=…`). */
  processorApiUrl?: string;
  /** Context values, as `--context key=value` would give them (for tests). */
  context?: Record<string, string>;
}

const RESTORED_TABLES_SHAPE = '{"charges":"…","chargesStreamArn":"arn:aws:dynamodb:…/stream/…","merchants":"…","webhooks":"…"}';

/** `--context restoredTables=<JSON>` (a string from the CLI, an object from cdk.json). */
function restoredTablesFromContext(value: unknown): RestoredTables {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new StageConfigError(`--context restoredTables must be JSON: ${RESTORED_TABLES_SHAPE}`);
    }
  }
  const fields = ['charges', 'chargesStreamArn', 'merchants', 'webhooks'] as const;
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (Object.keys(record).length !== fields.length || !fields.every((field) => typeof record[field] === 'string')) {
    throw new StageConfigError(`--context restoredTables must be exactly ${RESTORED_TABLES_SHAPE}`);
  }
  return record as unknown as RestoredTables;
}

/** The stage overrides given as CDK context: `alarmEmails`, `alarmHttpsUrls`, `apiType`, `apiDomainName` + `apiCertificateArn`, `wafRateLimit`, `trafficShift`, `deployAlarms`, `xraySamplingRule`, `backupCopyToVaultArn`, `restoredTables`. */
function overridesFromContext(context: (key: string) => unknown): StageOverrides {
  const text = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new StageConfigError(`--context ${key} must be a non-empty string`);
    return value.trim();
  };
  const list = (key: string) => text(key)?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const overrides: StageOverrides = {};
  const processorApiUrl = text('processorApiUrl');
  if (processorApiUrl) overrides.processorApiUrl = processorApiUrl;
  const alarmEmails = list('alarmEmails');
  if (alarmEmails) overrides.alarmEmails = alarmEmails;
  const alarmHttpsUrls = list('alarmHttpsUrls');
  if (alarmHttpsUrls) overrides.alarmHttpsUrls = alarmHttpsUrls;
  const apiType = text('apiType');
  if (apiType !== undefined) {
    if (apiType !== 'rest' && apiType !== 'http') throw new StageConfigError('--context apiType must be rest or http');
    overrides.apiType = apiType;
  }
  const domainName = text('apiDomainName');
  const certificateArn = text('apiCertificateArn');
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new StageConfigError('--context apiDomainName and apiCertificateArn go together');
  }
  if (domainName && certificateArn) overrides.customDomain = { domainName, certificateArn };
  const waf = text('wafRateLimit');
  if (waf !== undefined) {
    const limit = Number(waf);
    if (waf !== 'off' && !Number.isSafeInteger(limit)) throw new StageConfigError('--context wafRateLimit must be a whole number of requests per 5 minutes, or off');
    overrides.wafRateLimitPer5Minutes = waf === 'off' ? 'off' : limit;
  }
  const deployAlarms = text('deployAlarms');
  if (deployAlarms !== undefined) {
    if (deployAlarms !== 'ignore') throw new StageConfigError('--context deployAlarms can only be ignore (to ship a fix while the rollback alarms are in ALARM)');
    overrides.ignoreDeployAlarms = true;
  }
  const trafficShift = text('trafficShift');
  if (trafficShift !== undefined) {
    if (trafficShift !== 'none') throw new StageConfigError('--context trafficShift can only be none (the stage config sets the others)');
    overrides.trafficShift = trafficShift;
  }
  const samplingRule = text('xraySamplingRule');
  if (samplingRule !== undefined) {
    if (samplingRule !== 'none') throw new StageConfigError('--context xraySamplingRule can only be none (the stage config sets the rule)');
    overrides.xraySamplingRule = 'none';
  }
  const backupCopyToVaultArn = text('backupCopyToVaultArn');
  if (backupCopyToVaultArn) overrides.backupCopyToVaultArn = backupCopyToVaultArn;
  const restoredTables = context('restoredTables');
  if (restoredTables !== undefined) overrides.restoredTables = restoredTablesFromContext(restoredTables);
  return overrides;
}


/**
 * Builds the CDK app with cdk-nag's AwsSolutions and Serverless packs: an unsuppressed finding
 * is an error that fails `cdk synth`. The CLI (`infra/app.ts`), the local runner and the infra
 * tests all go through here, so they see the same templates.
 */
export function buildApp(options: BuildAppOptions): { app: App; stateful: OncePayStatefulStack; service: OncePayServiceStack } {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    // The local runner finds each function's bundle through the asset path metadata.
    context: {
      'aws:cdk:enable-asset-metadata': true,
      // Strong references: the stateful stack cannot drop an export the service still uses.
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...options.context,
    },
  });
  const stage: unknown = options.stage ?? app.node.tryGetContext('stage');
  if (typeof stage !== 'string') throw new Error(`Set the stage with --context stage=<${stageNames().join('|')}>`);
  const overrides = overridesFromContext((key) => app.node.tryGetContext(key));
  const config = stageConfig(stage, { ...overrides, ...(options.processorApiUrl ? { processorApiUrl: options.processorApiUrl } : {}) });
  requireAlarmSubscriber(config);
  const ids = stackIdsFor(stage);
  const stateful = new OncePayStatefulStack(app, ids.stateful, { config, description: `oncepay ${stage}: tables and queues` });
  const service = new OncePayServiceStack(app, ids.service, {
    config,
    storage: stateful.storage,
    description: `oncepay ${stage}: functions, API, schedule, alarms`,
  });
  service.addStackDependency(stateful);
  applyNagSuppressions(stateful, service, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stateful, service };
}
