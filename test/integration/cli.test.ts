import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { apiClient } from '../support/api-client.ts';

const run = promisify(execFile);

/** Runs the real CLI, as `npm run cli -- …` does, against the test stack's outputs file. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithOutputs(inject('outputsFile'), ...args);
}

async function cliWithOutputs(outputsFile: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'scripts/cli.ts', '--outputs', outputsFile, ...args],
      { env: { ...process.env, MERCHANTS_TABLE_NAME: '' } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
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

  it('revokes a key: API Gateway refuses it once no cached authorization remains', async () => {
    const merchant = JSON.parse((await cli('merchants', 'create', '--name', 'Umbrella', '--json')).stdout) as {
      key_id: string;
      secret_key: string;
    };
    expect((await cli('keys', 'revoke', merchant.key_id)).code).toBe(0);
    const refused = await apiClient(merchant.secret_key).createCharge({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa' });
    expect(refused.status).toBe(401);
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
