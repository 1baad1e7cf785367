/** An RFC 9457 problem as oncepay answers it (openapi.json's `Problem`). */
export interface Problem {
  type: string;
  title: string;
  status?: number;
  detail: string;
  /** On 400: each bad field and what is wrong with it. */
  errors?: Array<{ field: string; message: string }>;
  /** On 422: the fields that differ from the key's first request. */
  differing_fields?: string[];
  /** On 401 for a key of the wrong mode: the mode the stage takes. */
  accepted_mode?: 'test' | 'live';
  /** On 403: the scope the restricted key lacks. */
  missing_scope?: string;
  charge?: string;
  dispute?: string;
  request_id?: string;
  [extension: string]: unknown;
}

/** Everything the client throws. `outcomeUnknown`: the request may have been done; retry it with `idempotencyKey` to find out, never with a new key. */
export class OncepayError extends Error {
  readonly outcomeUnknown: boolean;
  /** The key the request was sent with (creates only): persist it and retry with it, and the server answers what it did. */
  readonly idempotencyKey: string | null;

  constructor(message: string, options: { outcomeUnknown: boolean; idempotencyKey: string | null; cause?: unknown }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'OncepayError';
    this.outcomeUnknown = options.outcomeUnknown;
    this.idempotencyKey = options.idempotencyKey;
  }
}

/** oncepay answered with a problem (or, for an answer API Gateway made itself, with a status and a message). */
export class OncepayApiError extends OncepayError {
  readonly status: number;
  /** The problem type's URI, e.g. `https://oncepay.dev/problems/validation-error`. */
  readonly type: string;
  /** Its last segment, e.g. `validation-error`: what to switch on. */
  readonly code: string;
  readonly detail: string;
  readonly fieldErrors: Array<{ field: string; message: string }>;
  readonly differingFields: string[];
  readonly missingScope: string | null;
  readonly acceptedMode: 'test' | 'live' | null;
  readonly requestId: string | null;
  readonly problem: Problem;

  /**
   * `earlierUncertain`: an earlier attempt of the same call may have been done (no answer, a 5xx,
   * a 409), so a final refusal (a 429, or a 404 after a DELETE that went through) proves nothing.
   */
  constructor(status: number, problem: Problem, idempotencyKey: string | null, earlierUncertain = false) {
    // Known not done: a 4xx (the server refused; 409 and 429 aside, retried before this), or a 429.
    // Unknown: a 5xx, or 409 (the first request with the key may still be running).
    const outcomeUnknown = earlierUncertain || status >= 500 || status === 409;
    super(`${status} ${problem.title}: ${problem.detail}`, { outcomeUnknown, idempotencyKey });
    this.name = 'OncepayApiError';
    this.status = status;
    this.type = problem.type;
    this.code = problem.type.split('/').pop() ?? problem.type;
    this.detail = problem.detail;
    this.fieldErrors = problem.errors ?? [];
    this.differingFields = problem.differing_fields ?? [];
    this.missingScope = problem.missing_scope ?? null;
    this.acceptedMode = problem.accepted_mode ?? null;
    this.requestId = problem.request_id ?? null;
    this.problem = problem;
  }
}

/** No answer came (a reset, a timeout, DNS): the request may have arrived and been done. */
export class OncepayConnectionError extends OncepayError {
  constructor(cause: unknown, idempotencyKey: string | null, method: string) {
    super(`No answer from oncepay: ${(cause as Error)?.message ?? String(cause)}`, { outcomeUnknown: method !== 'GET', idempotencyKey, cause });
    this.name = 'OncepayConnectionError';
  }
}

/** A webhook whose `Oncepay-Signature` does not hold: not from oncepay, changed, or too old. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** Reads an error answer as a problem; an answer that is not one (API Gateway's own `{"message": …}`) gets a generic problem of its status. */
export function problemOf(status: number, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed['type'] === 'string' && typeof parsed['title'] === 'string' && typeof parsed['detail'] === 'string') return parsed as Problem;
    if (typeof parsed['message'] === 'string') return { type: `https://oncepay.dev/problems/http-${status}`, title: parsed['message'], status, detail: parsed['message'] };
  } catch {
    // Not JSON: below.
  }
  return { type: `https://oncepay.dev/problems/http-${status}`, title: `HTTP ${status}`, status, detail: text.slice(0, 200) };
}
