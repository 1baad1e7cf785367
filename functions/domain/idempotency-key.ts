import { ValidationError } from './errors.ts';

/** Longest `Idempotency-Key` accepted, as Stripe and the IETF draft's examples use. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Validates the `Idempotency-Key` header value: required, 1–255 printable ASCII characters.
 * Returns the key unchanged (keys are compared byte for byte, never trimmed or folded).
 */
export function parseIdempotencyKey(header: string | undefined): string {
  const problem = (message: string) =>
    new ValidationError('The Idempotency-Key header is invalid.', [{ field: 'Idempotency-Key', message }]);
  if (header === undefined) throw problem('is required on POST');
  if (header.length === 0) throw problem('must not be empty');
  if (header.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw problem(`must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  }
  if (!PRINTABLE_ASCII.test(header)) throw problem('must contain printable ASCII characters only');
  return header;
}
