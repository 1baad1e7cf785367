import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { verifySignature } from '../../scripts/webhook-receiver.ts';
import { apiClient, targetSqsClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';

const run = promisify(execFile);

/** Runs the real CLI, as `npm run cli -- …` does, against the test stack's outputs file. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithOutputs(inject('outputsFile'), ...args);
}

async function cliWithOutputs(outputsFile: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithEnvironment(outputsFile, {}, ...args);
}

/** The CLI's API commands, as a merchant with this key runs them. */
async function apiCli(apiKey: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithEnvironment(inject('outputsFile'), { ONCEPAY_API_KEY: apiKey }, 'api', ...args);
}

async function cliWithEnvironment(outputsFile: string, environment: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'scripts/cli.ts', '--outputs', outputsFile, ...args],
      { env: { ...process.env, MERCHANTS_TABLE_NAME: '', ONCEPAY_API_KEY: '', ...environment } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

interface CreatedKey {
  key_id: string;
  secret_key: string;
  merchant_id: string;
  mode: string;
  type: string;
  scopes: string[];
}

const visa = { amount: 100, currency: 'usd', payment_method: 'pm_card_visa' };

async function newMerchant(name: string): Promise<{ merchant_id: string; key_id: string; secret_key: string }> {
  const created = await cli('merchants', 'create', '--name', name, '--json');
  expect(created.code).toBe(0);
  return JSON.parse(created.stdout) as { merchant_id: string; key_id: string; secret_key: string };
}

async function createKey(...args: string[]): Promise<CreatedKey> {
  const created = await cli('keys', 'create', ...args, '--json');
  expect(created).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(created.stdout) as CreatedKey;
}

/** Seconds from now until `apiKey` is refused with a 401 (polled every second, at most 90 s). */
async function secondsUntilRefused(apiKey: string): Promise<number> {
  const started = Date.now();
  await eventually(
    () => apiClient(apiKey).getCharge('ch_0000000000000000000000'),
    (result) => result.status === 401,
    { timeoutMs: 90_000, intervalMs: 1000, what: 'the key to be refused' },
  );
  return (Date.now() - started) / 1000;
}

describe('the CLI', () => {
  it('creates a merchant whose key works once and stops working when revoked', async () => {
    const created = await cli('merchants', 'create', '--name', 'Initech', '--json');
    expect(created.code).toBe(0);
    const merchant = JSON.parse(created.stdout) as { merchant_id: string; key_id: string; secret_key: string };
    expect(merchant.secret_key).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(merchant.key_id).toMatch(/^key_[0-9a-f]{20}$/);

    const listed = await cli('merchants', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ merchant_id: merchant.merchant_id, name: 'Initech' })]),
    );

    const initech = apiClient(merchant.secret_key);
    const charge = await initech.createCharge({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa' });
    expect(charge.status).toBe(202);

    const revoked = await cli('keys', 'revoke', merchant.key_id);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked ${merchant.key_id}\n` });
  });

  it('prints a key only once, in plain text by default', async () => {
    const created = await cli('merchants', 'create', '--name', 'Hooli');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created merchant Hooli \(mer_\w+\)\nSecret key \(shown once, store it now\): sk_test_\w+\nKey id \(to revoke it\): key_[0-9a-f]{20}\n$/);
  });

  it.each([
    [['keys', 'revoke', 'key_00000000000000000000'], 'error: No such key: key_00000000000000000000'],
    [['keys', 'revoke', 'nonsense'], 'error: Not a key id: nonsense (expected key_ and 20 hex digits)'],
    [['merchants', 'create', '--name', 'x', '--mode', 'prod'], 'error: --mode must be test or live'],
    [['keys', 'roll', 'key_00000000000000000000', '--expire-in', '1h'], 'error: No such key: key_00000000000000000000'],
    [['keys', 'roll', 'key_00000000000000000000', '--expire-in', '8d'], 'error: --expire-in must be now or a duration such as 30m, 24h or 7d, at most 7 days: 8d'],
    [['keys', 'create', '--merchant', 'mer_nobody'], 'error: No such merchant: mer_nobody'],
    [['keys', 'create', '--merchant', 'mer_acme', '--restricted'], 'error: a restricted key needs --scope, one or more of: charges:read, charges:write, refunds:read, refunds:write, disputes:read, webhooks:read, webhooks:write'],
    [['keys', 'create', '--merchant', 'mer_acme', '--restricted', '--scope', 'charges:delete'], 'error: unknown scope charges:delete: choose from charges:read, charges:write, refunds:read, refunds:write, disputes:read, webhooks:read, webhooks:write'],
    [['keys', 'create', '--merchant', 'mer_acme', '--scope', 'charges:read'], 'error: --scope is for restricted keys: add --restricted'],
    [['keys', 'list', '--merchant', 'mer_nobody'], 'error: No such merchant: mer_nobody'],
  ])('fails with one clear line and a non-zero code: %j', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(message);
  });

  it('says what to do when it has no stack to talk to', async () => {
    const { stderr, code } = await cliWithOutputs('/nonexistent.json', 'merchants', 'list');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'error: Stack outputs file /nonexistent.json is not found: start the local stack (npm start) or pass --outputs <file>',
    );
  });

  it('rejects an unknown command with a non-zero code', async () => {
    const result = await cli('charges', 'refund');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown command 'charges'");
  });
});

describe('API keys: revocation, restricted scopes, rolls and the stage\'s mode', () => {
  // Each waits out the warm functions' key cache; they run side by side.
  it.concurrent('a revoked key that warm functions have cached is refused within 60 seconds', async () => {
    const merchant = await newMerchant('Umbrella');
    const umbrella = apiClient(merchant.secret_key);
    expect((await umbrella.createCharge(visa)).status).toBe(202);
    expect((await umbrella.getCharge('ch_0000000000000000000000')).status).toBe(404);
    expect(await cli('keys', 'revoke', merchant.key_id)).toMatchObject({ code: 0, stdout: `Revoked ${merchant.key_id}\n` });
    expect(await secondsUntilRefused(merchant.secret_key)).toBeLessThan(60);
  }, 120_000);

  it.concurrent('a rolled key keeps working for its overlap, then is refused; its successor keeps the merchant, mode and scopes', async () => {
    const merchant = await newMerchant('Soylent');
    const restricted = await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'charges:read');
    expect((await apiClient(restricted.secret_key).getCharge('ch_0000000000000000000000')).status).toBe(404);

    const rolled = await cli('keys', 'roll', restricted.key_id, '--expire-in', '10s', '--json');
    expect(rolled).toMatchObject({ code: 0, stderr: '' });
    const successor = JSON.parse(rolled.stdout) as CreatedKey & { rolled_from: string; rolled_from_expires: number };
    expect(successor).toMatchObject({
      merchant_id: merchant.merchant_id,
      mode: 'test',
      type: 'restricted',
      scopes: ['charges:read'],
      rolled_from: restricted.key_id,
    });
    expect(successor.secret_key).toMatch(/^rk_test_[0-9A-Za-z]{32}$/);
    const rolledAt = Date.now();
    // The overlap: both keys work.
    expect((await apiClient(restricted.secret_key).getCharge('ch_0000000000000000000000')).status).toBe(404);
    expect((await apiClient(successor.secret_key).getCharge('ch_0000000000000000000000')).status).toBe(404);
    expect((await apiClient(successor.secret_key).createCharge(visa)).status).toBe(403);

    await secondsUntilRefused(restricted.secret_key);
    const refusedAfterMs = Date.now() - rolledAt;
    expect(refusedAfterMs).toBeGreaterThanOrEqual(9_000);
    expect(refusedAfterMs).toBeLessThan(60_000);
    expect((await apiClient(successor.secret_key).getCharge('ch_0000000000000000000000')).status).toBe(404);

    const again = await cli('keys', 'roll', restricted.key_id, '--expire-in', '1h');
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`error: ${restricted.key_id} was already rolled to ${successor.key_id}; roll that key instead`);

    const listed = await cli('keys', 'list', '--merchant', merchant.merchant_id, '--json');
    const keys = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(keys.map((key) => key['key_id'])).toEqual([merchant.key_id, restricted.key_id, successor.key_id]);
    expect(keys[1]).toMatchObject({ rolled_to: successor.key_id, expires: successor.rolled_from_expires, revoked: null, scopes: ['charges:read'] });
    expect(keys[0]).toMatchObject({ type: 'secret', scopes: ['*'], expires: null, last_used: null });
    expect(keys[2]).toMatchObject({ type: 'restricted', last_used: expect.any(Number) });
    expect(JSON.stringify(keys)).not.toContain(successor.secret_key);
  }, 120_000);
});

describe('restricted keys and the mode rule, through the API', () => {
  it('a restricted key reads but may not create: 403 problem naming the missing scope', async () => {
    const merchant = await newMerchant('Cyberdyne');
    const writer = apiClient(merchant.secret_key);
    const charge = await writer.createCharge(visa);
    expect(charge.status).toBe(202);
    const readOnly = await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'charges:read');
    expect(readOnly).toMatchObject({ merchant_id: merchant.merchant_id, mode: 'test', type: 'restricted', scopes: ['charges:read'] });
    const reader = apiClient(readOnly.secret_key);
    expect((await reader.getCharge(String(charge.json['id']))).status).toBe(200);
    const refused = await reader.createCharge(visa);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ type: 'https://oncepay.dev/problems/forbidden', missing_scope: 'charges:write' });
  });

  it('a restricted key without refunds:write may read refunds but not create one; with it, it may', async () => {
    const merchant = await newMerchant('Initech');
    const owner = apiClient(merchant.secret_key);
    const charge = String((await owner.createCharge(visa)).json['id']);
    await owner.awaitFinal(charge);
    const reader = apiClient((await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'refunds:read')).secret_key);
    const refused = await reader.createRefund({ charge });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ type: 'https://oncepay.dev/problems/forbidden', missing_scope: 'refunds:write' });
    expect((await reader.list('refunds', { charge })).status).toBe(200);
    expect((await reader.list('charges')).json).toMatchObject({ missing_scope: 'charges:read' });
    const refunder = apiClient((await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'refunds:write')).secret_key);
    expect((await refunder.createRefund({ charge, amount: 40 })).status).toBe(202);
  });

  it('a restricted key without webhooks:write may list webhook endpoints but not register one', async () => {
    const merchant = await newMerchant('Hooli');
    const reader = apiClient((await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'webhooks:read')).secret_key);
    const refused = await reader.createWebhookEndpoint({ url: 'http://127.0.0.1:9/hook', enabled_events: ['*'] });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ type: 'https://oncepay.dev/problems/forbidden', missing_scope: 'webhooks:write' });
    expect((await reader.listWebhookEndpoints()).json).toMatchObject({ object: 'list', data: [] });
  });

  it('makes keys of the stage’s mode unless told otherwise: live against a live stage’s outputs', async () => {
    const merchant = await newMerchant('Initech');
    expect((await createKey('--merchant', merchant.merchant_id)).secret_key).toMatch(/^sk_test_/);
    const outputs = JSON.parse(readFileSync(inject('outputsFile'), 'utf8')) as Record<string, string>;
    const directory = mkdtempSync(join(tmpdir(), 'oncepay-outputs-'));
    const liveOutputs = join(directory, 'live.json');
    writeFileSync(liveOutputs, JSON.stringify({ ...outputs, KeyMode: 'live' }));
    const live = await cliWithOutputs(liveOutputs, 'keys', 'create', '--merchant', merchant.merchant_id, '--json');
    expect(live.code).toBe(0);
    expect((JSON.parse(live.stdout) as { secret_key: string }).secret_key).toMatch(/^sk_live_/);
    const unknown = join(directory, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ ...outputs, KeyMode: undefined }));
    const refused = await cliWithOutputs(unknown, 'keys', 'create', '--merchant', merchant.merchant_id);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('pass --mode test or --mode live') });
  });

  it('a test-mode stage refuses a live key with a 401 naming the mode it takes (the CLI warns when making it)', async () => {
    const merchant = await newMerchant('Tyrell');
    const made = await cli('keys', 'create', '--merchant', merchant.merchant_id, '--mode', 'live', '--json');
    expect(made.stderr).toContain('warning: this stage accepts test keys only; the API will refuse this live key (401)');
    const live = JSON.parse(made.stdout) as { secret_key: string };
    expect(live.secret_key).toMatch(/^sk_live_/);
    const refused = await apiClient(live.secret_key).createCharge(visa);
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({
      type: 'https://oncepay.dev/problems/unauthorized',
      accepted_mode: 'test',
      detail: 'This stage takes test keys only (sk_test_… or rk_test_…); a live key was sent.',
    });
  });

  it('keys list shows when a key was last used, to the hour (it is recorded at most hourly)', async () => {
    const merchant = await newMerchant('Wonka');
    expect((await apiClient(merchant.secret_key).getCharge('ch_0000000000000000000000')).status).toBe(404);
    const listed = await cli('keys', 'list', '--merchant', merchant.merchant_id);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.trim().split('\n');
    expect(header).toBe('key id\tprefix\tmode\tscopes\tcreated\texpires\trevoked\tlast used');
    expect(row?.split('\t')).toEqual([merchant.key_id, `${merchant.secret_key.slice(0, 12)}…`, 'test', '*', expect.any(String), '-', '-', expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}h$/)]);
  });
});

describe('the API as a merchant calls it (npm run cli -- api …, through oncepay/client)', () => {
  it('charges, waits for the outcome, replays under the same key, refunds part, and lists', async () => {
    const merchant = await newMerchant('Vandelay');
    const created = await apiCli(merchant.secret_key, 'charges', 'create', '--amount', '1500', '--currency', 'usd', '--payment-method', 'pm_card_visa', '--metadata', 'order=42', '--idempotency-key', 'order-42', '--wait', '20');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const charge = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(charge).toMatchObject({ object: 'charge', status: 'succeeded', amount: 1500, metadata: { order: '42' } });

    // The same key again is the same charge, not a second one.
    const again = await apiCli(merchant.secret_key, 'charges', 'create', '--amount', '1500', '--currency', 'usd', '--payment-method', 'pm_card_visa', '--metadata', 'order=42', '--idempotency-key', 'order-42');
    expect(JSON.parse(again.stdout)).toMatchObject({ id: charge['id'] });

    const refund = await apiCli(merchant.secret_key, 'refunds', 'create', '--charge', String(charge['id']), '--amount', '500', '--reason', 'requested_by_customer', '--wait', '20');
    expect(refund).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(refund.stdout)).toMatchObject({ object: 'refund', charge: charge['id'], amount: 500, status: 'succeeded' });

    const retrieved = await apiCli(merchant.secret_key, 'charges', 'retrieve', String(charge['id']));
    expect(JSON.parse(retrieved.stdout)).toMatchObject({ id: charge['id'], amount_refunded: 500 });
    const page = await apiCli(merchant.secret_key, 'charges', 'list', '--limit', '1');
    expect(JSON.parse(page.stdout)).toMatchObject({ object: 'list', data: [{ id: charge['id'] }] });
    const all = await apiCli(merchant.secret_key, 'refunds', 'list', '--charge', String(charge['id']), '--all');
    expect(all.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).toEqual([JSON.parse(refund.stdout).id]);
  });

  it.each([
    [['charges', 'create', '--amount', 'ten', '--currency', 'usd', '--payment-method', 'pm_card_visa'], /^error: --amount must be a whole number, got "ten"$/],
    [['charges', 'create', '--amount', '10', '--currency', 'usd', '--payment-method', 'pm_card_visa'], /^error: 400 validation-error: .+ \(amount must be between 50 and 99999999 for usd\)$/],
    [['charges', 'create', '--amount', '100', '--currency', 'usd', '--payment-method', 'pm_card_visa', '--metadata', 'nokey'], /^error: --metadata takes key=value, got "nokey"$/],
    [['charges', 'retrieve', 'ch_0000000000000000000000'], /^error: 404 not-found: .+$/],
    [['refunds', 'create', '--charge', 'ch_0000000000000000000000', '--reason', 'bored'], /^error: option '--reason <reason>' argument 'bored' is invalid\. Allowed choices are duplicate, fraudulent, requested_by_customer\.$/],
  ])('fails with one clear line: %j', async (args, message) => {
    const merchant = await newMerchant('Kramerica');
    const result = await apiCli(merchant.secret_key, ...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('names the key to retry with when the outcome is unknown, and asks for a key when there is none', async () => {
    const merchant = await newMerchant('Pendant');
    const unreachable = await apiCli(merchant.secret_key, '--api-url', 'http://127.0.0.1:9', '--max-retries', '0', 'charges', 'create', '--amount', '100', '--currency', 'usd', '--payment-method', 'pm_card_visa', '--idempotency-key', 'order-7');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toMatch(/^error: No answer from oncepay: .+; the outcome is unknown: run the same command again with --idempotency-key order-7$/);

    const keyless = await apiCli('', 'charges', 'list');
    expect(keyless.code).toBe(1);
    expect(keyless.stderr.trim()).toBe('error: set ONCEPAY_API_KEY to a merchant’s key (sk_… or rk_…; npm run cli -- keys create makes one)');
  });
});

describe('refunds list', () => {
  it('shows a charge’s refunds (under a header row) and what is left, as text and as JSON; a bad charge id is a one-line error', async () => {
    const merchant = await newMerchant('Soylent');
    const client = apiClient(merchant.secret_key);
    const charge = String((await client.createCharge(visa)).json['id']);
    await client.awaitFinal(charge);
    const refund = String((await client.createRefund({ charge, amount: 30, reason: 'duplicate' })).json['id']);
    await client.awaitRefundFinal(refund);

    const text = await cli('refunds', 'list', '--charge', charge);
    expect(text.code).toBe(0);
    const [summary, header, row] = text.stdout.trim().split('\n');
    expect(summary).toBe(`${charge}\tsucceeded\t100 usd\trefunded 30\tleft 70`);
    expect(header).toBe('refund id\tstatus\tamount\treason\tcreated\tfailure reason');
    expect(row?.split('\t').slice(0, 4)).toEqual([refund, 'succeeded', '30 usd', 'duplicate']);

    const json = await cli('refunds', 'list', '--charge', charge, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ charge, amount_refunded: 30, left: 70, refunds: [{ id: refund, object: 'refund', amount: 30 }] });

    const bad = await cli('refunds', 'list', '--charge', 'ch_nope');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe('error: Not a charge id: ch_nope');
  });
});

describe('events resend', () => {
  it('delivers an event again, with the same id and bytes, to the merchant’s endpoint; errors are one line', async () => {
    const merchant = await newMerchant('Vandelay');
    const client = apiClient(merchant.secret_key);
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = await client.createWebhookEndpoint({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, enabled_events: ['charge.succeeded'] });
      const endpointId = String(endpoint.json['id']);
      await client.createCharge(visa);
      await eventually(async () => bodies.length, (count) => count === 1, { timeoutMs: 15_000, what: 'the first delivery' });
      const eventId = String((JSON.parse(bodies[0] ?? '{}') as { id: string }).id);

      const resent = await cli('events', 'resend', eventId);
      expect(resent.stdout.trim()).toBe(`Queued 1 delivery of ${eventId} (charge.succeeded): ${endpointId}.`);
      await eventually(async () => bodies.length, (count) => count === 2, { timeoutMs: 15_000, what: 'the resent delivery' });
      expect(bodies[1]).toBe(bodies[0]);
      expect((await cli('events', 'resend', eventId, '--endpoint', endpointId)).code).toBe(0);

      const unknown = await cli('events', 'resend', 'evt_0000000000000000000000');
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr.trim()).toBe('error: No event evt_0000000000000000000000 (events are kept 30 days)');
      expect((await cli('events', 'resend', 'nope')).stderr.trim()).toBe('error: Not an event id: nope');
      await client.deleteWebhookEndpoint(endpointId);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('webhooks seal-secrets', () => {
  it('seals a secret stored in the clear before secrets were sealed; its deliveries wait for it, then verify with the same secret', async () => {
    const merchant = await newMerchant('Kramerica');
    const client = apiClient(merchant.secret_key);
    const deliveries: Array<{ body: string; signature: string }> = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        deliveries.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(request.headers['oncepay-signature']) });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dynamodb = new DynamoDBClient({ region: inject('region'), endpoint: inject('endpoints').dynamodb, credentials: inject('credentials') });
    try {
      const endpoint = await client.createWebhookEndpoint({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, enabled_events: ['charge.succeeded'] });
      const endpointId = String(endpoint.json['id']);
      // The endpoint as a release before sealing stored it: its secret in the clear.
      const clear = 'whsec_stored_in_the_clear_before_sealing';
      const key = { pk: { S: `ENDPOINT#${endpointId}` } };
      const table = inject('outputs')['WebhooksTableName'];
      await dynamodb.send(new UpdateItemCommand({ TableName: table, Key: key, UpdateExpression: 'SET secret = :clear REMOVE sealed_secret', ExpressionAttributeValues: { ':clear': { S: clear } } }));
      await client.createCharge(visa);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(deliveries).toEqual([]);

      const sealed = await cli('webhooks', 'seal-secrets');
      expect(sealed.stdout.trim()).toMatch(/^Sealed the signing secrets of [1-9]\d* webhook endpoints?; none is left in the clear\.$/);
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
      expect(Item?.['secret']).toBeUndefined();
      expect(JSON.stringify(Item)).not.toContain(clear);
      expect(Item?.['sealed_secret']?.S).toEqual(expect.any(String));
      expect((await cli('webhooks', 'seal-secrets')).stdout.trim()).toBe('Sealed the signing secrets of 0 webhook endpoints; none is left in the clear.');

      // The held delivery comes back after its visibility timeout and is signed with the same secret.
      await eventually(async () => deliveries.length, (count) => count >= 1, { timeoutMs: 45_000, what: 'the held delivery' });
      expect(await verifySignature(deliveries[0]?.signature, deliveries[0]?.body ?? '', clear)).toBe(true);
      await client.deleteWebhookEndpoint(endpointId);
    } finally {
      dynamodb.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});

describe('events replay-failed', () => {
  it('publishes the events of a batch the events function gave up on, from the items as they are now: the same event id again', async () => {
    const merchant = await newMerchant('Kramerica');
    const client = apiClient(merchant.secret_key);
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = await client.createWebhookEndpoint({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, enabled_events: ['charge.succeeded'] });
      const chargeId = String((await client.createCharge(visa)).json['id']);
      await eventually(async () => bodies.length, (count) => count === 1, { timeoutMs: 15_000, what: 'the first delivery' });
      // What Lambda's on-failure destination gets: where the batch was in the stream, never what it held.
      const record = await streamRecordOf(`CHARGE#${chargeId}`);
      const failure = { version: '1.0', DDBStreamBatchInfo: { shardId: record.shardId, startSequenceNumber: record.sequenceNumber, endSequenceNumber: record.sequenceNumber, batchSize: 1, streamArn: record.streamArn } };
      const sqs = targetSqsClient();
      await sqs.send(new SendMessageCommand({ QueueUrl: inject('outputs')['EventsFailureQueueUrl'], MessageBody: JSON.stringify(failure) }));

      const replayed = await cli('events', 'replay-failed');
      expect(replayed).toMatchObject({ code: 0, stdout: 'Replayed 1 failed batch: 1 items, 1 events published.\n' });
      await eventually(async () => bodies.length, (count) => count === 2, { timeoutMs: 15_000, what: 'the replayed delivery' });
      expect(bodies[1]).toBe(bodies[0]);
      expect((await cli('events', 'replay-failed')).stdout).toBe('Replayed 0 failed batches: 0 items, 0 events published.\n');
      await client.deleteWebhookEndpoint(String(endpoint.json['id']));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** The charges table's stream record of `pk`'s first change in DynamoDB Local, as a failure record names it. */
async function streamRecordOf(pk: string): Promise<{ streamArn: string; shardId: string; sequenceNumber: string }> {
  const streams = new DynamoDBStreamsClient({ region: inject('region'), endpoint: inject('endpoints').dynamodb, credentials: inject('credentials') });
  const { Streams = [] } = await streams.send(new ListStreamsCommand({ TableName: inject('outputs')['ChargesTableName'] }));
  const streamArn = String(Streams[0]?.StreamArn);
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    for (let empty = 0; iterator && empty < 3; ) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const found = (page.Records ?? []).find((candidate) => candidate.dynamodb?.Keys?.['pk']?.S === pk);
      if (found) return { streamArn, shardId: String(shard.ShardId), sequenceNumber: String(found.dynamodb?.SequenceNumber) };
      empty = (page.Records ?? []).length === 0 ? empty + 1 : 0;
      iterator = page.NextShardIterator;
    }
  }
  throw new Error(`No stream record of ${pk}`);
}

describe('review and the processor webhook', () => {
  it('review list prints a header row (or says nothing waits), and review settle takes refunds too: one-line refusals', async () => {
    const listed = await cli('review', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^(ID\tKIND\tSTATUS\tAMOUNT\tPROCESSOR ID\tFLAGGED\tREASON|Nothing waits for review\.)$/);
    const unknown = await cli('review', 'settle', 're_0000000000000000000000', '--as', 'failed');
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'error: refused: No refund re_0000000000000000000000.']);
    expect((await cli('review', 'settle', 'du_0000000000000000000000', '--as', 'failed')).stderr.trim()).toBe('error: Not a charge or refund id: du_0000000000000000000000');
  });

  it('processor-webhook says which URL and event types to register at Stripe, and where the signing secret goes', async () => {
    const answer = await cli('processor-webhook');
    expect(answer.code).toBe(0);
    expect(answer.stdout).toContain(`URL:    ${inject('outputs')['ProcessorWebhookUrl']}`);
    expect(answer.stdout).toContain('charge.dispute.closed');
    expect(answer.stdout).toContain(`--secret-id ${inject('outputs')['ProcessorWebhookSecretName']}`);
  });

  it('a restricted key needs disputes:read to read disputes', async () => {
    const merchant = await newMerchant('Sirius');
    const chargesOnly = apiClient((await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'charges:read')).secret_key);
    expect((await chargesOnly.list('disputes')).json).toMatchObject({ type: 'https://oncepay.dev/problems/forbidden', missing_scope: 'disputes:read' });
    const disputesReader = apiClient((await createKey('--merchant', merchant.merchant_id, '--restricted', '--scope', 'disputes:read')).secret_key);
    expect((await disputesReader.list('disputes')).json).toEqual({ object: 'list', data: [], has_more: false, url: '/v1/disputes' });
  });
});
