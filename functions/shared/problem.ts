import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldProblem } from '#domain/errors.ts';

/**
 * RFC 9457 problem types. The URIs are identifiers, stable across releases; each is
 * documented in docs/api.md, "Errors".
 */
export const PROBLEM_TYPES = {
  validation: { type: 'https://oncepay.dev/problems/validation-error', title: 'Invalid request', status: 400 },
  unauthorized: { type: 'https://oncepay.dev/problems/unauthorized', title: 'Unauthorized', status: 401 },
  forbidden: { type: 'https://oncepay.dev/problems/forbidden', title: 'Forbidden', status: 403 },
  notFound: { type: 'https://oncepay.dev/problems/not-found', title: 'Not found', status: 404 },
  chargeNotRefundable: { type: 'https://oncepay.dev/problems/charge-not-refundable', title: 'Charge not refundable', status: 400 },
  chargeDisputed: { type: 'https://oncepay.dev/problems/charge-disputed', title: 'Charge disputed', status: 400 },
  signatureInvalid: { type: 'https://oncepay.dev/problems/signature-invalid', title: 'Signature invalid', status: 400 },
  keyReused: {
    type: 'https://oncepay.dev/problems/idempotency-key-reused',
    title: 'Idempotency-Key reused with a different request',
    status: 422,
  },
  /** Another request changed the same object meanwhile, again and again; a retry with the same key is safe. */
  conflict: { type: 'https://oncepay.dev/problems/conflict', title: 'Conflict', status: 409 },
  payloadTooLarge: { type: 'https://oncepay.dev/problems/payload-too-large', title: 'Payload too large', status: 413 },
  unsupportedMediaType: {
    type: 'https://oncepay.dev/problems/unsupported-media-type',
    title: 'Unsupported media type',
    status: 415,
  },
  internal: { type: 'https://oncepay.dev/problems/internal-error', title: 'Internal error', status: 500 },
  /** API Gateway's own: the function did not answer within its 29 s (see infra/service.ts). */
  gatewayTimeout: { type: 'https://oncepay.dev/problems/gateway-timeout', title: 'Gateway timeout', status: 504 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export interface ProblemDetails {
  detail: string;
  errors?: FieldProblem[];
  instance?: string;
  [extension: string]: unknown;
}

/** Builds an `application/problem+json` response. */
export function problemResponse(
  kind: ProblemKind,
  details: ProblemDetails,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  const { type, title, status } = PROBLEM_TYPES[kind];
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
    body: JSON.stringify({ type, title, status, ...details }),
  };
}
