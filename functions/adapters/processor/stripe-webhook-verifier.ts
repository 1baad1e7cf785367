import Stripe from 'stripe';
import { OncePayError } from '#domain/errors.ts';
import type { ProcessorEventNotice } from '#domain/ports.ts';

/** How old a signature may be (Stripe's default, 5 minutes): an older delivery is refused as a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A delivery whose signature does not verify; `eventId` is the id it claims (for the log), if it has one. */
export class ProcessorEventRefusedError extends OncePayError {
  constructor(
    message: string,
    readonly eventId: string | null,
  ) {
    super(message);
  }
}

/**
 * Verifies a Stripe webhook delivery with the official SDK (`stripe.webhooks.constructEvent`: the
 * `Stripe-Signature` header's `v1` HMAC-SHA256 over `t.<raw body>`, constant-time, within the
 * tolerance) and reads from it only which object changed. A missing, forged, re-serialised or
 * too-old delivery throws {@link ProcessorEventRefusedError}.
 */
export class StripeWebhookVerifier {
  private readonly stripe = new Stripe('sk_unused_for_verification', { telemetry: false });

  constructor(private readonly signingSecret: string) {}

  verify(rawBody: string, signatureHeader: string | undefined): ProcessorEventNotice {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader ?? '', this.signingSecret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      throw new ProcessorEventRefusedError((error as Error).message, claimedEventId(rawBody));
    }
    const objectId = (event.data?.object as { id?: unknown } | undefined)?.id;
    if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof objectId !== 'string' || !Number.isInteger(event.created)) {
      throw new ProcessorEventRefusedError('The signed event lacks an id, a type, a created time or its object’s id', claimedEventId(rawBody));
    }
    return { id: event.id, type: event.type, objectId, created: event.created };
  }
}

/** The `evt_…` id an unverified body claims, for the log line of its refusal (never the body). */
function claimedEventId(rawBody: string): string | null {
  try {
    const id = (JSON.parse(rawBody) as { id?: unknown }).id;
    return typeof id === 'string' && /^evt_[0-9A-Za-z]{1,64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}
