import { App } from 'aws-cdk-lib';
import { OncePayStack } from './oncepay-stack.ts';
import { stageConfig, stageNames } from './stage-config.ts';

export interface BuildAppOptions {
  /** The stage to build; by default the `stage` context value (`--context stage=…`, cdk.json). */
  stage?: string;
  /** Cloud assembly directory; `cdk.out` by default (the CLI sets it). */
  outdir?: string;
  /** Overrides the processor URL, e.g. the local sandbox's. */
  processorApiUrl?: string;
}

/** The stack id per stage; physical names are left to CloudFormation. */
export const stackIdFor = (stage: string) => `OncePay-${stage}`;

/**
 * Builds the CDK app. The CLI (`infra/app.ts`), the local runner and the infra tests all go
 * through here, so they see the same template.
 */
export function buildApp(options: BuildAppOptions): { app: App; stack: OncePayStack } {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    // The local runner finds each function's bundle through the asset path metadata.
    context: { 'aws:cdk:enable-asset-metadata': true },
  });
  const stage: unknown = options.stage ?? app.node.tryGetContext('stage');
  if (typeof stage !== 'string') throw new Error(`Set the stage with --context stage=<${stageNames().join('|')}>`);
  const config = stageConfig(stage, options.processorApiUrl ? { processorApiUrl: options.processorApiUrl } : {});
  const stack = new OncePayStack(app, stackIdFor(stage), { config, description: `oncepay (${stage})` });
  return { app, stack };
}
