import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBinding, SecretSealer } from '#domain/webhook-endpoint.ts';

/** The encryption context a webhook signing secret is sealed under; IAM conditions name these keys. */
export const SECRET_CONTEXT_KEYS = { merchant: 'oncepay_merchant', endpoint: 'oncepay_webhook_endpoint' } as const;

/** How many opened secrets a container keeps, and for how long: deliveries to one endpoint come in bursts. */
const CACHE_ENTRIES = 1_000;
const CACHE_TTL_MS = 5 * 60_000;

/**
 * Seals webhook signing secrets with a customer-managed KMS key under an encryption context
 * naming the merchant and the endpoint, so a ciphertext copied to another item does not open.
 * Opened secrets are kept in memory for a few minutes (keyed by ciphertext and binding), so a
 * burst of deliveries costs one `Decrypt`, not one each. Stored as base64 ciphertext.
 */
export class KmsSecretSealer implements SecretSealer {
  private readonly opened = new Map<string, { secret: string; until: number }>();

  constructor(
    private readonly kms: Pick<KMSClient, 'send'>,
    private readonly keyId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async seal(secret: string, binding: SecretBinding): Promise<string> {
    const answer = await this.kms.send(new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(secret, 'utf8'), EncryptionContext: contextOf(binding) }));
    if (!answer.CiphertextBlob) throw new Error('KMS Encrypt answered no CiphertextBlob');
    return Buffer.from(answer.CiphertextBlob).toString('base64');
  }

  async unseal(sealed: string, binding: SecretBinding): Promise<string> {
    const cacheKey = `${binding.merchantId}\n${binding.endpointId}\n${sealed}`;
    const cached = this.opened.get(cacheKey);
    if (cached && cached.until > this.now()) return cached.secret;
    // KeyId pins the key: a ciphertext of any other key is refused (IncorrectKeyException).
    const answer = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: contextOf(binding) }),
    );
    if (!answer.Plaintext) throw new Error('KMS Decrypt answered no Plaintext');
    const secret = Buffer.from(answer.Plaintext).toString('utf8');
    this.opened.delete(cacheKey);
    if (this.opened.size >= CACHE_ENTRIES) this.opened.delete(this.opened.keys().next().value as string);
    this.opened.set(cacheKey, { secret, until: this.now() + CACHE_TTL_MS });
    return secret;
  }
}

function contextOf(binding: SecretBinding): Record<string, string> {
  return { [SECRET_CONTEXT_KEYS.merchant]: binding.merchantId, [SECRET_CONTEXT_KEYS.endpoint]: binding.endpointId };
}
