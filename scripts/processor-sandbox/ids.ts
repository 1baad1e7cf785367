import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 24 random base-62 characters, the body of Stripe's ids and secrets. */
export function randomToken(): string {
  return [...randomBytes(24)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

/** A random id in Stripe's style: `pi_…`, `ch_…`, `req_…`. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomToken()}`;
}
