/**
 * `npm run localstack:deploy`: deploys the `dev` stage to a running LocalStack (see
 * docker-compose.yml) with aws-cdk-local, pointing the functions at the processor sandbox on
 * the host (`npm run sandbox -- --host 0.0.0.0`), and writes localstack-outputs.json.
 */
import { spawnSync } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, PutSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { stageConfig } from '../infra/stage-config.ts';
import { readStackOutputs } from './cli/stack-outputs.ts';
import { applyWhatLocalStackDrops, LOCALSTACK_CONTEXT } from './localstack-fixups.ts';
import { SANDBOX_SECRET_KEY } from './processor-sandbox/sandbox.ts';

const endpoint = process.env['AWS_ENDPOINT_URL'] ?? 'http://localhost:4566';
const sandboxUrl = process.env['SANDBOX_URL_FROM_LAMBDA'] ?? 'http://host.docker.internal:12111';
const region = process.env['AWS_REGION'] ?? 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const run = (command: string, args: string[]) => {
  const result = spawnSync('npx', ['--no-install', command, ...args], {
    stdio: 'inherit',
    env: { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

// The stack reads the processor key from Secrets Manager, as on AWS: create it in LocalStack.
const secrets = new SecretsManagerClient({ endpoint, region, credentials });
const secretName = stageConfig('dev').processor.secretName;
try {
  await secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: SANDBOX_SECRET_KEY }));
} catch (error) {
  if (!(error instanceof ResourceExistsException)) {
    console.error(`error: cannot reach LocalStack at ${endpoint} (is \`docker compose up -d\` running?): ${(error as Error).message}`);
    process.exit(1);
  }
  await secrets.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: SANDBOX_SECRET_KEY }));
}
const context = Object.entries(LOCALSTACK_CONTEXT).flatMap(([key, value]) => ['--context', `${key}=${value}`]);
run('cdklocal', ['bootstrap', ...context]);
run('cdklocal', [
  'deploy',
  '--all',
  '--require-approval',
  'never',
  '--outputs-file',
  'localstack-outputs.json',
  ...context,
  '--context',
  `processorApiUrl=${sandboxUrl}`,
]);
const outputs = readStackOutputs('localstack-outputs.json') as Record<string, string>;
for (const line of await applyWhatLocalStackDrops(new LambdaClient({ endpoint, region, credentials }), outputs)) console.log(line);
console.log('Deployed to LocalStack; outputs in localstack-outputs.json');
