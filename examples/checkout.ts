/**
 * A checkout with oncepay's client: one charge per order, however often the network fails.
 *
 *   ONCEPAY_URL=http://127.0.0.1:3000 ONCEPAY_API_KEY=sk_test_acme_local node --import tsx examples/checkout.ts
 *
 * The order id is the Idempotency-Key: a retry of the same order (this process's own retries, a
 * crash and a rerun, a second click) finds the first charge instead of making another.
 */
import { Oncepay, OncepayError, type Charge } from 'oncepay/client';

export interface Order {
  id: string;
  amountCents: number;
  paymentMethod: string;
}

/** Charges the order once and waits (up to 30 s) for the outcome. */
export async function checkout(oncepay: Oncepay, order: Order): Promise<Charge> {
  try {
    return await oncepay.charges.create(
      { amount: order.amountCents, currency: 'usd', payment_method: order.paymentMethod, metadata: { order_id: order.id } },
      { idempotencyKey: `order-${order.id}`, waitForOutcome: 30 },
    );
  } catch (error) {
    if (error instanceof OncepayError && error.outcomeUnknown) {
      // The charge may exist: keep the key with the order and retry with it later, never with a new one.
      throw new Error(`Order ${order.id}: outcome unknown; retry later with Idempotency-Key ${error.idempotencyKey}`, { cause: error });
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const apiKey = process.env['ONCEPAY_API_KEY'];
  if (!apiKey) {
    console.error('error: set ONCEPAY_API_KEY (e.g. sk_test_acme_local for npm start)');
    process.exit(2);
  }
  const oncepay = new Oncepay(apiKey, { baseUrl: process.env['ONCEPAY_URL'] ?? 'http://127.0.0.1:3000' });
  const charge = await checkout(oncepay, { id: process.argv[2] ?? `demo-${Date.now()}`, amountCents: 2500, paymentMethod: 'pm_card_visa' });
  console.log(`${charge.id}: ${charge.status}`);
  for await (const recent of oncepay.charges.list({ limit: 3 })) console.log(`  ${recent.id} ${recent.status} ${recent.amount}`);
}
