import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Command, CommanderError } from 'commander';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbLists } from '#adapters/dynamodb-lists.ts';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { refundRecordFromItem } from '#adapters/dynamodb-refund-repository.ts';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { SqsDeliveryQueue } from '#adapters/sqs-delivery-queue.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { isProcessorMode } from '#adapters/processor/stripe-key.ts';
import { readSecretString } from '#adapters/secrets.ts';
import {
  API_SCOPES,
  generateApiKey,
  isApiScope,
  KEY_ID_FORMAT,
  MAX_ROLL_OVERLAP_MS,
  newStoredApiKey,
  parseRollOverlap,
  type ApiScope,
  type KeyMode,
  type StoredApiKey,
} from '#domain/api-key.ts';
import { KEY_CACHE_TTL_MS } from '#adapters/cached-api-keys.ts';
import type { ReconcileReport } from '#domain/reconcile.ts';
import { EVENT_RETENTION_MS, type EventType } from '#domain/event.ts';
import { emptyListQuery } from '#domain/listing.ts';
import { toRefundObject } from '#domain/refund.ts';
import { subscribes } from '#domain/webhook-endpoint.ts';
import { KmsSecretSealer } from '#adapters/kms-secret-sealer.ts';
import { CHARGE_ID_PATTERN } from '#domain/refund-request.ts';
import { settleRefundReview, settleReview, SettlementRefusedError } from '#domain/settle-review.ts';
import { PROCESSOR_EVENT_TYPES } from '#domain/processor-events.ts';
import { replayFailedEvents } from './replay-failed-events.ts';
import { CliError, LOCAL_OUTPUTS_FILE, readStackOutputs, resourceName, type StackOutputs } from './stack-outputs.ts';
import { invokeReconciler, type ReconcilerAnswer } from './invoke-reconciler.ts';
import { addApiCommands } from './api-commands.ts';

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
    .description('Operate oncepay: merchants and keys, reconciliation, reviews, refunds, webhook events and the dead-letter queue; and call its API as a merchant')
    .option('--outputs <file>', 'stack outputs file (npm start writes one; so does cdk deploy --outputs-file)', LOCAL_OUTPUTS_FILE)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  let cachedOutputs: StackOutputs | undefined;
  const outputs = () => (cachedOutputs ??= readStackOutputs(program.opts<{ outputs: string }>().outputs));
  /** Client settings: the local emulator endpoints when the outputs file names them, else AWS defaults. */
  const clientConfig = (envName: string, endpoint: 'DynamoDbEndpoint' | 'SqsEndpoint' | 'LambdaEndpoint' | 'SecretsManagerEndpoint' | 'KmsEndpoint') => {
    const local = process.env[envName] ? {} : outputs();
    const url = local[endpoint];
    return {
      ...(url ? { endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      ...(local.Region ? { region: local.Region } : {}),
    };
  };
  const merchantStore = () => {
    const tableName = resourceName('MERCHANTS_TABLE_NAME', outputs, 'MerchantsTableName');
    return new DynamoDbMerchantStore(new DynamoDBClient(clientConfig('MERCHANTS_TABLE_NAME', 'DynamoDbEndpoint')), tableName);
  };
  const chargesClient = () => new DynamoDBClient(clientConfig('CHARGES_TABLE_NAME', 'DynamoDbEndpoint'));
  const chargesTableName = () => resourceName('CHARGES_TABLE_NAME', outputs, 'ChargesTableName');
  const chargeRepository = () => new DynamoDbChargeRepository(chargesClient(), chargesTableName());
  const refundRepository = () => new DynamoDbRefundRepository(chargesClient(), chargesTableName());
  const webhookStore = () =>
    new DynamoDbWebhookStore(new DynamoDBClient(clientConfig('WEBHOOKS_TABLE_NAME', 'DynamoDbEndpoint')), resourceName('WEBHOOKS_TABLE_NAME', outputs, 'WebhooksTableName'));
  /** The processor as the functions see it: its URL and the key from the stage's secret. */
  const cardProcessor = async () => {
    const apiUrl = resourceName('PROCESSOR_API_URL', outputs, 'ProcessorApiUrl');
    const secretName = resourceName('PROCESSOR_SECRET_ID', outputs, 'ProcessorSecretName');
    const mode = resourceName('PROCESSOR_MODE', outputs, 'KeyMode');
    if (!isProcessorMode(mode)) throw new CliError(`The processor mode must be test or live, got "${mode}"`);
    const secrets = new SecretsManagerClient(clientConfig('PROCESSOR_SECRET_ID', 'SecretsManagerEndpoint'));
    return new StripeCardProcessor({ secretKey: await readSecretString(secrets, secretName), keyOrigin: `secret ${secretName}`, mode, apiUrl, timeoutMs: 10_000 });
  };
  /**
   * A new key's mode: `--mode`, else the stage's (`KeyMode` output), so a key made against
   * prod is live. A mode the stage does not accept is made if asked for, with a warning: such a
   * key is refused by the API (401), which is what one wants only to test that refusal.
   */
  const keyMode = (option: string | undefined): KeyMode => {
    const stageMode = outputs().KeyMode;
    if (stageMode !== undefined && stageMode !== 'test' && stageMode !== 'live') throw new CliError(`The stack outputs' KeyMode is "${stageMode}", not test or live`);
    if (option === undefined) {
      if (stageMode === undefined) throw new CliError('The stack outputs do not say the stage’s key mode (KeyMode): pass --mode test or --mode live');
      return stageMode;
    }
    const mode = keyModeOption(option);
    if (stageMode !== undefined && mode !== stageMode) io.err(`warning: this stage accepts ${stageMode} keys only; the API will refuse this ${mode} key (401)`);
    return mode;
  };
  const sqsClient = (envName: string) =>
    new SQSClient({ ...clientConfig(envName, 'SqsEndpoint'), useQueueUrlAsEndpoint: false });

  const merchants = program.command('merchants').description('create and list merchants');
  merchants
    .command('create')
    .description('create a merchant and its first secret key (shown once)')
    .requiredOption('--name <name>', 'display name')
    .option('--mode <mode>', "key mode: test or live (default: the stage's, from the stack outputs)")
    .option('--json', 'print JSON')
    .action(async (options: { name: string; mode?: string; json?: boolean }) => {
      const name = options.name.trim();
      if (name.length === 0 || name.length > 100) throw new CliError('--name must be 1 to 100 characters');
      const mode = keyMode(options.mode);
      const now = Date.now();
      const merchantId = newMerchantId();
      const secretKey = generateApiKey('secret', mode);
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

  const keys = program.command('keys').description('create, roll, list and revoke API keys');
  keys
    .command('create')
    .description('create a secret key, or a restricted key with scopes, for a merchant (shown once)')
    .requiredOption('--merchant <merchant-id>', 'the merchant (mer_…)')
    .option('--mode <mode>', "test or live (default: the stage's, from the stack outputs)")
    .option('--restricted', 'a restricted key (rk_…) limited to --scope')
    .option('--scope <scopes>', `comma-separated scopes of a restricted key: ${API_SCOPES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (options: { merchant: string; mode?: string; restricted?: boolean; scope?: string; json?: boolean }) => {
      if (!MERCHANT_ID_FORMAT.test(options.merchant)) throw new CliError(`Not a merchant id: ${options.merchant}`);
      const mode = keyMode(options.mode);
      if (options.scope !== undefined && !options.restricted) throw new CliError('--scope is for restricted keys: add --restricted');
      const scopes = options.restricted ? scopesOption(options.scope) : null;
      const apiKey = generateApiKey(scopes ? 'restricted' : 'secret', mode);
      const key = newStoredApiKey(apiKey, options.merchant, Date.now(), scopes);
      if (!(await merchantStore().createKey(key))) throw new CliError(`No such merchant: ${options.merchant}`);
      printNewKey(key, apiKey, options.json);
    });
  keys
    .command('roll <key-id>')
    .description('replace a key: a successor with the same merchant, mode and scopes; the old key works until --expire-in has passed')
    .requiredOption('--expire-in <duration>', 'how long the old key keeps working: now, or e.g. 30m, 24h, 7d (at most 7 days)')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { expireIn: string; json?: boolean }) => {
      checkKeyId(keyId);
      const overlap = parseRollOverlap(options.expireIn);
      if (overlap === undefined) {
        throw new CliError(`--expire-in must be now or a duration such as 30m, 24h or 7d, at most ${MAX_ROLL_OVERLAP_MS / 86_400_000} days: ${options.expireIn}`);
      }
      const store = merchantStore();
      const old = await store.findKey(keyId);
      if (!old) throw new CliError(`No such key: ${keyId}`);
      const now = Date.now();
      const apiKey = generateApiKey(old.type, old.mode);
      const successor = newStoredApiKey(apiKey, old.merchantId, now, old.scopes);
      const outcome = await store.rollKey(keyId, successor, now + overlap);
      if (outcome === 'unknown') throw new CliError(`No such key: ${keyId}`);
      if (outcome === 'revoked') throw new CliError(`${keyId} is revoked; create a new key instead`);
      if (outcome === 'already-rolled') {
        const rolled = await store.findKey(keyId);
        throw new CliError(`${keyId} was already rolled to ${rolled?.rolledTo ?? 'another key'}; roll that key instead`);
      }
      printNewKey(successor, apiKey, options.json, { rolledFrom: keyId, oldExpires: now + overlap });
    });
  keys
    .command('list')
    .description("list a merchant's keys: id, mode, scopes, created, expiry, revoked and last used (recorded at most once an hour)")
    .requiredOption('--merchant <merchant-id>', 'the merchant (mer_…)')
    .option('--json', 'print JSON')
    .action(async (options: { merchant: string; json?: boolean }) => {
      if (!MERCHANT_ID_FORMAT.test(options.merchant)) throw new CliError(`Not a merchant id: ${options.merchant}`);
      const store = merchantStore();
      const all = await store.listKeys(options.merchant);
      if (all.length === 0 && !(await store.merchantExists(options.merchant))) throw new CliError(`No such merchant: ${options.merchant}`);
      if (options.json) {
        io.out(JSON.stringify(all.map(keyJson)));
        return;
      }
      io.out(['key id', 'prefix', 'mode', 'scopes', 'created', 'expires', 'revoked', 'last used'].join('\t'));
      for (const key of all) {
        const time = (at: number | null) => (at === null ? '-' : new Date(at).toISOString());
        // Last use is written at most once an hour: showing minutes would claim more than is known.
        const hour = (at: number | null) => (at === null ? '-' : `${new Date(at).toISOString().slice(0, 13)}h`);
        io.out(
          [key.keyId, key.displayPrefix, key.mode, (key.scopes ?? ['*']).join(','), time(key.createdAt), time(key.expiresAt), time(key.revokedAt), hour(key.lastUsedAt)].join(
            '\t',
          ),
        );
      }
    });
  keys
    .command('revoke <key-id>')
    .description(`revoke a key at once (warm API functions stop accepting it within ${KEY_CACHE_TTL_MS / 1000} s)`)
    .action(async (keyId: string) => {
      checkKeyId(keyId);
      const revoked = await merchantStore().revokeKey(keyId, Date.now());
      if (!revoked) throw new CliError(`No such key: ${keyId}`);
      io.out(`Revoked ${keyId}`);
    });

  /** Prints a new key once: the only time its secret is shown. */
  const printNewKey = (key: StoredApiKey, apiKey: string, json: boolean | undefined, roll?: { rolledFrom: string; oldExpires: number }) => {
    if (json) {
      io.out(
        JSON.stringify({
          ...keyJson(key),
          secret_key: apiKey,
          ...(roll ? { rolled_from: roll.rolledFrom, rolled_from_expires: Math.floor(roll.oldExpires / 1000) } : {}),
        }),
      );
      return;
    }
    io.out(`Created ${key.type === 'restricted' ? 'restricted' : 'secret'} ${key.mode} key ${key.keyId} for ${key.merchantId}${key.scopes ? ` (scopes: ${key.scopes.join(', ')})` : ''}`);
    io.out(`Key (shown once, store it now): ${apiKey}`);
    if (roll) io.out(`${roll.rolledFrom} keeps working until ${new Date(roll.oldExpires).toISOString()}`);
  };

  program
    .command('reconcile')
    .description('run one reconciliation pass now (invokes the reconciler function) and print its report')
    .option('--json', 'print the whole report as JSON')
    .action(async (options: { json?: boolean }) => {
      const functionName = resourceName('RECONCILER_FUNCTION_NAME', outputs, 'ReconcilerFunctionName');
      const lambda = new LambdaClient(clientConfig('RECONCILER_FUNCTION_NAME', 'LambdaEndpoint'));
      let answer: ReconcilerAnswer;
      try {
        answer = await invokeReconciler(lambda, functionName);
      } catch (error) {
        if (error instanceof TooManyRequestsException) throw new CliError('a reconciliation pass has been running for over a minute; try again later');
        throw error;
      }
      const { payload } = answer;
      if (answer.failed) throw new CliError(`the reconciler failed: ${payload}`);
      if (options.json) {
        io.out(payload);
        return;
      }
      const report = JSON.parse(payload) as ReconcileReport;
      io.out(
        `stuck charges found ${report.found}, fixed ${report.fixed}, re-enqueued ${report.reEnqueued}, ` +
          `flagged for review ${report.flaggedForReview} (in review ${report.inReview}), errors ${report.errors}; ` +
          `dead letters received ${report.deadLetters.received}, resolved ${report.deadLetters.deleted}, ` +
          `unresolvable ${report.deadLetters.unresolvable}${report.completed ? '' : '; stopped at its time budget'}`,
      );
    });

  const review = program.command('review').description('open charges and refunds waiting for a person');
  review
    .command('list')
    .description('list open charges and refunds flagged for review, oldest flag first')
    .option('--max <n>', 'how many of each at most', '100')
    .option('--json', 'print JSON')
    .action(async (options: { max: string; json?: boolean }) => {
      const max = positiveInt(options.max, '--max');
      const charges = chargeRepository();
      const refunds = refundRepository();
      const chargeRecords = await Promise.all((await charges.findInReview(max)).map((id) => charges.get(id)));
      const refundRecords = await Promise.all((await refunds.findInReview(max)).map((id) => refunds.get(id)));
      const rows = [
        ...chargeRecords.flatMap((record) =>
          record?.review
            ? [{ id: record.charge.id, kind: 'charge', merchant_id: record.charge.merchantId, status: record.charge.status, amount: record.charge.amount, currency: record.charge.currency, processor_id: record.processorPaymentId, since: record.review.since, reason: record.review.reason }]
            : [],
        ),
        ...refundRecords.flatMap((record) =>
          record?.review
            ? [{ id: record.refund.id, kind: 'refund', merchant_id: record.refund.merchantId, status: record.refund.status, amount: record.refund.amount, currency: record.refund.currency, processor_id: record.processorRefundId, since: record.review.since, reason: record.review.reason }]
            : [],
        ),
      ]
        .sort((a, b) => a.since - b.since)
        .map(({ since, ...row }) => ({ ...row, flagged: new Date(since).toISOString() }));
      if (options.json) {
        io.out(JSON.stringify(rows));
        return;
      }
      if (rows.length === 0) {
        io.out('Nothing waits for review.');
        return;
      }
      io.out(['ID', 'KIND', 'STATUS', 'AMOUNT', 'PROCESSOR ID', 'FLAGGED', 'REASON'].join('\t'));
      for (const row of rows) io.out([row.id, row.kind, row.status, `${row.amount} ${row.currency}`, row.processor_id ?? '-', row.flagged, row.reason].join('\t'));
    });
  review
    .command('settle <id>')
    .description('close an open charge (ch_…) or refund (re_…) as succeeded or failed; the processor is asked first and never contradicted')
    .requiredOption('--as <status>', 'succeeded or failed')
    .option('--operator <name>', 'who settles it, for the record', process.env['USER'] ?? 'operator')
    .action(async (id: string, options: { as: string; operator: string }) => {
      const kind = /^ch_[0-9A-Za-z]{22}$/.test(id) ? 'charge' : /^re_[0-9A-Za-z]{22}$/.test(id) ? 'refund' : null;
      if (kind === null) throw new CliError(`Not a charge or refund id: ${id}`);
      if (options.as !== 'succeeded' && options.as !== 'failed') throw new CliError('--as must be succeeded or failed');
      try {
        if (kind === 'charge') {
          const outcome = await settleReview({ charges: chargeRepository(), processor: await cardProcessor(), now: Date.now }, { chargeId: id, as: options.as, operator: options.operator });
          io.out(`Settled ${id} as ${outcome.kind}${outcome.kind === 'failed' ? ` (${outcome.code})` : ''}.`);
        } else {
          const outcome = await settleRefundReview({ refunds: refundRepository(), processor: await cardProcessor(), now: Date.now }, { refundId: id, as: options.as, operator: options.operator });
          io.out(`Settled ${id} as ${outcome.kind}${outcome.kind === 'succeeded' ? '' : ` (${outcome.reason}); its amount is back on the charge`}.`);
        }
      } catch (error) {
        if (error instanceof SettlementRefusedError) throw new CliError(`refused: ${error.message}`);
        throw error;
      }
    });

  const refunds = program.command('refunds').description('see refunds');
  refunds
    .command('list')
    .description("list a charge's refunds, newest first, and what is left to refund")
    .requiredOption('--charge <charge-id>', 'the charge')
    .option('--json', 'print JSON: the charge summary and the refund objects, as the API shows them')
    .action(async (options: { charge: string; json?: boolean }) => {
      if (!CHARGE_ID_PATTERN.test(options.charge)) throw new CliError(`Not a charge id: ${options.charge}`);
      const record = await chargeRepository().get(options.charge);
      if (!record) throw new CliError(`No charge ${options.charge}`);
      const { charge } = record;
      const lists = new DynamoDbLists(new DynamoDBClient(clientConfig('CHARGES_TABLE_NAME', 'DynamoDbEndpoint')), resourceName('CHARGES_TABLE_NAME', outputs, 'ChargesTableName'));
      const found = [];
      for (let startingAfter: string | null = null; ; ) {
        const page = await lists.list('refunds', charge.merchantId, { ...emptyListQuery(), limit: 100, startingAfter }, charge.id);
        found.push(...page.data.map((item) => toRefundObject(refundRecordFromItem(item).refund)));
        const last = found.at(-1);
        if (!page.hasMore || !last) break;
        startingAfter = last.id;
      }
      const summary = { charge: charge.id, merchant_id: charge.merchantId, status: charge.status, amount: charge.amount, currency: charge.currency, amount_refunded: charge.amountRefunded, left: charge.amount - charge.amountRefunded };
      if (options.json) {
        io.out(JSON.stringify({ ...summary, refunds: found }));
        return;
      }
      io.out(`${charge.id}\t${charge.status}\t${charge.amount} ${charge.currency}\trefunded ${charge.amountRefunded}\tleft ${summary.left}`);
      if (found.length === 0) io.out('No refunds.');
      else io.out(['refund id', 'status', 'amount', 'reason', 'created', 'failure reason'].join('\t'));
      for (const refund of found) {
        io.out(`${refund.id}\t${refund.status}\t${refund.amount} ${refund.currency}\t${refund.reason ?? '-'}\t${new Date(refund.created * 1000).toISOString()}\t${refund.failure_reason ?? '-'}`);
      }
    });

  const events = program.command('events').description('webhook events');
  events
    .command('resend <event-id>')
    .description("deliver an event again (the same event id and bytes) to every subscribed, enabled endpoint of its merchant, or to one")
    .option('--endpoint <endpoint-id>', 'only this endpoint (one of the event’s merchant’s)')
    .action(async (eventId: string, options: { endpoint?: string }) => {
      if (!/^evt_[0-9A-Za-z]{22}$/.test(eventId)) throw new CliError(`Not an event id: ${eventId}`);
      if (options.endpoint !== undefined && !/^we_[0-9A-Za-z]{24}$/.test(options.endpoint)) throw new CliError(`Not a webhook endpoint id: ${options.endpoint}`);
      const store = webhookStore();
      const stored = await store.getEvent(eventId);
      if (!stored) throw new CliError(`No event ${eventId} (events are kept 30 days)`);
      const { type } = JSON.parse(stored.body) as { type: EventType };
      const candidates = (await store.listEndpoints(stored.merchantId)).filter((endpoint) => options.endpoint === undefined || endpoint.id === options.endpoint);
      if (options.endpoint !== undefined && candidates.length === 0) throw new CliError(`No endpoint ${options.endpoint} of ${stored.merchantId}`);
      const targets = candidates.filter((endpoint) => endpoint.status === 'enabled' && (options.endpoint !== undefined || subscribes(endpoint, type)));
      if (options.endpoint !== undefined && targets.length === 0) throw new CliError(`Endpoint ${options.endpoint} is disabled; re-enable it first`);
      const queue = new SqsDeliveryQueue(sqsClient('DELIVERIES_QUEUE_URL'), resourceName('DELIVERIES_QUEUE_URL', outputs, 'DeliveriesQueueUrl'));
      await queue.enqueue(targets.map((endpoint) => ({ event_id: eventId, endpoint_id: endpoint.id })));
      io.out(`Queued ${targets.length} ${targets.length === 1 ? 'delivery' : 'deliveries'} of ${eventId} (${type})${targets.length > 0 ? `: ${targets.map((endpoint) => endpoint.id).join(', ')}` : ''}.`);
    });

  events
    .command('replay-failed')
    .description('publish the events of stream records the events function gave up on (after 6 h of retries), from the items as they are now')
    .option('--max <n>', 'failure records to take at most', '100')
    .action(async (options: { max: string }) => {
      const documents = DynamoDBDocumentClient.from(chargesClient());
      const report = await replayFailedEvents({
        sqs: sqsClient('EVENTS_FAILURE_QUEUE_URL'),
        failureQueueUrl: resourceName('EVENTS_FAILURE_QUEUE_URL', outputs, 'EventsFailureQueueUrl'),
        streams: new DynamoDBStreamsClient(clientConfig('CHARGES_TABLE_NAME', 'DynamoDbEndpoint')),
        documents,
        chargesTableName: chargesTableName(),
        events: {
          store: webhookStore(),
          deliveries: new SqsDeliveryQueue(sqsClient('DELIVERIES_QUEUE_URL'), resourceName('DELIVERIES_QUEUE_URL', outputs, 'DeliveriesQueueUrl')),
          now: Date.now,
          eventRetentionMs: EVENT_RETENTION_MS,
          logger: silentLogger,
        },
        max: positiveInt(options.max, '--max'),
      });
      io.out(`Replayed ${report.batches} failed ${report.batches === 1 ? 'batch' : 'batches'}: ${report.items} items, ${report.events} events published.`);
      for (const batch of report.unreadable) {
        io.err(`The stream no longer holds batch ${batch} (its records are kept 24 hours): left on the queue; check its items with npm run cli -- events resend.`);
      }
      if (report.unreadable.length > 0) throw new CliError(`${report.unreadable.length} failed ${report.unreadable.length === 1 ? 'batch' : 'batches'} could not be read`);
    });

  program
    .command('webhooks')
    .description('webhook endpoints')
    .command('seal-secrets')
    .description('seal, with the stage’s webhook-secrets KMS key, the signing secrets of endpoints registered before secrets were sealed, and drop their clear copies')
    .action(async () => {
      const keyArn = resourceName('WEBHOOK_SECRETS_KEY_ARN', outputs, 'WebhookSecretsKeyArn');
      const kms = new KMSClient(clientConfig('WEBHOOK_SECRETS_KEY_ARN', 'KmsEndpoint'));
      const sealer = new KmsSecretSealer(kms, keyArn);
      const count = await webhookStore().sealClearSecrets((secret, binding) => sealer.seal(secret, binding));
      kms.destroy();
      io.out(`Sealed the signing secrets of ${count} webhook ${count === 1 ? 'endpoint' : 'endpoints'}; none is left in the clear.`);
    });

  program
    .command('processor-webhook')
    .description('how to register oncepay with the processor for its events (Stripe: a webhook endpoint), and where its signing secret goes')
    .action(() => {
      const url = resourceName('PROCESSOR_WEBHOOK_URL', outputs, 'ProcessorWebhookUrl');
      const secretName = resourceName('PROCESSOR_WEBHOOK_SECRET_ID', outputs, 'ProcessorWebhookSecretName');
      io.out('Register this endpoint in Stripe (Dashboard → Developers → Webhooks → Add endpoint), in the account whose key the stage uses:');
      io.out(`  URL:    ${url}`);
      io.out(`  Events: ${PROCESSOR_EVENT_TYPES.join(', ')}`);
      io.out('Then put the endpoint’s signing secret (whsec_…) where the stage reads it (the first time create it; after a roll, put the new value):');
      io.out(`  aws secretsmanager create-secret --name ${secretName} --secret-string 'whsec_…'`);
      io.out(`  aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string 'whsec_…'`);
      io.out('Until then every event is refused (the ProcessorEventsRefused alarm) and only the reconciler’s catch-up hears Stripe, within a minute.');
    });

  const dlq = program.command('dlq').description('inspect and redrive the dead-letter queue');
  dlq
    .command('list')
    .description('show up to --max messages, then make them visible again (their receive counts go up)')
    .option('--max <n>', 'how many messages at most', '10')
    .action(async (options: { max: string }) => {
      const max = positiveInt(options.max, '--max');
      const queueUrl = resourceName('DEAD_LETTER_QUEUE_URL', outputs, 'DeadLetterQueueUrl');
      const sqs = sqsClient('DEAD_LETTER_QUEUE_URL');
      const seen: string[] = [];
      while (seen.length < max) {
        // Hidden while we page through, so no message is shown twice; made visible below.
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, max - seen.length),
            VisibilityTimeout: 60,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const sent = new Date(Number(message.Attributes?.SentTimestamp ?? 0)).toISOString();
          io.out(`${message.MessageId}\treceives=${message.Attributes?.ApproximateReceiveCount}\tsent=${sent}\t${(message.Body ?? '').slice(0, 200)}`);
          seen.push(message.ReceiptHandle ?? '');
        }
      }
      for (let i = 0; i < seen.length; i += 10) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: seen.slice(i, i + 10).map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      }
      if (seen.length === 0) io.out('The dead-letter queue is empty.');
    });
  dlq
    .command('redrive')
    .description('move messages back to the work queue (receive, send, then delete)')
    .option('--max <n>', 'how many messages at most', '1000')
    .action(async (options: { max: string }) => {
      const max = positiveInt(options.max, '--max');
      const dlqUrl = resourceName('DEAD_LETTER_QUEUE_URL', outputs, 'DeadLetterQueueUrl');
      const workQueueUrl = resourceName('WORK_QUEUE_URL', outputs, 'WorkQueueUrl');
      const sqs = sqsClient('DEAD_LETTER_QUEUE_URL');
      let moved = 0;
      while (moved < max) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: Math.min(10, max - moved), VisibilityTimeout: 30 }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          // Sent before deleted: a crash in between leaves a duplicate, never a loss.
          await sqs.send(new SendMessageCommand({ QueueUrl: workQueueUrl, MessageBody: message.Body ?? '' }));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
          moved += 1;
        }
      }
      io.out(`Redrove ${moved} message${moved === 1 ? '' : 's'} to the work queue.`);
    });

  addApiCommands(program, { out: io.out, apiUrl: () => resourceName('ONCEPAY_API_URL', outputs, 'ApiUrl') });

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

const MERCHANT_ID_FORMAT = /^mer_[0-9A-Za-z_]{1,64}$/;

const silentLogger = new Logger({ serviceName: 'oncepay-cli', logLevel: 'SILENT' });

function checkKeyId(keyId: string): void {
  if (!KEY_ID_FORMAT.test(keyId)) throw new CliError(`Not a key id: ${keyId} (expected key_ and 20 hex digits)`);
}

function keyModeOption(mode: string): KeyMode {
  if (mode !== 'test' && mode !== 'live') throw new CliError('--mode must be test or live');
  return mode;
}

function scopesOption(list: string | undefined): ApiScope[] {
  const scopes = (list ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
  if (scopes.length === 0) throw new CliError(`a restricted key needs --scope, one or more of: ${API_SCOPES.join(', ')}`);
  const unknown = scopes.filter((scope) => !isApiScope(scope));
  if (unknown.length > 0) throw new CliError(`unknown scope ${unknown.join(', ')}: choose from ${API_SCOPES.join(', ')}`);
  return scopes as ApiScope[];
}

/** A key as the CLI's JSON shows it (times in Unix seconds, like the API); never its hash. */
function keyJson(key: StoredApiKey) {
  const seconds = (at: number | null) => (at === null ? null : Math.floor(at / 1000));
  return {
    key_id: key.keyId,
    merchant_id: key.merchantId,
    mode: key.mode,
    type: key.type,
    scopes: key.scopes ?? ['*'],
    prefix: key.displayPrefix,
    created: seconds(key.createdAt),
    expires: seconds(key.expiresAt),
    revoked: seconds(key.revokedAt),
    rolled_to: key.rolledTo,
    last_used: seconds(key.lastUsedAt),
  };
}

function positiveInt(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new CliError(`${name} must be a positive integer`);
  return parsed;
}
