import type { APIGatewayProxyResult } from 'aws-lambda';
import type { StoredResponse } from '#domain/ports.ts';
import { problemResponse } from '#shared/problem.ts';

/** The response stored with an idempotency key, as first sent or replayed (`Idempotent-Replayed: true`). */
export function storedResponse(response: StoredResponse, location: string, replayed: boolean): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: { 'Content-Type': 'application/json', Location: location, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
    body: response.body,
  };
}

/** `422`: the key was first used with another body; names the fields that differ, never their values. */
export function keyReusedProblem(differingFields: string[]): APIGatewayProxyResult {
  return problemResponse('keyReused', { detail: 'This Idempotency-Key was first used with a different request body.', differing_fields: differingFields });
}
