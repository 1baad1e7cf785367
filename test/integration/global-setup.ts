import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateApiKey, newStoredApiKey } from '#domain/api-key.ts';
import { readStackOutputs } from '../../scripts/cli/stack-outputs.ts';
import { DEMO_MERCHANTS, LOCAL_CREDENTIALS, startLocalStack } from '../../scripts/local/local-stack.ts';
import { startProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';

export type TestTarget = 'embedded' | 'localstack' | 'aws';

/** What a target can do beyond the HTTP API, the CLI and SDK clients. */
export interface TargetCapabilities {
  /** The processor sandbox's ledger of captures (not on AWS, where the processor is Stripe). */
  ledger: boolean;
  /** The sandbox's fault tokens (`pm_sandbox_…`). */
  sandboxTokens: boolean;
  /** The local runner's fault proxy, Lambda Invoke endpoint and emulator endpoints. */
  embedded: boolean;
  /** The kind of API in front of the functions (the stage config's `api.type`). */
  apiType: 'rest' | 'http';
}

declare module 'vitest' {
  export interface ProvidedContext {
    target: TestTarget;
    capabilities: TargetCapabilities;
    apiUrl: string;
    sandboxUrl: string;
    region: string;
    /** Emulator endpoints (embedded); on LocalStack every service is its edge URL; empty on AWS. */
    endpoints: { dynamodb: string; sqs: string; secretsManager: string; lambda: string };
    faultControlUrl: string;
    outputs: Record<string, string>;
    demoKeys: { acme: string; globex: string };
    credentials: { accessKeyId: string; secretAccessKey: string };
    /** A stack outputs file for the CLI, as `npm start` or a deploy writes it. */
    outputsFile: string;
  }
}

/** The vitest project that runs the integration suite a second time, behind an HTTP API. */
export const HTTP_API_PROJECT = 'integration-http-api';

/**
 * Starts the embedded stack (TEST_TARGET=embedded, the default) or connects to a deployed one
 * (TEST_TARGET=localstack | aws, reading TEST_OUTPUTS_FILE), once for the integration project.
 * The embedded stack serves the REST API, or the HTTP API for {@link HTTP_API_PROJECT}.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const target = (process.env['TEST_TARGET'] ?? 'embedded') as TestTarget;
  if (target === 'embedded') return setupEmbedded(project, project.name === HTTP_API_PROJECT ? 'http' : 'rest');
  if (target === 'localstack' || target === 'aws') return setupDeployed(project, target);
  throw new Error(`TEST_TARGET must be embedded, localstack or aws, not "${target}"`);
}

async function setupEmbedded(project: TestProject, apiType: 'rest' | 'http'): Promise<() => Promise<void>> {
  const stack = await startLocalStack({
    port: 0,
    apiType,
    // Tests run reconciliation passes themselves, and inject faults through the proxy.
    runSchedules: false,
    faultInjection: true,
  });
  const outputsDir = mkdtempSync(join(tmpdir(), 'oncepay-outputs-'));
  const outputsFile = join(outputsDir, 'outputs.json');
  writeFileSync(outputsFile, stack.outputsFileContent());
  project.provide('target', 'embedded');
  project.provide('capabilities', { ledger: true, sandboxTokens: true, embedded: true, apiType });
  project.provide('apiUrl', stack.apiUrl);
  project.provide('sandboxUrl', stack.sandbox.url);
  project.provide('region', stack.region);
  project.provide('endpoints', stack.endpoints);
  project.provide('faultControlUrl', stack.faultControlUrl ?? '');
  project.provide('outputs', stack.outputs);
  project.provide('credentials', LOCAL_CREDENTIALS);
  project.provide('outputsFile', outputsFile);
  project.provide('demoKeys', { acme: DEMO_MERCHANTS[0].secretKey, globex: DEMO_MERCHANTS[1].secretKey });
  return async () => {
    await stack.stop();
    rmSync(outputsDir, { recursive: true, force: true });
  };
}

/** `https://<api>.execute-api.localhost.localstack.cloud:4566/<stage>/` → LocalStack's path-style URL. */
export function localstackPathStyle(apiUrl: string, edge: string): string {
  const url = new URL(apiUrl);
  const apiId = url.hostname.split('.')[0] ?? '';
  const stage = url.pathname.split('/').filter(Boolean)[0] ?? '';
  return `${edge}/_aws/execute-api/${apiId}/${stage}`;
}

async function setupDeployed(project: TestProject, target: 'localstack' | 'aws'): Promise<() => Promise<void>> {
  const file = process.env['TEST_OUTPUTS_FILE'] ?? (target === 'localstack' ? 'localstack-outputs.json' : 'cdk-outputs.dev.json');
  let outputs;
  try {
    outputs = readStackOutputs(file);
  } catch (error) {
    throw new Error(
      `TEST_TARGET=${target} reads the deployed stack's outputs from ${file} (set TEST_OUTPUTS_FILE to use another): ` +
        `run ${target === 'aws' ? 'npm run deploy -- --context stage=dev' : 'npm run localstack:deploy'} first`,
      { cause: error },
    );
  }
  if (!outputs.ApiUrl || !outputs.MerchantsTableName) throw new Error(`${file} lacks the ApiUrl or MerchantsTableName output`);
  const edge = process.env['AWS_ENDPOINT_URL'] ?? 'http://localhost:4566';
  const region = process.env['AWS_REGION'] ?? 'us-east-1';
  const local = target === 'localstack';
  const credentials = local
    ? { accessKeyId: 'test', secretAccessKey: 'test' }
    : { accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '' };

  // Two fresh merchants for this run, created the way the CLI does.
  const dynamodb = new DynamoDBClient({ region, ...(local ? { endpoint: edge, credentials } : {}) });
  const store = new DynamoDbMerchantStore(dynamodb, outputs.MerchantsTableName);
  const keys: string[] = [];
  for (const name of ['e2e-acme', 'e2e-globex']) {
    const secretKey = generateApiKey('secret', 'test');
    const merchantId = `mer_e2e${Math.random().toString(36).slice(2, 12)}`;
    await store.createMerchant({ merchantId, name, createdAt: Date.now() }, newStoredApiKey(secretKey, merchantId, Date.now()));
    keys.push(secretKey);
  }
  dynamodb.destroy();

  // LocalStack's Lambdas reach this sandbox through host.docker.internal (npm run localstack:deploy).
  const sandbox = local ? await startProcessorSandbox({ port: 12111, host: '0.0.0.0' }) : undefined;
  const outputsDir = mkdtempSync(join(tmpdir(), 'oncepay-outputs-'));
  const outputsFile = join(outputsDir, 'outputs.json');
  writeFileSync(
    outputsFile,
    JSON.stringify({ ...outputs, ...(local ? { Region: region, DynamoDbEndpoint: edge, SqsEndpoint: edge, LambdaEndpoint: edge } : {}) }),
  );
  project.provide('target', target);
  project.provide('capabilities', { ledger: local, sandboxTokens: local, embedded: false, apiType: outputs.ApiType === 'http' ? 'http' : 'rest' });
  project.provide('apiUrl', local ? localstackPathStyle(outputs.ApiUrl, edge) : outputs.ApiUrl.replace(/\/$/, ''));
  project.provide('sandboxUrl', sandbox?.url ?? '');
  project.provide('region', region);
  project.provide('endpoints', local ? { dynamodb: edge, sqs: edge, secretsManager: edge, lambda: edge } : { dynamodb: '', sqs: '', secretsManager: '', lambda: '' });
  project.provide('faultControlUrl', '');
  project.provide('outputs', outputs as Record<string, string>);
  project.provide('credentials', credentials);
  project.provide('outputsFile', outputsFile);
  project.provide('demoKeys', { acme: keys[0] ?? '', globex: keys[1] ?? '' });
  return async () => {
    await sandbox?.stop();
    rmSync(outputsDir, { recursive: true, force: true });
  };
}
