/**
 * The chaos harness's webhook receivers: one per merchant, on 127.0.0.1, each registered as the
 * merchant's endpoint for every event type. Each records what it was sent (verifying the
 * signature) and misbehaves, for the events it is told to, the ways real receivers do: fails,
 * times out, answers slowly, or handles the event and loses its answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../webhook-receiver.ts';

export type ReceiverFault = 'fails-twice' | 'times-out-once' | 'answers-slowly' | 'loses-answer-once';

/** One delivery as the receiver saw it. */
export interface Received {
  receiver: string;
  eventId: string;
  type: string;
  objectId: string;
  /** The object's status in the event (a dispute's closing status, a refund's). */
  status: string;
  verified: boolean;
}

/** Longer than the delivery function's 10 s timeout. */
const HANG_MS = 11_000;
const SLOW_MS = 3_000;

export class ChaosReceiver {
  readonly received: Received[] = [];
  private secret = '';
  private readonly faults = new Map<string, ReceiverFault>();
  private readonly attempts = new Map<string, number>();
  private readonly server: Server;

  private constructor(readonly merchantId: string) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => void this.answer(Buffer.concat(chunks).toString('utf8'), request.headers['oncepay-signature'] as string | undefined, response));
    });
  }

  static async start(merchantId: string): Promise<ChaosReceiver> {
    const receiver = new ChaosReceiver(merchantId);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  setSecret(secret: string): void {
    this.secret = secret;
  }

  /** Misbehave for this event id (its first attempts, or every one for `answers-slowly`). */
  misbehaveFor(eventId: string, fault: ReceiverFault): void {
    this.faults.set(eventId, fault);
  }

  private async answer(body: string, signature: string | undefined, response: import('node:http').ServerResponse): Promise<void> {
    let event: { id?: string; type?: string; data?: { object?: { id?: string; status?: string } } };
    try {
      event = JSON.parse(body) as typeof event;
    } catch {
      response.writeHead(400).end();
      return;
    }
    const eventId = String(event.id);
    const attempt = (this.attempts.get(eventId) ?? 0) + 1;
    this.attempts.set(eventId, attempt);
    const fault = this.faults.get(eventId);
    if (fault === 'fails-twice' && attempt <= 2) {
      response.writeHead(500).end();
      return;
    }
    if (fault === 'times-out-once' && attempt === 1) {
      await new Promise((resolve) => setTimeout(resolve, HANG_MS));
      response.destroy();
      return;
    }
    this.received.push({
      receiver: this.merchantId,
      eventId,
      type: String(event.type),
      objectId: String(event.data?.object?.id),
      status: String(event.data?.object?.status),
      verified: await verifySignature(signature, body, this.secret),
    });
    if (fault === 'loses-answer-once' && attempt === 1) {
      response.destroy();
      return;
    }
    if (fault === 'answers-slowly') await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
    response.writeHead(200).end();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
