/**
 * The local runner's KMS emulator, spoken to over KMS's wire protocol by the functions' own
 * client: a sealed secret opens with its own key and exact encryption context only, as on AWS.
 * And that client's SigV4 signature, against AWS's published example.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsClient, KmsError, KmsSecretSealer, signatureV4Headers } from '#adapters/kms-secret-sealer.ts';
import { startKmsEmulator, type RunningKms } from '../../scripts/local/kms-emulator.ts';

let kms: RunningKms;
let client: KmsClient;
let key: { keyId: string; arn: string };
let otherKey: { keyId: string; arn: string };
const binding = { merchantId: 'mer_a', endpointId: 'we_0123456789ABCDEFGHIJklmn' };

beforeAll(async () => {
  kms = await startKmsEmulator('us-east-1', '000000000000');
  key = kms.createKey();
  otherKey = kms.createKey();
  client = new KmsClient({ region: 'us-east-1', endpoint: kms.endpoint, credentials: () => ({ accessKeyId: 'local', secretAccessKey: 'local' }), timeoutMs: 2_000 });
});
afterAll(() => kms.stop());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'opened',
    (error: unknown) => (error instanceof KmsError ? error.code : String(error)),
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
    const { CiphertextBlob, KeyId } = await client.call<{ CiphertextBlob: string; KeyId: string }>('Encrypt', {
      KeyId: key.keyId,
      Plaintext: Buffer.from('hello').toString('base64'),
      EncryptionContext: context,
    });
    expect(KeyId).toBe(key.arn);
    const opened = await client.call<{ Plaintext: string; KeyId: string }>('Decrypt', { CiphertextBlob, EncryptionContext: { b: '2', a: '1' } });
    expect(Buffer.from(opened.Plaintext, 'base64').toString()).toBe('hello');
    expect(opened.KeyId).toBe(key.arn);
    expect(await codeOf(client.call('Decrypt', { CiphertextBlob }))).toBe('InvalidCiphertextException');
    expect(await codeOf(client.call('Decrypt', { CiphertextBlob, EncryptionContext: { a: '1', b: '2', c: '3' } }))).toBe('InvalidCiphertextException');
    const tampered = Buffer.from(CiphertextBlob, 'base64');
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(await codeOf(client.call('Decrypt', { CiphertextBlob: tampered.toString('base64'), EncryptionContext: context }))).toBe('InvalidCiphertextException');
    expect(await codeOf(client.call('Encrypt', { KeyId: 'alias/nope', Plaintext: 'aGk=' }))).toBe('NotFoundException');
    expect(await codeOf(client.call('Encrypt', { KeyId: key.keyId, Plaintext: Buffer.alloc(4097).toString('base64') }))).toBe('ValidationException');
  });

  it('does not open a ciphertext of a key it never made (another run, another account)', async () => {
    const elsewhere = await startKmsEmulator('us-east-1', '000000000000');
    try {
      const foreignKey = elsewhere.createKey();
      const foreign = new KmsClient({ region: 'us-east-1', endpoint: elsewhere.endpoint, credentials: () => ({ accessKeyId: 'local', secretAccessKey: 'local' }), timeoutMs: 2_000 });
      const sealed = await new KmsSecretSealer(foreign, foreignKey.arn).seal('whsec_secret', binding);
      expect(await codeOf(client.call('Decrypt', { CiphertextBlob: sealed, EncryptionContext: { oncepay_merchant: 'mer_a', oncepay_webhook_endpoint: binding.endpointId } }))).toBe(
        'InvalidCiphertextException',
      );
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

describe('the KMS client’s SigV4 signature', () => {
  it('matches AWS’s published get-vanilla example', () => {
    const headers = signatureV4Headers({
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
      body: '',
      region: 'us-east-1',
      service: 'service',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      now: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});
