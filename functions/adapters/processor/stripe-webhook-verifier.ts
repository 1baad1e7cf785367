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

/** How old the copy of the signing secret must be before a refused delivery makes it read again. */
export const SECRET_REREAD_AFTER_MS = 60_000;

/**
 * A {@link StripeWebhookVerifier} whose signing secret is read from where the stage keeps it, and
 * read again when a delivery does not verify and the copy is over a minute old: a secret put after
 * a roll (or put for the first time after the deploy) is used by warm functions too, and a flood of
 * forged deliveries reads it at most once a minute.
 */
export class SecretStoreWebhookVerifier {
  private current: Promise<{ secret: string; readAt: number; verifier: StripeWebhookVerifier }> | null = null;

  constructor(
    private readonly readSecret: () => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(rawBody: string, signatureHeader: string | undefined): Promise<ProcessorEventNotice> {
    const copy = await this.read(false);
    try {
      return copy.verifier.verify(rawBody, signatureHeader);
    } catch (error) {
      if (!(error instanceof ProcessorEventRefusedError) || this.now() - copy.readAt < SECRET_REREAD_AFTER_MS) throw error;
      const fresh = await this.read(true);
      if (fresh.secret === copy.secret) throw error;
      return fresh.verifier.verify(rawBody, signatureHeader);
    }
  }

  private read(again: boolean) {
    if (this.current === null || again) {
      const reading = this.readSecret().then((secret) => ({ secret, readAt: this.now(), verifier: new StripeWebhookVerifier(secret) }));
      // A failed read is not kept: the next delivery reads again.
      reading.catch(() => {
        if (this.current === reading) this.current = null;
      });
      this.current = reading;
    }
    return this.current;
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
