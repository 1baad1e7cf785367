import { readFileSync } from 'node:fs';

/**
 * Where `npm start` writes the local stack's outputs, and where the CLI looks by default
 * (`ONCEPAY_OUTPUTS_FILE` moves it: tests that run `npm start` keep a developer's own stack's file).
 */
export const LOCAL_OUTPUTS_FILE = process.env['ONCEPAY_OUTPUTS_FILE'] ?? '.oncepay/outputs.json';

/**
 * The stack outputs the CLI needs, as `npm start` writes them (flat, with the local
 * endpoints) or as `cdk deploy --outputs-file` writes them (`{ "<stack>": { … } }`).
 */
export interface StackOutputs {
  MerchantsTableName?: string;
  ChargesTableName?: string;
  WorkQueueUrl?: string;
  DeadLetterQueueUrl?: string;
  WebhooksTableName?: string;
  DeliveriesQueueUrl?: string;
  EventsFailureQueueUrl?: string;
  WebhookSecretsKeyArn?: string;
  ApiUrl?: string;
  /** `rest` or `http` (the stage config's `api.type`). */
  ApiType?: string;
  ReconcilerFunctionName?: string;
  ProcessorApiUrl?: string;
  ProcessorSecretName?: string;
  ProcessorWebhookUrl?: string;
  ProcessorWebhookSecretName?: string;
  /** The mode of the keys the stage takes (`test` or `live`), merchants' and Stripe's: the default of `keys create`. */
  KeyMode?: string;
  /** Local only: emulator endpoints and region. */
  Region?: string;
  DynamoDbEndpoint?: string;
  SqsEndpoint?: string;
  LambdaEndpoint?: string;
  SecretsManagerEndpoint?: string;
  KmsEndpoint?: string;
}

export class CliError extends Error {}

export function readStackOutputs(file: string): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'not valid JSON';
    throw new CliError(`Stack outputs file ${file} is ${reason}: start the local stack (npm start) or pass --outputs <file>`);
  }
  if (parsed === null || typeof parsed !== 'object') throw new CliError(`Stack outputs file ${file} is not a JSON object`);
  const record = parsed as Record<string, unknown>;
  if ('MerchantsTableName' in record) return record as StackOutputs;
  // `cdk deploy --outputs-file` writes one object per stack: merge the app's stacks.
  const stacks = Object.values(record).filter((value) => value !== null && typeof value === 'object');
  const merged = Object.assign({}, ...stacks) as StackOutputs;
  if (!merged.MerchantsTableName) throw new CliError(`Stack outputs file ${file} has no MerchantsTableName output`);
  return merged;
}

/**
 * A required resource name: the environment variable the functions read wins, the outputs
 * file comes next, so the CLI finds tables the same way the functions do.
 */
export function resourceName(envName: string, outputs: () => StackOutputs, output: keyof StackOutputs): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  const value = outputs()[output];
  if (!value) throw new CliError(`Set ${envName} or pass --outputs <file> with a ${output} output`);
  return value;
}
