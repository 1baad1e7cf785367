/**
 * An example webhook receiver, the way the merchant guide (docs/api.md) says to write one:
 * verify the `Oncepay-Signature` with the client's `webhooks.constructEvent` (HMAC-SHA256 of
 * "<t>.<raw body>", 5-minute tolerance, a constant-time comparison), answer 2xx at once, and only
 * then do the work — once per event id, because deliveries are at least once.
 *
 *   npm run webhook-receiver -- --secret whsec_… [--port 4242]
 *
 * Register it with `POST /v1/webhook_endpoints {"url": "http://127.0.0.1:4242/webhooks", …}` on
 * the local stack (deployed stages take https URLs only).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constructEvent } from '../client/webhooks.ts';

/** Why `header` does not sign `rawBody` with `secret` at a time within the tolerance of `nowSeconds`; `null` when it does. */
export async function signatureProblem(header: string | undefined, rawBody: string, secret: string, nowSeconds?: number): Promise<string | null> {
  return constructEvent(rawBody, header, secret, nowSeconds === undefined ? {} : { nowSeconds }).then(
    () => null,
    (error: unknown) => (error as Error).message,
  );
}

/** True when `header` signs `rawBody` with `secret` at a time within the tolerance of `nowSeconds`. */
export async function verifySignature(header: string | undefined, rawBody: string, secret: string, nowSeconds?: number): Promise<boolean> {
  return (await signatureProblem(header, rawBody, secret, nowSeconds)) === null;
}

export interface ReceivedEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

export interface WebhookReceiver {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves `POST /webhooks` on 127.0.0.1. A bad signature is a 400; a good one is answered 200
 * before `onEvent` runs, and `onEvent` runs once per event id however often it is delivered.
 */
export async function startWebhookReceiver(options: {
  /** The endpoint's secret; a function when it is known only once the receiver's URL is registered. */
  secret: string | (() => string);
  port?: number;
  onEvent: (event: ReceivedEvent) => Promise<void> | void;
  /** A delivery refused with 400, and why. */
  onRefused?: (reason: string) => void;
  /** A delivery of an event already handled: answered 200, not handled again. */
  onDuplicate?: (event: ReceivedEvent) => void;
}): Promise<WebhookReceiver> {
  const secret = () => (typeof options.secret === 'string' ? options.secret : options.secret());
  const seen = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let problem: string | null;
      try {
        problem = request.method === 'POST' ? await signatureProblem(request.headers['oncepay-signature'] as string | undefined, rawBody, secret()) : `${request.method} is not POST`;
      } catch (error) {
        problem = `the secret is not available: ${(error as Error).message}`;
      }
      if (problem !== null) {
        response.writeHead(400).end();
        options.onRefused?.(problem);
        return;
      }
      response.writeHead(200).end();
      const event = JSON.parse(rawBody) as ReceivedEvent;
      if (seen.has(event.id)) {
        options.onDuplicate?.(event);
        return;
      }
      seen.add(event.id);
      Promise.resolve(options.onEvent(event)).catch((error: unknown) => console.error(`handling ${event.id} failed:`, error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { secret: { type: 'string' }, port: { type: 'string', default: '4242' } } });
  if (!values.secret?.startsWith('whsec_')) {
    console.error('error: --secret whsec_… (the secret POST /v1/webhook_endpoints answered) is required');
    process.exit(2);
  }
  const receiver = await startWebhookReceiver({
    secret: values.secret,
    port: Number(values.port),
    onEvent: (event) => console.log(`${event.type} ${event.id} ${String(event.data.object['id'])} ${String(event.data.object['status'])}`),
    onDuplicate: (event) => console.log(`duplicate ${event.id}: handled already, answered 200 and skipped`),
    onRefused: (reason) => console.log(`refused (400): ${reason}`),
  });
  console.log(`Receiving signed events on ${receiver.url} (Ctrl-C stops)`);
}
