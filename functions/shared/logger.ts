import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logger for one function. Log only ids and statuses: request bodies may
 * hold free text, and a card number must never reach a log.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}
