/** Argument helpers shared by the npm scripts (chaos, bench): one-line errors, exit code 2. */

export function usageError(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

export function positiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) usageError(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}
