import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ValidationError } from '#domain/errors.ts';
import type { JsonValue } from '#domain/fingerprint.ts';
import { bodyText, headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';

/** Bodies above this are refused before parsing; a charge or refund request is a few hundred bytes. */
export const MAX_BODY_BYTES = 32 * 1024;

class BodyTooLargeError extends Error {}
class UnsupportedMediaTypeError extends Error {}

/** The request's JSON body; throws {@link ValidationError} for malformed JSON, and errors {@link bodyProblem} answers. */
export function parseJsonBody(event: APIGatewayProxyEvent): JsonValue {
  const contentType = headerValue(event, 'Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const text = bodyText(event);
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new BodyTooLargeError();
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new ValidationError('The body is not valid JSON.', [{ field: '', message: 'must be a JSON object' }]);
  }
}

/** The problem response for a request refused while reading its body; `undefined` for any other error. */
export function bodyProblem(error: unknown): APIGatewayProxyResult | undefined {
  if (error instanceof ValidationError) return problemResponse('validation', { detail: error.message, errors: error.problems });
  if (error instanceof BodyTooLargeError) return problemResponse('payloadTooLarge', { detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });
  if (error instanceof UnsupportedMediaTypeError) return problemResponse('unsupportedMediaType', { detail: 'Send the body as application/json.' });
  return undefined;
}
