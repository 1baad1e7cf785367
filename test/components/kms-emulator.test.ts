/**
 * The local runner's KMS emulator, spoken to over KMS's wire protocol by the functions' own
 * client (`@aws-sdk/client-kms`): a sealed secret opens with its own key and exact encryption
 * context only, as on AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretSealer } from '#adapters/kms-secret-sealer.ts';
import { startKmsEmulator, type RunningKms } from '../../scripts/local/kms-emulator.ts';

let kms: RunningKms;
let client: KMSClient;
let key: { keyId: string; arn: string };
let otherKey: { keyId: string; arn: string };
const binding = { merchantId: 'mer_a', endpointId: 'we_0123456789ABCDEFGHIJklmn' };

beforeAll(async () => {
  kms = await startKmsEmulator('us-east-1', '000000000000');
  key = kms.createKey();
  otherKey = kms.createKey();
  client = clientOf(kms.endpoint);
});
afterAll(async () => {
  client.destroy();
  await kms.stop();
});

function clientOf(endpoint: string): KMSClient {
  return new KMSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'opened',
    (error: unknown) => (error instanceof Error ? error.name : String(error)),
  );

describe('the KMS emulator', () => {
  it('seals a secret that only its key and binding open, and never holds it in the clear', async () => {
    const sealer = new KmsSecretSealer(client, key.arn);
    const sealed = await sealer.seal('whsec_secret', binding);
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('whsec_secret');
    expect(await sealer.unseal(sealed, binding)).toBe('whsec_secret');
    // Copied to another endpoint, or another merchant's: does not open.
    expect(await codeOf(new KmsSecretSealer(client, key.arn).unseal(sealed, { ...binding, endpointId: 'we_ZZZZZZZZZZZZZZZZZZZZZZZZ' }))).toBe('InvalidCiphertextException');
    expect(await codeOf(new KmsSecretSealer(client, key.arn).unseal(sealed, { ...binding, merchantId: 'mer_b' }))).toBe('InvalidCiphertextException');
    // Pinned to another key: refused as KMS refuses it.
    expect(await codeOf(new KmsSecretSealer(client, otherKey.arn).unseal(sealed, binding))).toBe('IncorrectKeyException');
  });

  it('speaks KMS JSON 1.1: the key by id or ARN, the context in any order, errors as KMS names them', async () => {
    const context = { a: '1', b: '2' };
    const { CiphertextBlob, KeyId } = await client.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('hello'), EncryptionContext: context }));
    expect(KeyId).toBe(key.arn);
    const opened = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { b: '2', a: '1' } }));
    expect(Buffer.from(opened.Plaintext ?? []).toString()).toBe('hello');
    expect(opened.KeyId).toBe(key.arn);
    expect(await codeOf(client.send(new DecryptCommand({ CiphertextBlob })))).toBe('InvalidCiphertextException');
    expect(await codeOf(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '1', b: '2', c: '3' } })))).toBe('InvalidCiphertextException');
    const tampered = Buffer.from(CiphertextBlob ?? []);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(await codeOf(client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })))).toBe('InvalidCiphertextException');
    expect(await codeOf(client.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: Buffer.from('hi') })))).toBe('NotFoundException');
    expect(await codeOf(client.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.alloc(4097) })))).toBe('ValidationException');
  });

  it('does not open a ciphertext of a key it never made (another run, another account)', async () => {
    const elsewhere = await startKmsEmulator('us-east-1', '000000000000');
    try {
      const foreignKey = elsewhere.createKey();
      const foreign = clientOf(elsewhere.endpoint);
      const sealed = await new KmsSecretSealer(foreign, foreignKey.arn).seal('whsec_secret', binding);
      foreign.destroy();
      const context = { oncepay_merchant: 'mer_a', oncepay_webhook_endpoint: binding.endpointId };
      expect(await codeOf(client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: context })))).toBe('InvalidCiphertextException');
    } finally {
      await elsewhere.stop();
    }
  });

  it('answers another operation as KMS answers an unknown one', async () => {
    const answer = await fetch(kms.endpoint, { method: 'POST', headers: { 'X-Amz-Target': 'TrentService.GenerateDataKey', 'Content-Type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
