import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { parseDelivery } from '#adapters/sqs-delivery-queue.ts';
import type { WebhookSender } from '#adapters/webhook-sender.ts';
import { OncePayError } from '#domain/errors.ts';
import { bindingOf, deliveryBackoffSeconds, liveSealedSecrets, signatureHeader, type SecretSealer } from '#domain/webhook-endpoint.ts';

/** The record goes back to the queue; its visibility says when the next attempt is due. */
class DeliverLaterError extends OncePayError {}

export interface DeliverHandlerDeps {
  store: Pick<DynamoDbWebhookStore, 'getEndpoint' | 'getEvent' | 'disableIfFailing' | 'recordSuccess' | 'recordAttempt'>;
  sender: Pick<WebhookSender, 'send'>;
  /** Opens the endpoint's sealed secrets to sign (KMS Decrypt, bound to the endpoint). */
  sealer: Pick<SecretSealer, 'unseal'>;
  /** Sets when the record may be received again (SQS ChangeMessageVisibility). */
  setVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  now: () => number;
  retry: { baseSeconds: number; maxSeconds: number };
  /** How long an endpoint may keep failing one event before it is disabled (3 days). */
  giveUpAfterMs: number;
  logger: Logger;
  /** `WebhookEndpointsDisabled` (alarmed). */
  metrics: Metrics;
}

/**
 * Delivers one event to one endpoint per record, in parallel, so one slow or failing endpoint
 * never holds up another's: a signed `POST` of the stored event (the same bytes and event id on
 * every attempt); a 2xx within the timeout is delivered; anything else comes back after an
 * exponential backoff, for up to `giveUpAfterMs` since the delivery was first queued, after which
 * the delivery is given up and the endpoint disabled (and an alarm says so) unless it has
 * answered 2xx to anything meanwhile. A deleted or disabled endpoint gets nothing more.
 */
export function deliverHandler(deps: DeliverHandlerDeps) {
  const processor = new BatchProcessor(EventType.SQS);

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const delivery = parseDelivery(record.body);
      if (!delivery) {
        deps.logger.error('Not a delivery message; dropped', { messageId: record.messageId });
        return;
      }
      const endpoint = await deps.store.getEndpoint(delivery.endpoint_id);
      if (!endpoint || endpoint.status !== 'enabled') {
        deps.logger.info('Endpoint deleted or disabled; delivery dropped', { ...delivery });
        return;
      }
      const attempt = Number(record.attributes.ApproximateReceiveCount);
      /** Sends the record back to the queue, due again after the backoff of this attempt. */
      const retryLater = async (reason: string): Promise<never> => {
        const seconds = deliveryBackoffSeconds(attempt, deps.retry.baseSeconds, deps.retry.maxSeconds);
        try {
          await deps.setVisibility(record.receiptHandle, seconds);
        } catch (error) {
          deps.logger.warn('Could not set the retry delay; the delivery returns after the visibility timeout', { ...delivery, error: error as Error });
        }
        throw new DeliverLaterError(`${reason}: deliver ${delivery.event_id} to ${delivery.endpoint_id} again in ${seconds}s`);
      };
      if (endpoint.sealedSecret === '') {
        // Registered before secrets were sealed: it waits, with backoff, until an operator seals it.
        deps.logger.error('Endpoint holds its signing secret in the clear; run npm run cli -- webhooks seal-secrets', { ...delivery });
        deps.metrics.addMetric('WebhookSecretsUnavailable', MetricUnit.Count, 1);
        return retryLater('Secret not sealed');
      }
      const stored = await deps.store.getEvent(delivery.event_id);
      if (!stored || stored.merchantId !== endpoint.merchantId) {
        deps.logger.error('No such event for this endpoint’s merchant; delivery dropped', { ...delivery });
        return;
      }
      // One v1 per live secret: a rolled secret signs beside the new one until its overlap ends.
      let secrets: string[];
      try {
        secrets = await Promise.all(liveSealedSecrets(endpoint, deps.now()).map((sealed) => deps.sealer.unseal(sealed, bindingOf(endpoint))));
      } catch (error) {
        // Nothing is sent unsigned or half-signed: the delivery waits, counted and alarmed, until KMS opens the secret.
        deps.logger.error('The endpoint’s signing secret could not be opened (KMS); the delivery is retried', { ...delivery, error: error as Error });
        deps.metrics.addMetric('WebhookSecretsUnavailable', MetricUnit.Count, 1);
        return retryLater('Secret not opened');
      }
      const signature = signatureHeader(secrets, Math.floor(deps.now() / 1000), stored.body);
      const result = await deps.sender.send(endpoint.url, stored.body, { 'Oncepay-Signature': signature });
      deps.logger.info('Delivery attempt', { ...delivery, attempt, status: result.status, durationMs: result.durationMs, ...(result.error ? { error: result.error } : {}) });
      // The attempt's record is for people: a failure to write it never holds up the delivery.
      await deps.store
        .recordAttempt(delivery.event_id, {
          endpoint: endpoint.id,
          created: Math.floor(deps.now() / 1000),
          status_code: result.status === 0 ? null : result.status,
          duration_ms: result.durationMs,
          ...(result.error ? { error: result.error.slice(0, 200) } : {}),
        })
        .catch((error: unknown) => deps.logger.warn('Could not record the delivery attempt', { ...delivery, error: error as Error }));
      if (result.status >= 200 && result.status < 300) {
        await deps.store.recordSuccess(endpoint.id, deps.now()).catch((error: unknown) => deps.logger.warn('Could not stamp the endpoint’s success', { ...delivery, error: error as Error }));
        return;
      }

      const queuedAt = Number(record.attributes.SentTimestamp);
      if (deps.now() - queuedAt >= deps.giveUpAfterMs) {
        // Disabled only if it has not delivered anything else meanwhile: one bad event never stops a healthy endpoint.
        if (await deps.store.disableIfFailing(endpoint.id, queuedAt)) {
          deps.metrics.addMetric('WebhookEndpointsDisabled', MetricUnit.Count, 1);
          deps.logger.error('Endpoint disabled: it kept failing for the whole retry window', { ...delivery });
        } else {
          deps.logger.error('Delivery given up after the whole retry window; the endpoint delivers other events, so it stays enabled', { ...delivery });
        }
        return;
      }
      return retryLater(`Answered ${result.status}`);
    };

    try {
      return await processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, processInParallel: true });
    } finally {
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}
