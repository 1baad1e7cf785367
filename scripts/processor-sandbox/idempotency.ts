import { createHash } from 'node:crypto';
import type { FormValue } from './form-body.ts';
import { invalidRequest, StripeApiError } from './stripe-errors.ts';

/** A POST carrying an `Idempotency-Key`, as the key store sees it. */
export interface KeyedRequest {
  key: string;
  /** `POST /v1/payment_intents/pi_…/confirm`: a key belongs to one endpoint. */
  endpoint: string;
  /** {@link paramsHash} of the decoded body. */
  paramsHash: string;
}

/** What a replay answers: the first response, byte for byte. */
export interface SavedResponse {
  status: number;
  body: string;
  requestId: string;
  /** The `always` timeout faults: replays are held like the first request. */
  holdReplays: boolean;
}

interface Entry extends SavedResponse {
  endpoint: string;
  paramsHash: string;
  savedAtMs: number;
}

const MAX_KEY_LENGTH = 255;

/**
 * Stripe's idempotency keys, on every POST: the response of a request whose endpoint ran is
 * saved for its key and replayed to later requests with the same endpoint and parameters; the
 * key with another endpoint or other parameters is a 400, and while the first request runs a
 * 409. Saved responses are forgotten `ttlMs` after they were saved (Stripe: 24 hours), after
 * which the key is new again and a retry runs again: the one fault a client's key cannot fix.
 */
export class IdempotencyKeys {
  /** In the order saved, which is the order they expire in. */
  private readonly saved = new Map<string, Entry>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly ttlMs: () => number) {}

  /** The response to replay, or `undefined` if the request is to run; throws Stripe's 400 or 409. */
  replayFor(request: KeyedRequest): SavedResponse | undefined {
    const { key, endpoint } = request;
    if (key.length > MAX_KEY_LENGTH) throw invalidRequest(`Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters.`);
    this.forgetExpired();
    const entry = this.saved.get(key);
    if (entry && entry.endpoint !== endpoint) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${entry.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    }
    if (entry && entry.paramsHash !== request.paramsHash) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    }
    if (entry) return entry;
    if (this.inFlight.has(key)) {
      throw new StripeApiError(409, {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
      });
    }
    return undefined;
  }

  /** Marks the key in flight until {@link finish}. */
  start(key: string): void {
    this.inFlight.add(key);
  }

  /** Ends the key's flight, saving the response if the endpoint ran (`null`: nothing to save). */
  finish(request: KeyedRequest, response: SavedResponse | null): void {
    this.inFlight.delete(request.key);
    if (response === null) return;
    this.saved.set(request.key, { ...response, endpoint: request.endpoint, paramsHash: request.paramsHash, savedAtMs: Date.now() });
  }

  private forgetExpired(): void {
    const oldestKept = Date.now() - this.ttlMs();
    for (const [key, entry] of this.saved) {
      if (entry.savedAtMs > oldestKept) return;
      this.saved.delete(key);
    }
  }
}

/** A digest of the parameters that ignores the order they were sent in. */
export function paramsHash(params: FormValue): string {
  return createHash('sha256').update(canonical(params)).digest('hex');
}

function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key] as FormValue)}`)
    .join(',')}}`;
}

function idempotencyError(message: string): StripeApiError {
  return new StripeApiError(400, { type: 'idempotency_error', message });
}
