import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookSignatureError } from '../../../client/errors.ts';
import { constructEvent } from '../../../client/webhooks.ts';

const secret = 'whsec_test_secret';
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', created: 1_796_320_000, livemode: false, data: { object: { id: 'ch_1' } } });
const sign = (t: number, raw = body, key = secret) => createHmac('sha256', key).update(`${t}.${raw}`).digest('hex');
const now = 1_796_320_100;

describe('webhooks.constructEvent', () => {
  it('returns the event of a body signed with the secret within the tolerance', async () => {
    const event = await constructEvent(body, `t=${now},v1=${sign(now)}`, secret, { nowSeconds: now });
    expect(event).toMatchObject({ id: 'evt_1', type: 'charge.succeeded', data: { object: { id: 'ch_1' } } });
  });

  it('accepts any v1 while a secret is rolled (two signatures)', async () => {
    await expect(constructEvent(body, `t=${now},v1=${sign(now, body, 'whsec_old')},v1=${sign(now)}`, secret, { nowSeconds: now })).resolves.toMatchObject({ id: 'evt_1' });
  });

  it.each([
    ['no header', undefined],
    ['no timestamp', `v1=${sign(now)}`],
    ['another secret', `t=${now},v1=${sign(now, body, 'whsec_other')}`],
    ['a changed body', `t=${now},v1=${sign(now, `${body} `)}`],
    ['a signature too old', `t=${now - 301},v1=${sign(now - 301)}`],
    ['a signature from the future', `t=${now + 301},v1=${sign(now + 301)}`],
    ['a truncated signature', `t=${now},v1=${sign(now).slice(0, 63)}`],
  ])('refuses %s with WebhookSignatureError', async (_what, header) => {
    await expect(constructEvent(body, header, secret, { nowSeconds: now })).rejects.toBeInstanceOf(WebhookSignatureError);
  });

  it('takes a tolerance of its own', async () => {
    await expect(constructEvent(body, `t=${now - 30},v1=${sign(now - 30)}`, secret, { nowSeconds: now, toleranceSeconds: 10 })).rejects.toThrow(/tolerance/);
  });
});
