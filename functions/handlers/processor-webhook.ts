import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ProcessorEventNotice } from '#domain/ports.ts';
import type { ReceiveOutcome } from '#domain/processor-events.ts';
import { bodyText, headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';
import { ProcessorEventRefusedError } from '#adapters/processor/stripe-webhook-verifier.ts';

export interface ProcessorWebhookDeps {
  /** Checks the signature and reads which object changed; throws {@link ProcessorEventRefusedError}. */
  verify: (rawBody: string, signatureHeader: string | undefined) => Promise<ProcessorEventNotice>;
  receive: (notice: ProcessorEventNotice) => Promise<ReceiveOutcome>;
  logger: Logger;
  /** `ProcessorEventsRefused` (alarmed: a wrong signing secret refuses every event), `…Received`, `…Ignored`. */
  metrics: Metrics;
}

const OK = (body: object): APIGatewayProxyResult => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/**
 * `POST /webhooks/stripe`: Stripe's events in. No merchant key: the `Stripe-Signature` header is
 * the authentication. A delivery that does not verify (missing, forged, re-serialised, older than
 * 5 minutes) is `400` and changes nothing; its refusal is logged with the event id it claims,
 * never its body. A verified event is recorded once and queued (see `receiveProcessorEvent`),
 * and answered `200` at once; one oncepay does not listen to is answered `200` and counted. A
 * failure to record or queue is `500`, so Stripe sends it again.
 */
export function processorWebhookHandler(deps: ProcessorWebhookDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      let notice: ProcessorEventNotice;
      try {
        notice = await deps.verify(bodyText(event), headerValue(event, 'Stripe-Signature'));
      } catch (error) {
        if (!(error instanceof ProcessorEventRefusedError)) throw error;
        deps.logger.warn('Refused a processor event whose signature does not verify', { eventId: error.eventId, reason: error.message });
        deps.metrics.addMetric('ProcessorEventsRefused', MetricUnit.Count, 1);
        return problemResponse('signatureInvalid', { detail: 'The Stripe-Signature header does not verify for this body with the stage’s signing secret, or is older than 5 minutes.' });
      }
      const outcome = await deps.receive(notice);
      deps.metrics.addMetric(outcome === 'ignored' ? 'ProcessorEventsIgnored' : 'ProcessorEventsReceived', MetricUnit.Count, 1);
      deps.logger.info('Received a processor event', { eventId: notice.id, type: notice.type, object: notice.objectId, outcome });
      return OK({ received: true, ...(outcome === 'ignored' ? { ignored: true } : {}) });
    } catch (error) {
      deps.logger.error('Could not take in a processor event; the processor sends it again', { error: error as Error });
      return problemResponse('internal', { detail: 'The event could not be recorded; it will be accepted when sent again.', request_id: context.awsRequestId });
    } finally {
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}
