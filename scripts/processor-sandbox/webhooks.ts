import { createHmac } from 'node:crypto';
import type { StripeEvent } from './events.ts';
import type { Timers } from './timers.ts';

/** Where the sandbox sends its events, the endpoint's signing secret (`whsec_…`), and the types it is registered for (all, unless given). */
export interface WebhookTarget {
  url: string;
  secret: string;
  enabledEvents?: readonly string[];
}

/**
 * How Stripe's own bad days reach the endpoint, aimed at events by type and object id: a
 * delivery `lose` (never sent, retries included), `duplicate` (sent twice), or `delay` by
 * `delayMs` (which also reorders it behind later events of the same object).
 */
export interface WebhookFaultRule {
  type?: string;
  object?: string;
  /** Events about anything of this oncepay charge (its payment, refunds, dispute), by the `oncepay_charge_id` metadata oncepay writes. */
  charge?: string;
  action: 'lose' | 'duplicate' | 'delay';
  delayMs?: number;
  /** How many deliveries it applies to; 1 unless given. */
  times?: number;
}

export interface WebhookDelivery {
  event: string;
  type: string;
  object: string;
  attempt: number;
  /** The endpoint's HTTP status; `null` for no answer (refused, timed out). */
  status: number | null;
  /** Set when a fault rule changed the delivery. */
  fault?: WebhookFaultRule['action'];
}

export interface WebhookSettings {
  /** The first retry's delay; each later one doubles it. */
  webhookRetryMs: number;
  /** Attempts per event, the first included. Stripe: three retries over a few hours in test mode, three days of them live. */
  webhookAttempts: number;
}

/** Stripe gives an endpoint this long to answer. */
const ANSWER_TIMEOUT_MS = 10_000;

/** The `Stripe-Signature` header of `body` at `timestamp` (seconds): `t=…,v1=<HMAC-SHA256 of "t.body">`. */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/**
 * Sends each event to the endpoint as Stripe does: a POST of the event's JSON, signed, retried
 * with exponential backoff until a 2xx or the attempts run out. Deliveries are independent, so
 * events of one object may arrive out of order, and Stripe never promises otherwise.
 */
export class WebhookSender {
  private target: WebhookTarget | null = null;
  private readonly rules: Array<WebhookFaultRule & { id: number; fired: number }> = [];
  private readonly log: WebhookDelivery[] = [];
  private nextRuleId = 1;

  constructor(
    private readonly timers: Timers,
    private readonly settings: () => WebhookSettings,
    /** The oncepay charge an event's object belongs to, for rules that name one. */
    private readonly chargeOf: (object: Record<string, unknown>) => string | null,
  ) {}

  setTarget(target: WebhookTarget | null): void {
    this.target = target;
  }

  addFaults(rules: WebhookFaultRule[]): number[] {
    return rules.map((rule) => {
      const id = this.nextRuleId++;
      this.rules.push({ ...rule, id, fired: 0 });
      return id;
    });
  }

  faults(): Array<WebhookFaultRule & { id: number; fired: number }> {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clearFaults(): void {
    this.rules.length = 0;
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Schedules the event's delivery (nothing when no endpoint is configured, or it is not registered for the type). */
  send(event: StripeEvent): void {
    if (!this.target || (this.target.enabledEvents && !this.target.enabledEvents.includes(event.type))) return;
    event.pending_webhooks = 1;
    const object = String(event.data.object['id'] ?? '');
    const rule = this.rules.find(
      (candidate) =>
        candidate.fired < (candidate.times ?? 1) &&
        (candidate.type ?? event.type) === event.type &&
        (candidate.object ?? object) === object &&
        (candidate.charge === undefined || candidate.charge === this.chargeOf(event.data.object)),
    );
    if (rule) rule.fired += 1;
    const base = { event: event.id, type: event.type, object };
    switch (rule?.action) {
      case 'lose':
        this.log.push({ ...base, attempt: 0, status: null, fault: 'lose' });
        return;
      case 'duplicate':
        this.timers.after(0, () => void this.attempt(event, base, 1, 'duplicate'));
        break;
      case 'delay':
        this.timers.after(rule.delayMs ?? 0, () => void this.attempt(event, base, 1, 'delay'));
        return;
    }
    this.timers.after(0, () => void this.attempt(event, base, 1));
  }

  private async attempt(event: StripeEvent, base: Omit<WebhookDelivery, 'attempt' | 'status'>, attempt: number, fault?: WebhookFaultRule['action']): Promise<void> {
    const target = this.target;
    if (!target) return;
    const body = JSON.stringify(event, null, 2);
    const timestamp = Math.floor(Date.now() / 1000);
    const status = await this.post(target, body, timestamp);
    this.log.push({ ...base, attempt, status, ...(fault ? { fault } : {}) });
    if (status !== null && status >= 200 && status < 300) {
      event.pending_webhooks = 0;
      return;
    }
    const { webhookRetryMs, webhookAttempts } = this.settings();
    if (attempt >= webhookAttempts) return;
    this.timers.after(webhookRetryMs * 2 ** (attempt - 1), () => void this.attempt(event, base, attempt + 1));
  }

  /** The endpoint's status, or `null` when it did not answer (refused, timed out). */
  private async post(target: WebhookTarget, body: string, timestamp: number): Promise<number | null> {
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': stripeSignatureHeader(body, target.secret, timestamp), 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
        body,
        signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.status;
    } catch {
      return null;
    }
  }
}
