import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { applyNagSuppressions } from './nag-suppressions.ts';
import { OncePayServiceStack, OncePayStatefulStack } from './stacks.ts';
import { stageConfig, stageNames } from './stage-config.ts';

export interface BuildAppOptions {
  /** The stage to build; by default the `stage` context value (`--context stage=…`, cdk.json). */
  stage?: string;
  /** Cloud assembly directory; `cdk.out` by default (the CLI sets it). */
  outdir?: string;
  /** Overrides the processor URL, e.g. the local sandbox's (also `--context processorApiUrl=…`). */
  processorApiUrl?: string;
}

/** The stack ids per stage; physical names are left to CloudFormation. */
export const stackIdsFor = (stage: string) => ({ stateful: `OncePay-${stage}-Stateful`, service: `OncePay-${stage}-Service` });

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
    },
  });
  const stage: unknown = options.stage ?? app.node.tryGetContext('stage');
  if (typeof stage !== 'string') throw new Error(`Set the stage with --context stage=<${stageNames().join('|')}>`);
  const contextUrl: unknown = app.node.tryGetContext('processorApiUrl');
  const processorApiUrl = options.processorApiUrl ?? (typeof contextUrl === 'string' ? contextUrl : undefined);
  const config = stageConfig(stage, processorApiUrl ? { processorApiUrl } : {});
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
