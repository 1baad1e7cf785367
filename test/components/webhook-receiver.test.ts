/** The example receiver of the merchant guide: what it says when it refuses a delivery or skips a duplicate. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signatureProblem, startWebhookReceiver, type WebhookReceiver } from '../../scripts/webhook-receiver.ts';

const secret = 'whsec_receiver_test';
const sign = (body: string, at: number, key = secret) => `t=${at},v1=${createHmac('sha256', key).update(`${at}.${body}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

describe('the example webhook receiver', () => {
  let receiver: WebhookReceiver | null = null;
  afterEach(async () => {
    await receiver?.stop();
    receiver = null;
  });

  it('says why it refused a delivery, and names a duplicate it skipped', async () => {
    const handled: string[] = [];
    const refused: string[] = [];
    const duplicates: string[] = [];
    receiver = await startWebhookReceiver({
      secret,
      onEvent: (event) => void handled.push(event.id),
      onRefused: (reason) => void refused.push(reason),
      onDuplicate: (event) => void duplicates.push(event.id),
    });
    const body = JSON.stringify({ id: 'evt_1', type: 'charge.succeeded', data: { object: { id: 'ch_1', status: 'succeeded' } } });
    const post = (headers: Record<string, string>) => fetch(receiver!.url, { method: 'POST', headers, body }).then((answer) => answer.status);
    expect(await post({ 'Oncepay-Signature': sign(body, now()) })).toBe(200);
    expect(await post({ 'Oncepay-Signature': sign(body, now()) })).toBe(200);
    expect(await post({})).toBe(400);
    expect(await post({ 'Oncepay-Signature': sign(body, now(), 'whsec_other') })).toBe(400);
    expect(await post({ 'Oncepay-Signature': sign(body, now() - 600) })).toBe(400);
    expect(handled).toEqual(['evt_1']);
    expect(duplicates).toEqual(['evt_1']);
    expect(refused).toEqual([
      'No Oncepay-Signature header',
      'No v1 signature matches this body with this secret (another secret, or a changed body)',
      expect.stringMatching(/^Signed 6\d\d s ago: outside the 300 s tolerance/),
    ]);
  });

  it('takes a delivery signed during a secret’s overlap with either secret, whichever v1 matches', async () => {
    const body = '{"id":"evt_2"}';
    const at = now();
    const both = `${sign(body, at, 'whsec_new')},${sign(body, at).replace(`t=${at},`, '')}`;
    expect(both).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(await signatureProblem(both, body, 'whsec_new', at)).toBeNull();
    expect(await signatureProblem(both, body, secret, at)).toBeNull();
    expect(await signatureProblem(both, body, 'whsec_other', at)).toBe('No v1 signature matches this body with this secret (another secret, or a changed body)');
    // A v1 of another length (truncated, or padded) is no match, never an error.
    expect(await signatureProblem(`t=${at},v1=abc,${sign(body, at).split(',')[1]}`, body, secret, at)).toBeNull();
    expect(await signatureProblem(`t=${at},v1=abc`, body, secret, at)).not.toBeNull();
  });

  it('a header without a time is refused for that', async () => {
    expect(await signatureProblem('v1=abc', '{}', secret)).toBe('No t=<unix seconds> in the signature');
  });
});
