import { ConfigurationError } from '#domain/errors.ts';

/** Reads a required environment variable; a missing one fails the cold start, loudly. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Missing environment variable ${name}`);
  return value;
}

/** Reads a required environment variable holding a positive integer. */
export function requiredPositiveIntEnv(name: string): number {
  const raw = requiredEnv(name);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Reads a required environment variable holding a positive number (fractions allowed). */
export function requiredPositiveNumberEnv(name: string): number {
  const raw = requiredEnv(name);
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError(`Environment variable ${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Reads a required `true` / `false` environment variable. */
export function requiredBooleanEnv(name: string): boolean {
  const raw = requiredEnv(name);
  if (raw !== 'true' && raw !== 'false') throw new ConfigurationError(`Environment variable ${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}
