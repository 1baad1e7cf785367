import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { AwsJsonFault, startJsonProtocolServer } from './json-protocol-server.ts';

export interface RunningKms {
  endpoint: string;
  /** A new symmetric key, as `AWS::KMS::Key` makes one: its id and ARN. */
  createKey(): { keyId: string; arn: string };
  stop(): Promise<void>;
}

/** KMS's limit on `Encrypt`'s plaintext. */
const MAX_PLAINTEXT_BYTES = 4096;
const BLOB_VERSION = 1;
const KEY_ID_LENGTH = 36;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** The encryption context as authenticated data: its pairs sorted, so the order they were sent in does not matter (as in KMS). */
function contextBytes(context: unknown): Buffer {
  if (context === undefined || context === null) return Buffer.alloc(0);
  if (typeof context !== 'object' || Array.isArray(context) || Object.values(context).some((value) => typeof value !== 'string')) {
    throw new AwsJsonFault('ValidationException', 'EncryptionContext must be a map of strings');
  }
  return Buffer.from(JSON.stringify(Object.entries(context as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/**
 * The two KMS calls oncepay makes, `Encrypt` and `Decrypt`, over KMS's JSON 1.1 protocol
 * (`X-Amz-Target: TrentService.*`, base64 blobs), as strict as KMS where it matters: a
 * ciphertext opens only with its own key and the exact encryption context it was sealed under
 * (anything else is `InvalidCiphertextException`), a `KeyId` on `Decrypt` that is not the
 * ciphertext's key is `IncorrectKeyException`, an unknown key is `NotFoundException`. Each
 * key's material is random and lives only in this process: a ciphertext from another run (or
 * another account's key) does not open. Blobs are AES-256-GCM, the key id in the clear ahead.
 */
export async function startKmsEmulator(region: string, accountId: string): Promise<RunningKms> {
  const keys = new Map<string, Buffer>();
  const arnOf = (keyId: string) => `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  const keyIdOf = (given: unknown): string => {
    const text = typeof given === 'string' ? given : '';
    const keyId = text.startsWith(`arn:aws:kms:${region}:${accountId}:key/`) ? text.slice(text.lastIndexOf('/') + 1) : text;
    if (!keys.has(keyId)) throw new AwsJsonFault('NotFoundException', `Key '${text}' does not exist`);
    return keyId;
  };
  const base64 = (given: unknown, name: string): Buffer => {
    if (typeof given !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(given) || given.length === 0) {
      throw new AwsJsonFault('ValidationException', `${name} must be a non-empty base64 blob`);
    }
    return Buffer.from(given, 'base64');
  };

  const encrypt = (input: Record<string, unknown>) => {
    const keyId = keyIdOf(input['KeyId']);
    const plaintext = base64(input['Plaintext'], 'Plaintext');
    if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new AwsJsonFault('ValidationException', `Plaintext must be at most ${MAX_PLAINTEXT_BYTES} bytes`);
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', keys.get(keyId) as Buffer, iv);
    cipher.setAAD(contextBytes(input['EncryptionContext']));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([Buffer.from([BLOB_VERSION]), Buffer.from(keyId, 'ascii'), iv, cipher.getAuthTag(), sealed]);
    return { CiphertextBlob: blob.toString('base64'), KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  };

  const decrypt = (input: Record<string, unknown>) => {
    const blob = base64(input['CiphertextBlob'], 'CiphertextBlob');
    const invalid = new AwsJsonFault('InvalidCiphertextException', 'The ciphertext is invalid, or was encrypted under another key or encryption context');
    if (blob.length <= 1 + KEY_ID_LENGTH + IV_LENGTH + TAG_LENGTH || blob[0] !== BLOB_VERSION) throw invalid;
    const keyId = blob.subarray(1, 1 + KEY_ID_LENGTH).toString('ascii');
    const material = keys.get(keyId);
    if (!material) throw invalid;
    if (input['KeyId'] !== undefined && keyIdOf(input['KeyId']) !== keyId) {
      throw new AwsJsonFault('IncorrectKeyException', 'The key ID in the request does not identify the key that encrypted the ciphertext');
    }
    const ivStart = 1 + KEY_ID_LENGTH;
    const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(ivStart, ivStart + IV_LENGTH));
    decipher.setAuthTag(blob.subarray(ivStart + IV_LENGTH, ivStart + IV_LENGTH + TAG_LENGTH));
    decipher.setAAD(contextBytes(input['EncryptionContext']));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(blob.subarray(ivStart + IV_LENGTH + TAG_LENGTH)), decipher.final()]);
    } catch {
      throw invalid;
    }
    return { Plaintext: plaintext.toString('base64'), KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  };

  const { url, stop } = await startJsonProtocolServer(
    { 'TrentService.Encrypt': encrypt, 'TrentService.Decrypt': decrypt },
    new AwsJsonFault('UnknownOperationException', 'Only Encrypt and Decrypt are emulated locally'),
  );
  return {
    endpoint: url,
    createKey: () => {
      const keyId = randomUUID();
      keys.set(keyId, randomBytes(32));
      return { keyId, arn: arnOf(keyId) };
    },
    stop,
  };
}
