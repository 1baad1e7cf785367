import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { newStoredApiKey } from '#domain/api-key.ts';
import { PROCESSOR_EVENT_TYPES } from '#domain/processor-events.ts';
import { stageConfig, type RestoredTables } from '#infra/stage-config.ts';
import { startProcessorSandbox, type ConfigPatch, type ProcessorSandbox } from '../processor-sandbox/sandbox.ts';
import { readHttpApi, readRestApi, startApiGateway } from './api-gateway.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.ts';
import { startDynamoDbStreamEventSource } from './dynamodb-stream-event-source.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { FunctionHost, hostsByReference, type LocalFunction } from './function-host.ts';
import { startLambdaApi } from './lambda-api.ts';
import { startSchedules } from './schedules.ts';
import { startKmsEmulator } from './kms-emulator.ts';
import { createKeys, createQueues, createTables, physicalName, type LocalResourceNaming } from './provision.ts';
import { startSecretsManagerEmulator } from './secrets-manager-emulator.ts';
import { startSqsEmulator } from './sqs-emulator.ts';
import { startSqsEventSource, type RunningEventSource } from './sqs-event-source.ts';
import { IntrinsicResolver, resourcesOfType, synthesize, UnsupportedTemplateError, type CfnResource, type CfnTemplate } from './template.ts';

/** The demo merchants `npm start` seeds, with fixed test keys documented in the README. */
export const DEMO_MERCHANTS = [
  { merchantId: 'mer_acme', name: 'acme', secretKey: 'sk_test_acme_local' },
  { merchantId: 'mer_globex', name: 'globex', secretKey: 'sk_test_globex_local' },
] as const;

export const LOCAL_REGION = 'us-east-1';
/** The account id fauxqs writes into queue ARNs; the runner uses it everywhere for consistency. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalStackOptions {
  /** Port of the API; 0 picks a free one. */
  port: number;
  /** Port of the processor sandbox; 0 (the default) picks a free one. */
  sandboxPort?: number;
  stage?: string;
  seedDemoMerchants?: boolean;
  /** Run the template's EventBridge schedules (default true); tests that drive the reconciler turn this off. */
  runSchedules?: boolean;
  /**
   * Route the functions' DynamoDB, SQS and processor traffic through a fault-injecting proxy
   * whose control API is `faultControlUrl` (tests and the chaos harness use it), and serve the
   * API behind it too, at `faultyApiUrl`.
   */
  faultInjection?: boolean;
  /** With `faultInjection`: the proxy also records DynamoDB consumed capacity (the benchmark). */
  measureCapacity?: boolean;
  /** Told of every finished function invocation (the benchmark prices Lambda time with it). */
  onInvocation?: (functionLogicalId: string, durationMs: number, ok: boolean) => void;
  /**
   * Test-only: bundles to run instead of the template's, by function logical id prefix
   * (e.g. `ServiceWorkerFunction`). The chaos tests use it to switch a protection off.
   */
  bundleOverrides?: Record<string, string>;
  /**
   * Serve from these existing tables of `dynamodbLocal` instead of creating the template's
   * (the restore drill: `--context restoredTables`); demo merchants are then not seeded unless asked.
   */
  restoredTables?: RestoredTables;
  /** Use this running DynamoDB Local, left running at `stop()` (its tables outlive the stack). */
  dynamodbLocal?: Pick<RunningDynamoDbLocal, 'endpoint' | 'pid'>;
  /** Use this running processor sandbox, left running at `stop()` (the processor outlives the stack). */
  sandbox?: ProcessorSandbox;
  /** The sandbox's timing where the stack starts its own (default: the sandbox's, Stripe-like latency). */
  sandboxTiming?: ConfigPatch;
  /** The kind of API to serve (the stage config's `api.type`; default: the stage's, REST). */
  apiType?: 'rest' | 'http';
  /** Reuse the synthesized templates and bundles kept here while their sources are unchanged (`npm start`). */
  synthCacheDir?: string;
  /** One line per HTTP request, invocation and lifecycle event. */
  log?: (line: string) => void;
  /** Each line a function writes (Powertools JSON logs). */
  onFunctionLog?: (functionLogicalId: string, line: string) => void;
}

export interface LocalStack {
  apiUrl: string;
  sandbox: ProcessorSandbox;
  region: string;
  endpoints: { dynamodb: string; sqs: string; secretsManager: string; kms: string; lambda: string };
  /** Set when started with `faultInjection`. */
  faultControlUrl?: string;
  /** With `faultInjection`: the API behind the fault proxy, where clients meet lost answers, resets and 5xx (target `api`). */
  faultyApiUrl?: string;
  /** DynamoDB Local's Java process id. */
  dynamodbPid: number;
  /** The stack's outputs, resolved locally (`ApiUrl` is the local URL). */
  outputs: Record<string, string>;
  /** What the CLI needs to operate this stack: outputs plus the emulator endpoints. */
  outputsFileContent(): string;
  stop(): Promise<void>;
}

/**
 * Starts oncepay locally from its synthesized CDK template: DynamoDB Local, the fauxqs SQS
 * emulator, Secrets Manager and KMS stand-ins, the processor sandbox (which sends its events, signed,
 * to the stack's `POST /webhooks/stripe`), every function in its own Lambda-like environments,
 * the API (REST, or HTTP with `apiType: 'http'`) and the SQS event source mappings.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'local';
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) {
      await stopper().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
    }
    stoppers.length = 0;
  };

  try {
    if (options.restoredTables) await checkRestoredTables(options.restoredTables, options.dynamodbLocal?.endpoint);
    // The sandbox enforces the account rate limit the stage is configured for, as Stripe would.
    const sandbox = options.sandbox ?? (await startProcessorSandbox({ port: options.sandboxPort ?? 0, rateLimitPerSecond: stageConfig(stage).processor.requestsPerSecond, ...options.sandboxTiming }));
    if (!options.sandbox) stoppers.push(() => sandbox.stop());
    let faultProxy: FaultProxy | undefined;
    if (options.faultInjection) {
      faultProxy = await startFaultProxy({ measureCapacity: options.measureCapacity ?? false });
      faultProxy.setUpstream('processor', sandbox.url);
      stoppers.push(() => faultProxy?.stop() ?? Promise.resolve());
    }
    // A DynamoDB Local given is its owner's to stop.
    const dynamodbStarting = options.dynamodbLocal ? Promise.resolve({ ...options.dynamodbLocal, stop: async () => undefined }) : startDynamoDbLocal();
    dynamodbStarting.catch(() => undefined);
    const outdir = mkdtempSync(join(tmpdir(), 'oncepay-cdk-'));
    stoppers.push(async () => rmSync(outdir, { recursive: true, force: true }));
    const synthesized = synthesize({
      stage,
      outdir,
      processorApiUrl: faultProxy?.endpoints.processor ?? sandbox.url,
      context: {
        ...(options.restoredTables ? { restoredTables: JSON.stringify(options.restoredTables) } : {}),
        ...(options.apiType ? { apiType: options.apiType } : {}),
      },
      ...(options.synthCacheDir ? { cacheDir: options.synthCacheDir } : {}),
    });
    const dynamodbLocal = await dynamodbStarting;
    stoppers.push(() => dynamodbLocal.stop());
    const sqsEmulator = await startSqsEmulator(LOCAL_REGION);
    stoppers.push(() => sqsEmulator.stop());
    // The endpoint registered at the processor for its events, as a user registers one in Stripe's Dashboard.
    const processorWebhookSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
    const secrets = new Map([
      [stageConfig(stage).processor.secretName, sandbox.secretKey],
      [stageConfig(stage).processor.webhookSecretName, processorWebhookSecret],
    ]);
    const secretsManager = await startSecretsManagerEmulator(secrets, LOCAL_REGION);
    stoppers.push(() => secretsManager.stop());
    const kms = await startKmsEmulator(LOCAL_REGION, LOCAL_ACCOUNT_ID);
    stoppers.push(() => kms.stop());
    faultProxy?.setUpstream('dynamodb', dynamodbLocal.endpoint);
    faultProxy?.setUpstream('sqs', sqsEmulator.endpoint);

    const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: dynamodbLocal.endpoint });
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEmulator.endpoint, useQueueUrlAsEndpoint: false });
    // The event source mappings' pollers go through the fault proxy too (visibility expiry).
    const pollerSqs = faultProxy
      ? new SQSClient({ ...clientConfig, endpoint: faultProxy.endpoints.sqs, useQueueUrlAsEndpoint: false })
      : sqs;
    // The stream pollers read DynamoDB Local's streams directly (the functions' writes go through the proxy).
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: dynamodbLocal.endpoint });
    stoppers.push(async () => {
      dynamodb.destroy();
      sqs.destroy();
      pollerSqs.destroy();
      streams.destroy();
    });

    // Stacks in deployment order; a later stack's Fn::ImportValue reads an earlier one's exports.
    const exports = new Map<string, string>();
    const stacks = synthesized.map((stack) => ({
      ...stack,
      naming: { stackName: stack.stackName, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID } satisfies LocalResourceNaming,
      resolver: new IntrinsicResolver({ region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID }, exports),
    }));
    const functionEnvironment = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: faultProxy?.endpoints.dynamodb ?? dynamodbLocal.endpoint,
      AWS_ENDPOINT_URL_SQS: faultProxy?.endpoints.sqs ?? sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
    };
    const hosts = new Map<string, FunctionHost>();
    const queueUrlsByArn = new Map<string, string>();
    stoppers.push(async () => {
      await Promise.all([...hosts.values()].map((host) => host.close()));
    });
    for (const stack of stacks) {
      createKeys(kms, stack.template, stack.resolver);
      await createTables(dynamodb, stack.template, stack.resolver, stack.naming);
      for (const queue of await createQueues(sqs, stack.template, stack.resolver, stack.naming)) queueUrlsByArn.set(queue.arn, queue.url);
      const stackHosts = createFunctionHosts(stack.template, stack.resolver, stack.naming, stack.assemblyDir, functionEnvironment, options, log);
      for (const [logicalId, host] of stackHosts) hosts.set(`${stack.stackName}/${logicalId}`, host);
      registerExports(stack.template, stack.resolver, exports);
    }
    const hostsByArn = hostsByReference(hosts.values());

    const declaresApi = (stack: (typeof stacks)[number]) => API_TYPES.some((type) => resourcesOfType(stack.template, type).length > 0);
    const apiStack = stacks.find(declaresApi);
    if (!apiStack) throw new Error('No stack declares a REST API or an HTTP API');
    const apiId = `local${apiStack.stackName.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 10);
    registerApiResources(apiStack.template, apiStack.resolver, apiId);
    const api =
      resourcesOfType(apiStack.template, 'AWS::ApiGatewayV2::Api').length > 0
        ? readHttpApi(apiStack.template, apiStack.resolver, hostsByArn)
        : readRestApi(apiStack.template, apiStack.resolver, hostsByArn);
    const gateway = await startApiGateway({
      api,
      port: options.port,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      onRequest: ({ method, path, status, durationMs }) => log(`${method} ${path} → ${status} ${durationMs}ms`),
    });
    stoppers.push(() => gateway.close());
    faultProxy?.setUpstream('api', gateway.url);
    sandbox.setWebhookTarget({ url: `${gateway.url}/webhooks/stripe`, secret: processorWebhookSecret, enabledEvents: PROCESSOR_EVENT_TYPES });
    stoppers.push(async () => sandbox.setWebhookTarget(null));

    const eventSources = stacks.flatMap((stack) => startEventSources(stack.template, stack.resolver, hostsByArn, queueUrlsByArn, pollerSqs, streams));
    // Pollers stop before the functions and emulators they use.
    stoppers.push(async () => {
      await Promise.all(eventSources.map((source) => source.stop()));
    });
    const lambdaApi = await startLambdaApi([...hosts.values()]);
    stoppers.push(() => lambdaApi.stop());
    if (options.runSchedules ?? true) {
      for (const stack of stacks) {
        const schedules = startSchedules(stack.template, stack.resolver, hostsByArn, { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, log });
        stoppers.push(async () => schedules.stop());
      }
    }

    const outputs = Object.assign({}, ...stacks.map((stack) => resolveOutputs(stack.template, stack.resolver, gateway.url))) as Record<string, string>;
    if (options.seedDemoMerchants ?? !options.restoredTables) {
      await seedDemoMerchants(new DynamoDbMerchantStore(dynamodb, outputs['MerchantsTableName'] ?? ''));
    }

    return {
      apiUrl: gateway.url,
      sandbox,
      region: LOCAL_REGION,
      endpoints: {
        dynamodb: dynamodbLocal.endpoint,
        sqs: sqsEmulator.endpoint,
        secretsManager: secretsManager.endpoint,
        kms: kms.endpoint,
        lambda: lambdaApi.endpoint,
      },
      ...(faultProxy ? { faultControlUrl: faultProxy.controlUrl, faultyApiUrl: faultProxy.endpoints.api } : {}),
      dynamodbPid: dynamodbLocal.pid,
      outputs,
      outputsFileContent: () =>
        JSON.stringify(
          {
            ...outputs,
            Region: LOCAL_REGION,
            DynamoDbEndpoint: dynamodbLocal.endpoint,
            SqsEndpoint: sqsEmulator.endpoint,
            LambdaEndpoint: lambdaApi.endpoint,
            SecretsManagerEndpoint: secretsManager.endpoint,
            KmsEndpoint: kms.endpoint,
          },
          null,
          2,
        ),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function createFunctionHosts(
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  naming: LocalResourceNaming,
  assemblyDir: string,
  baseEnvironment: Record<string, string>,
  options: LocalStackOptions,
  log: (line: string) => void,
): Map<string, FunctionHost> {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  // Names first: environments may reference other functions.
  for (const [logicalId] of functions) {
    const functionName = physicalName(naming, logicalId);
    resolver.register(logicalId, {
      ref: functionName,
      attributes: { Arn: `arn:aws:lambda:${naming.region}:${naming.accountId}:function:${functionName}` },
    });
  }
  // A published version is the function as built; an alias points at one (`Ref` = its ARN).
  const aliases = new Map<string, string[]>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Version')) {
    const functionArn = resolver.resolveString({ 'Fn::GetAtt': [functionOf(logicalId, resource), 'Arn'] });
    resolver.register(logicalId, { ref: `${functionArn}:${LOCAL_VERSION}`, attributes: { Version: LOCAL_VERSION } });
  }
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Alias')) {
    const target = functionOf(logicalId, resource);
    const name = String(resource.Properties?.['Name']);
    resolver.register(logicalId, { ref: `${resolver.resolveString({ 'Fn::GetAtt': [target, 'Arn'] })}:${name}`, attributes: {} });
    aliases.set(target, [...(aliases.get(target) ?? []), name]);
  }
  const hosts = new Map<string, FunctionHost>();
  for (const [logicalId, resource] of functions) {
    const properties = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') throw new Error(`${logicalId} has no bundled asset; is it a NodejsFunction?`);
    const [file, exportName] = String(properties['Handler'] ?? 'index.handler').split('.');
    const bundleBase = join(assemblyDir, assetPath, file ?? 'index');
    const override = Object.entries(options.bundleOverrides ?? {}).find(([prefix]) => logicalId.startsWith(prefix))?.[1];
    const bundlePath = override ?? ['.mjs', '.js', '.cjs'].map((extension) => bundleBase + extension).find(existsSync);
    if (!bundlePath) throw new Error(`No bundle for ${logicalId} at ${bundleBase}.mjs`);
    const variables = ((properties['Environment'] as { Variables?: unknown } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const fn: LocalFunction = {
      logicalId,
      functionName: resolver.resolveString({ Ref: logicalId }),
      functionArn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
      aliases: aliases.get(logicalId) ?? [],
      bundlePath,
      exportName: exportName ?? 'handler',
      timeoutMs: Number(properties['Timeout'] ?? 3) * 1000,
      memoryMb: Number(properties['MemorySize'] ?? 128),
      environment: Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolver.resolveString(value)])),
      reservedConcurrency: properties['ReservedConcurrentExecutions'] === undefined ? null : Number(properties['ReservedConcurrentExecutions']),
    };
    hosts.set(
      logicalId,
      new FunctionHost(fn, {
        baseEnvironment,
        maxEnvironments: 16,
        onLog: (host, line) => options.onFunctionLog?.(host.logicalId, line),
        onInvocation: (host, result) => {
          options.onInvocation?.(host.logicalId, result.durationMs, result.ok);
          const status = result.ok ? 'ok' : result.timedOut ? 'TIMED OUT' : `error ${result.error.errorType}`;
          log(`λ ${host.logicalId} ${result.durationMs}ms ${status}`);
        },
      }),
    );
  }
  return hosts;
}

/** The one version every function has locally. */
const LOCAL_VERSION = '1';

/** The function a version or alias belongs to: CDK declares it as `{ Ref: <function> }`. */
function functionOf(logicalId: string, resource: CfnResource): string {
  const functionName = resource.Properties?.['FunctionName'] as { Ref?: unknown } | undefined;
  if (typeof functionName?.Ref !== 'string') throw new UnsupportedTemplateError(`${logicalId}: FunctionName must be a Ref to a function of the stack`);
  return functionName.Ref;
}

/** `Ref` values for the API's own resources: the API id and its resources by logical id. */
const API_TYPES = ['AWS::ApiGateway::RestApi', 'AWS::ApiGatewayV2::Api'];

function registerApiResources(template: CfnTemplate, resolver: IntrinsicResolver, apiId: string): void {
  for (const [logicalId] of resourcesOfType(template, 'AWS::ApiGatewayV2::Api')) {
    resolver.register(logicalId, { ref: apiId, attributes: { ApiEndpoint: `https://${apiId}.execute-api.${LOCAL_REGION}.amazonaws.com` } });
  }
  for (const type of ['AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Stage']) {
    for (const [logicalId] of resourcesOfType(template, type)) resolver.register(logicalId, { ref: logicalId, attributes: {} });
  }
  for (const [logicalId] of resourcesOfType(template, 'AWS::ApiGateway::RestApi')) {
    resolver.register(logicalId, { ref: apiId, attributes: { RootResourceId: 'root' } });
  }
  for (const type of ['AWS::ApiGateway::Resource', 'AWS::ApiGateway::Deployment']) {
    for (const [logicalId] of resourcesOfType(template, type)) resolver.register(logicalId, { ref: logicalId, attributes: {} });
  }
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::ApiGateway::Stage')) {
    resolver.register(logicalId, { ref: String(resource.Properties?.['StageName'] ?? 'prod'), attributes: {} });
  }
}

/** A DynamoDB stream mapping as the template declares it, its on-failure destination an SQS queue of the app. */
function startStreamSource(
  logicalId: string,
  properties: Record<string, unknown>,
  streamArn: string,
  host: FunctionHost,
  resolver: IntrinsicResolver,
  queueUrlsByArn: Map<string, string>,
  sqs: SQSClient,
  streams: DynamoDBStreamsClient,
): RunningEventSource {
  const destination = (properties['DestinationConfig'] as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
  const failureQueueUrl = destination === undefined ? undefined : queueUrlsByArn.get(resolver.resolveString(destination));
  if (destination !== undefined && !failureQueueUrl) throw new Error(`${logicalId}: the on-failure destination is not an SQS queue of this app`);
  return startDynamoDbStreamEventSource({
    streams,
    streamArn,
    region: LOCAL_REGION,
    batchSize: Number(properties['BatchSize'] ?? 100),
    maxBatchingWindowSeconds: Number(properties['MaximumBatchingWindowInSeconds'] ?? 0),
    startingPosition: properties['StartingPosition'] === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
    bisectBatchOnFunctionError: properties['BisectBatchOnFunctionError'] === true,
    maximumRetryAttempts: Number(properties['MaximumRetryAttempts'] ?? -1),
    maximumRecordAgeInSeconds: Number(properties['MaximumRecordAgeInSeconds'] ?? -1),
    reportBatchItemFailures: ((properties['FunctionResponseTypes'] ?? []) as string[]).includes('ReportBatchItemFailures'),
    ...(failureQueueUrl
      ? { onFailure: async (failure) => void (await sqs.send(new SendMessageCommand({ QueueUrl: failureQueueUrl, MessageBody: JSON.stringify(failure) }))) }
      : {}),
    invoke: (event) => host.invoke(event),
  });
}

function startEventSources(
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  hostsByArn: Map<string, FunctionHost>,
  queueUrlsByArn: Map<string, string>,
  sqs: SQSClient,
  streams: DynamoDBStreamsClient,
): RunningEventSource[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const queueArn = resolver.resolveString(properties['EventSourceArn']);
    // FunctionName is a name, an ARN, or either qualified by an alias.
    const functionName = resolver.resolveString(properties['FunctionName']);
    const host = hostsByArn.get(functionName);
    if (!host) throw new Error(`${logicalId}: no local function`);
    if (queueArn.includes(':table/') && queueArn.includes('/stream/')) {
      return startStreamSource(logicalId, properties, queueArn, host, resolver, queueUrlsByArn, sqs, streams);
    }
    const queueUrl = queueUrlsByArn.get(queueArn);
    if (!queueUrl) throw new Error(`${logicalId}: event source ${queueArn} is not an SQS queue of this app`);
    const scaling = properties['ScalingConfig'] as { MaximumConcurrency?: number } | undefined;
    return startSqsEventSource({
      sqs,
      queueUrl,
      queueArn,
      region: LOCAL_REGION,
      batchSize: Number(properties['BatchSize'] ?? 10),
      maxBatchingWindowSeconds: Number(properties['MaximumBatchingWindowInSeconds'] ?? 0),
      concurrency: Math.min(scaling?.MaximumConcurrency ?? 5, 5),
      reportBatchItemFailures: ((properties['FunctionResponseTypes'] ?? []) as string[]).includes('ReportBatchItemFailures'),
      invoke: (event) => host.invoke(event),
      onBatch: () => undefined,
    });
  });
}

/** The stack's own outputs (CDK's generated cross-stack `ExportsOutput…` ones left out). */
function resolveOutputs(template: CfnTemplate, resolver: IntrinsicResolver, apiUrl: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (name.startsWith('ExportsOutput')) continue;
    if (name === 'ApiUrl') {
      outputs[name] = `${apiUrl}/`;
      continue;
    }
    try {
      outputs[name] = resolver.resolveString(output.Value);
    } catch (error) {
      // Outputs of resources the local stack does not emulate (alarm topic, API endpoint).
      if (!(error instanceof UnsupportedTemplateError)) throw error;
    }
  }
  return outputs;
}

/** Records a stack's exported outputs for the `Fn::ImportValue`s of the stacks after it. */
function registerExports(template: CfnTemplate, resolver: IntrinsicResolver, exports: Map<string, string>): void {
  for (const output of Object.values(template.Outputs ?? {})) {
    if (!output.Export) continue;
    exports.set(resolver.resolveString(output.Export.Name), resolver.resolveString(output.Value));
  }
}

/**
 * Restored tables must exist in the DynamoDB Local given, the charges one with the stream named
 * (on AWS a deploy would fail on the stream; locally the stack would start and then fail requests).
 */
async function checkRestoredTables(tables: RestoredTables, endpoint: string | undefined): Promise<void> {
  if (!endpoint) throw new Error('restoredTables name tables of a running DynamoDB Local: pass it as dynamodbLocal');
  const dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint });
  try {
    for (const name of [tables.charges, tables.merchants, tables.webhooks]) {
      const found = await dynamodb.send(new DescribeTableCommand({ TableName: name })).catch((error: unknown) => {
        if ((error as Error).name === 'ResourceNotFoundException') return null;
        throw error;
      });
      if (!found) throw new Error(`restoredTables: DynamoDB Local has no table ${name}`);
      if (name === tables.charges && found.Table?.LatestStreamArn !== tables.chargesStreamArn) {
        throw new Error(`restoredTables: ${tables.chargesStreamArn} is not the stream of ${name} (turn it on: docs/runbook.md)`);
      }
    }
  } finally {
    dynamodb.destroy();
  }
}

async function seedDemoMerchants(store: DynamoDbMerchantStore): Promise<void> {
  const now = Date.now();
  for (const merchant of DEMO_MERCHANTS) {
    await store.createMerchant(
      { merchantId: merchant.merchantId, name: merchant.name, createdAt: now },
      newStoredApiKey(merchant.secretKey, merchant.merchantId, now),
    );
  }
}
