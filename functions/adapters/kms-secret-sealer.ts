import { createHash, createHmac } from 'node:crypto';
import type { SecretBinding, SecretSealer } from '#domain/webhook-endpoint.ts';

/** The encryption context a webhook signing secret is sealed under; IAM conditions name these keys. */
export const SECRET_CONTEXT_KEYS = { merchant: 'oncepay_merchant', endpoint: 'oncepay_webhook_endpoint' } as const;

/** KMS's own error (`__type`), e.g. `InvalidCiphertextException`, `AccessDeniedException`. */
export class KmsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface KmsClientOptions {
  region: string;
  /** `https://kms.<region>.amazonaws.com`, or an emulator's URL. */
  endpoint: string;
  /** Read at every call: Lambda's role credentials are in the environment; the CLI's come from the SDK's chain. */
  credentials: () => AwsCredentials | Promise<AwsCredentials>;
  timeoutMs: number;
  now?: () => Date;
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * AWS Signature Version 4 headers for a request (no query string). Exported for its test against
 * AWS's published example.
 */
export function signatureV4Headers(request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now: Date;
}): Record<string, string> {
  const amzDate = request.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...request.headers,
    host: request.url.host,
    'x-amz-date': amzDate,
    ...(request.credentials.sessionToken ? { 'x-amz-security-token': request.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).map((name) => name.toLowerCase()).sort();
  const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')]));
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method,
    request.url.pathname || '/',
    '',
    names.map((name) => `${name}:${lowered[name]}\n`).join(''),
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${request.credentials.secretAccessKey}`, day), request.region), request.service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The two KMS calls oncepay makes, `Encrypt` and `Decrypt`, over KMS's JSON 1.1 protocol
 * (`X-Amz-Target: TrentService.<operation>`, SigV4-signed). Hand-written because the project
 * carries no `@aws-sdk/client-kms`; the wire format is KMS's own, so the local emulator and
 * AWS answer it alike.
 */
export class KmsClient {
  constructor(private readonly options: KmsClientOptions) {}

  async call<T>(operation: 'Encrypt' | 'Decrypt', input: Record<string, unknown>): Promise<T> {
    const url = new URL(this.options.endpoint);
    const body = JSON.stringify(input);
    const headers = signatureV4Headers({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
      body,
      region: this.options.region,
      service: 'kms',
      credentials: await this.options.credentials(),
      now: this.options.now?.() ?? new Date(),
    });
    delete headers['host'];
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs) });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new KmsError('UnknownError', `KMS answered ${response.status} with no JSON`, response.status);
    }
    if (!response.ok) {
      const type = String(parsed['__type'] ?? response.headers.get('x-amzn-errortype') ?? 'UnknownError');
      throw new KmsError(type.split('#').pop()?.split(':')[0] ?? type, String(parsed['message'] ?? parsed['Message'] ?? ''), response.status);
    }
    return parsed as T;
  }
}

/** A {@link KmsClient} for a Lambda function: region, role credentials and endpoint (`AWS_ENDPOINT_URL_KMS` locally) from the environment. */
export function kmsClientFromEnvironment(environment: NodeJS.ProcessEnv = process.env): KmsClient {
  const region = environment['AWS_REGION'] ?? environment['AWS_DEFAULT_REGION'];
  if (!region) throw new Error('AWS_REGION is not set');
  return new KmsClient({
    region,
    endpoint: environment['AWS_ENDPOINT_URL_KMS'] ?? environment['AWS_ENDPOINT_URL'] ?? `https://kms.${region}.amazonaws.com`,
    credentials: () => {
      const accessKeyId = environment['AWS_ACCESS_KEY_ID'];
      const secretAccessKey = environment['AWS_SECRET_ACCESS_KEY'];
      if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials in the environment');
      const sessionToken = environment['AWS_SESSION_TOKEN'];
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
    timeoutMs: 5_000,
  });
}

/** How many opened secrets a container keeps, and for how long: deliveries to one endpoint come in bursts. */
const CACHE_ENTRIES = 1_000;
const CACHE_TTL_MS = 5 * 60_000;

/**
 * Seals webhook signing secrets with a customer-managed KMS key under an encryption context
 * naming the merchant and the endpoint, so a ciphertext copied to another item does not open.
 * Opened secrets are kept in memory for a few minutes (keyed by ciphertext and binding), so a
 * burst of deliveries costs one `Decrypt`, not one each.
 */
export class KmsSecretSealer implements SecretSealer {
  private readonly opened = new Map<string, { secret: string; until: number }>();

  constructor(
    private readonly kms: Pick<KmsClient, 'call'>,
    private readonly keyId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async seal(secret: string, binding: SecretBinding): Promise<string> {
    const answer = await this.kms.call<{ CiphertextBlob?: string }>('Encrypt', {
      KeyId: this.keyId,
      Plaintext: Buffer.from(secret, 'utf8').toString('base64'),
      EncryptionContext: contextOf(binding),
    });
    if (!answer.CiphertextBlob) throw new KmsError('UnknownError', 'Encrypt answered no CiphertextBlob', 200);
    return answer.CiphertextBlob;
  }

  async unseal(sealed: string, binding: SecretBinding): Promise<string> {
    const cacheKey = `${binding.merchantId}\n${binding.endpointId}\n${sealed}`;
    const cached = this.opened.get(cacheKey);
    if (cached && cached.until > this.now()) return cached.secret;
    // KeyId pins the key: a ciphertext of any other key is refused (IncorrectKeyException).
    const answer = await this.kms.call<{ Plaintext?: string }>('Decrypt', { KeyId: this.keyId, CiphertextBlob: sealed, EncryptionContext: contextOf(binding) });
    if (!answer.Plaintext) throw new KmsError('UnknownError', 'Decrypt answered no Plaintext', 200);
    const secret = Buffer.from(answer.Plaintext, 'base64').toString('utf8');
    this.opened.delete(cacheKey);
    if (this.opened.size >= CACHE_ENTRIES) this.opened.delete(this.opened.keys().next().value as string);
    this.opened.set(cacheKey, { secret, until: this.now() + CACHE_TTL_MS });
    return secret;
  }
}

function contextOf(binding: SecretBinding): Record<string, string> {
  return { [SECRET_CONTEXT_KEYS.merchant]: binding.merchantId, [SECRET_CONTEXT_KEYS.endpoint]: binding.endpointId };
}
