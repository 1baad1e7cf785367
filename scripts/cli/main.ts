import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { Command, CommanderError } from 'commander';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateSecretKey, newStoredApiKey, type KeyMode } from '#domain/api-key.ts';
import { CliError, LOCAL_OUTPUTS_FILE, readStackOutputs, resourceName, type StackOutputs } from './stack-outputs.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const MERCHANT_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function newMerchantId(): string {
  return `mer_${[...randomBytes(16)].map((byte) => MERCHANT_ID_ALPHABET[byte % 62]).join('')}`;
}

/** `npm run cli -- …`: operate a local or deployed oncepay. Returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('oncepay')
    .description('Operate oncepay: merchants and their secret keys')
    .option('--outputs <file>', 'stack outputs file (npm start writes one; so does cdk deploy --outputs-file)', LOCAL_OUTPUTS_FILE)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  let cachedOutputs: StackOutputs | undefined;
  const outputs = () => (cachedOutputs ??= readStackOutputs(program.opts<{ outputs: string }>().outputs));
  const merchantStore = () => {
    const tableName = resourceName('MERCHANTS_TABLE_NAME', outputs, 'MerchantsTableName');
    const local = process.env['MERCHANTS_TABLE_NAME'] ? {} : outputs();
    const client = new DynamoDBClient({
      ...(local.DynamoDbEndpoint
        ? { endpoint: local.DynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
      ...(local.Region ? { region: local.Region } : {}),
    });
    return new DynamoDbMerchantStore(client, tableName);
  };

  const merchants = program.command('merchants').description('create and list merchants');
  merchants
    .command('create')
    .description('create a merchant and its first secret key (shown once)')
    .requiredOption('--name <name>', 'display name')
    .option('--mode <mode>', 'key mode: test or live', 'test')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; mode: string; json?: boolean }) => {
      const name = options.name.trim();
      if (name.length === 0 || name.length > 100) throw new CliError('--name must be 1 to 100 characters');
      if (options.mode !== 'test' && options.mode !== 'live') throw new CliError('--mode must be test or live');
      const now = Date.now();
      const merchantId = newMerchantId();
      const secretKey = generateSecretKey(options.mode as KeyMode);
      const key = newStoredApiKey(secretKey, merchantId, now);
      await merchantStore().createMerchant({ merchantId, name, createdAt: now }, key);
      if (options.json) {
        io.out(JSON.stringify({ merchant_id: merchantId, name, key_id: key.keyId, secret_key: secretKey }));
      } else {
        io.out(`Created merchant ${name} (${merchantId})`);
        io.out(`Secret key (shown once, store it now): ${secretKey}`);
        io.out(`Key id (to revoke it): ${key.keyId}`);
      }
    });
  merchants
    .command('list')
    .description('list merchants')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const all = await merchantStore().listMerchants();
      if (options.json) {
        io.out(JSON.stringify(all.map((m) => ({ merchant_id: m.merchantId, name: m.name, created: Math.floor(m.createdAt / 1000) }))));
        return;
      }
      if (all.length === 0) io.out('No merchants.');
      for (const merchant of all) {
        io.out(`${merchant.merchantId}\t${merchant.name}\t${new Date(merchant.createdAt).toISOString()}`);
      }
    });

  const keys = program.command('keys').description('manage secret keys');
  keys
    .command('revoke <key-id>')
    .description('revoke a secret key (API Gateway may accept it for up to the authorizer cache TTL, 5 minutes)')
    .action(async (keyId: string) => {
      if (!/^key_[0-9a-f]{20}$/.test(keyId)) throw new CliError(`Not a key id: ${keyId} (expected key_ and 20 hex digits)`);
      const revoked = await merchantStore().revokeKey(keyId, Date.now());
      if (!revoked) throw new CliError(`No such key: ${keyId}`);
      io.out(`Revoked ${keyId}`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof ResourceNotFoundException) {
      io.err('error: the merchants table does not exist at that endpoint (is the stack running or deployed?)');
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      io.err('error: cannot reach DynamoDB (is `npm start` running, or are your AWS credentials set?)');
      return 1;
    }
    io.err(`error: ${(error as Error).message.split('\n')[0]}`);
    return 1;
  }
}
