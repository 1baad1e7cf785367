// Mutant: the client says a failed request was not done (outcomeUnknown false) even when it may have been: no answer came, or a 5xx.
import { OncepayApiError as RealOncepayApiError, OncepayConnectionError as RealOncepayConnectionError, type Problem } from '../../../client/errors.ts';

export * from '../../../client/errors.ts';

export class OncepayApiError extends RealOncepayApiError {
  constructor(status: number, problem: Problem, idempotencyKey: string | null, earlierUncertain = false) {
    super(status, problem, idempotencyKey, earlierUncertain);
    Object.defineProperty(this, 'outcomeUnknown', { value: false });
  }
}

export class OncepayConnectionError extends RealOncepayConnectionError {
  constructor(cause: unknown, idempotencyKey: string | null, method: string) {
    super(cause, idempotencyKey, method);
    Object.defineProperty(this, 'outcomeUnknown', { value: false });
  }
}
