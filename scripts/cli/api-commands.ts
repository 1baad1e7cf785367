import { Command, Option } from 'commander';
import { Oncepay, OncepayApiError, OncepayError, type ListRequest } from '../../client/index.ts';
import { CliError } from './stack-outputs.ts';

interface ApiCommandsContext {
  out: (line: string) => void;
  /** The stage's API URL (the outputs' `ApiUrl`), asked only when a command runs. */
  apiUrl: () => string;
}

interface ApiOptions {
  apiUrl?: string;
  maxRetries: string;
}

interface CreateOptions {
  idempotencyKey?: string;
  wait?: string;
  metadata?: Record<string, string>;
}

/**
 * `npm run cli -- api …`: oncepay's HTTP API as a merchant calls it, through `oncepay/client`:
 * one Idempotency-Key per command (yours with `--idempotency-key`), its retries, and an error that
 * says when the outcome is unknown and which key finds it out. The merchant's key comes from
 * `ONCEPAY_API_KEY`, never an argument (arguments end up in shell history and `ps`).
 */
export function addApiCommands(program: Command, context: ApiCommandsContext): void {
  const api = program
    .command('api')
    .description("call oncepay's HTTP API as a merchant, with the key in ONCEPAY_API_KEY, through oncepay/client (retries with one Idempotency-Key)")
    .option('--api-url <url>', "the API's URL (default: the stack outputs' ApiUrl)")
    .option('--max-retries <n>', 'retries of a request that may not have arrived or failed on the server', '4');

  const client = (): Oncepay => {
    const options = api.opts<ApiOptions>();
    const apiKey = process.env['ONCEPAY_API_KEY'];
    if (!apiKey) throw new CliError('set ONCEPAY_API_KEY to a merchant’s key (sk_… or rk_…; npm run cli -- keys create makes one)');
    return new Oncepay(apiKey, { baseUrl: options.apiUrl ?? context.apiUrl(), retry: { maxRetries: wholeNumber(options.maxRetries, '--max-retries') } });
  };
  const print = (value: unknown) => context.out(JSON.stringify(value, null, 2));
  /** Runs a call, turning the client's errors into one line that says what to do next. */
  const calling = async (call: () => Promise<unknown>) => {
    try {
      print(await call());
    } catch (error) {
      throw error instanceof OncepayError ? new CliError(errorLine(error)) : error;
    }
  };
  const listing = async (request: ListRequest<unknown>, all: boolean | undefined) => {
    try {
      if (!all) return print(await request);
      // One object per line (JSON Lines), page after page.
      for await (const item of request) context.out(JSON.stringify(item));
    } catch (error) {
      throw error instanceof OncepayError ? new CliError(errorLine(error)) : error;
    }
  };
  const withCreateOptions = (command: Command) =>
    command
      .option('--idempotency-key <key>', 'the key of this request: pass the same one to retry it (default: a new UUID, printed if the outcome is unknown)')
      .option('--metadata <key=value>', 'a metadata entry (repeatable)', metadataEntry)
      .option('--wait <seconds>', 'wait up to this long for the outcome (Prefer: wait), then print the object as it is');
  const listOptions = (command: Command) =>
    command.option('--limit <n>', 'objects per page (1 to 100)').option('--all', 'every object, page after page, one JSON object per line');

  const charges = api.command('charges').description('create, retrieve and list charges');
  withCreateOptions(
    charges
      .command('create')
      .description('charge a card once: prints the charge (202 pending, or its outcome with --wait)')
      .requiredOption('--amount <n>', 'in the currency’s smallest unit')
      .requiredOption('--currency <code>', 'ISO currency code, e.g. usd')
      .requiredOption('--payment-method <id>', 'the processor’s payment method, e.g. pm_card_visa')
      .option('--description <text>'),
  ).action((options: CreateOptions & { amount: string; currency: string; paymentMethod: string; description?: string }) =>
    calling(() =>
      client().charges.create(
        {
          amount: wholeNumber(options.amount, '--amount'),
          currency: options.currency,
          payment_method: options.paymentMethod,
          ...(options.description === undefined ? {} : { description: options.description }),
          ...(options.metadata ? { metadata: options.metadata } : {}),
        },
        createOptions(options),
      ),
    ),
  );
  charges
    .command('retrieve <charge-id>')
    .option('--wait <seconds>', 'wait up to this long for the outcome (Prefer: wait)')
    .action((id: string, options: { wait?: string }) => calling(() => client().charges.retrieve(id, waitOption(options.wait))));
  listOptions(charges.command('list').description('charges, newest first')).action((options: { limit?: string; all?: boolean }) =>
    listing(client().charges.list(limitOption(options.limit)), options.all),
  );

  const refunds = api.command('refunds').description('create, retrieve and list refunds');
  withCreateOptions(
    refunds
      .command('create')
      .description('refund a succeeded charge, all that is left or --amount of it: prints the refund')
      .requiredOption('--charge <charge-id>')
      .option('--amount <n>', 'in the smallest unit (default: all that is left)')
      .addOption(new Option('--reason <reason>').choices(['duplicate', 'fraudulent', 'requested_by_customer'])),
  ).action((options: CreateOptions & { charge: string; amount?: string; reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer' }) =>
    calling(() =>
      client().refunds.create(
        {
          charge: options.charge,
          ...(options.amount === undefined ? {} : { amount: wholeNumber(options.amount, '--amount') }),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.metadata ? { metadata: options.metadata } : {}),
        },
        createOptions(options),
      ),
    ),
  );
  refunds
    .command('retrieve <refund-id>')
    .option('--wait <seconds>', 'wait up to this long for the outcome (Prefer: wait)')
    .action((id: string, options: { wait?: string }) => calling(() => client().refunds.retrieve(id, waitOption(options.wait))));
  listOptions(refunds.command('list').description('refunds, newest first').option('--charge <charge-id>', "only this charge's")).action(
    (options: { limit?: string; all?: boolean; charge?: string }) => listing(client().refunds.list({ ...limitOption(options.limit), charge: options.charge }), options.all),
  );

  const events = api.command('events').description('retrieve and list the events sent to webhooks');
  events.command('retrieve <event-id>').action((id: string) => calling(() => client().events.retrieve(id)));
  listOptions(events.command('list').description('events, newest first').option('--type <type>', 'only events of this type')).action(
    (options: { limit?: string; all?: boolean; type?: string }) => listing(client().events.list({ ...limitOption(options.limit), type: options.type }), options.all),
  );

  const disputes = api.command('disputes').description('retrieve and list disputes');
  disputes.command('retrieve <dispute-id>').action((id: string) => calling(() => client().disputes.retrieve(id)));
  listOptions(disputes.command('list').description('disputes, newest first')).action((options: { limit?: string; all?: boolean }) =>
    listing(client().disputes.list(limitOption(options.limit)), options.all),
  );
}

/** The client's error as one line: the problem and its fields, and, when the outcome is unknown, the key to retry with. */
export function errorLine(error: OncepayError): string {
  let line = error.message;
  if (error instanceof OncepayApiError) {
    line = `${error.status} ${error.code}: ${error.detail}`;
    const fields = error.fieldErrors.map((field) => `${field.field} ${field.message}`);
    if (error.differingFields.length > 0) fields.push(`differing fields: ${error.differingFields.join(', ')}`);
    if (error.missingScope) fields.push(`missing scope: ${error.missingScope}`);
    if (error.acceptedMode) fields.push(`the stage takes ${error.acceptedMode} keys`);
    if (fields.length > 0) line += ` (${fields.join('; ')})`;
  }
  if (error.outcomeUnknown && error.idempotencyKey) line += `; the outcome is unknown: run the same command again with --idempotency-key ${error.idempotencyKey}`;
  return line.replace(/\s*\n\s*/g, ' ');
}

function createOptions(options: CreateOptions) {
  return { ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }), ...waitForOutcomeOption(options.wait) };
}

function waitForOutcomeOption(wait: string | undefined) {
  return wait === undefined ? {} : { waitForOutcome: wholeNumber(wait, '--wait') };
}

function waitOption(wait: string | undefined) {
  return wait === undefined ? {} : { wait: wholeNumber(wait, '--wait') };
}

function limitOption(limit: string | undefined) {
  return limit === undefined ? {} : { limit: wholeNumber(limit, '--limit') };
}

function metadataEntry(entry: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = entry.indexOf('=');
  if (at <= 0) throw new CliError(`--metadata takes key=value, got "${entry}"`);
  return { ...previous, [entry.slice(0, at)]: entry.slice(at + 1) };
}

/** A whole number ≥ 0; the API judges its range (an amount of 0 gets its own validation error). */
function wholeNumber(value: string, name: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) throw new CliError(`${name} must be a whole number, got "${value}"`);
  return parsed;
}
