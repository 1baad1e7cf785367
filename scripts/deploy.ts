/**
 * `npm run deploy -- --context stage=dev [cdk deploy options]`: deploys both stacks with the
 * pinned CDK CLI and writes their outputs to `cdk-outputs.<stage>.json`, which the CLI
 * (`npm run cli -- --outputs …`) and the test suite (`TEST_TARGET=aws`) read.
 * (LocalStack has its own script: `npm run localstack:deploy`.)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stageNames } from '../infra/stage-config.ts';
import { DeployArgsError, deployStage } from './deploy-args.ts';

const passThrough = process.argv.slice(2);

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: { stage?: string } };
let named: ReturnType<typeof deployStage>;
try {
  named = deployStage(passThrough, cdkJson.context?.stage);
} catch (error) {
  if (!(error instanceof DeployArgsError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(2);
}
const stage = named.stage ?? '';
if (!stageNames().includes(stage)) {
  console.error(`error: unknown stage "${stage}"; pass --context stage=<${stageNames().join('|')}>`);
  process.exit(2);
}
if (stage === 'local') {
  console.error('error: the local stage runs with `npm start`, not on AWS');
  process.exit(2);
}

const outputsFile = `cdk-outputs.${stage}.json`;
const withStage = named.fromArgs ? passThrough : [...passThrough, '--context', `stage=${stage}`];
console.log(`Deploying oncepay stage ${stage}; outputs → ${outputsFile}`);
const result = spawnSync('npx', ['--no-install', 'cdk', 'deploy', '--all', '--outputs-file', outputsFile, ...withStage], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
