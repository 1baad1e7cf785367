import { describe, expect, it } from 'vitest';
import {
  ProcessorEventRefusedError,
  SECRET_REREAD_AFTER_MS,
  SecretStoreWebhookVerifier,
} from '../../functions/adapters/processor/stripe-webhook-verifier.ts';
import { stripeSignatureHeader } from '../../scripts/processor-sandbox/webhooks.ts';

const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'refund.failed', created: 1_800_000_000, data: { object: { id: 're_1', object: 'refund' } } });

/** A clock in milliseconds, the signature's time following it, and a secret store that counts its reads. */
function world(secret: string) {
  const state = { nowMs: 1_800_000_000_000, secret, reads: 0, failNextRead: false };
  const verifier = new SecretStoreWebhookVerifier(
    async () => {
      state.reads += 1;
      if (state.failNextRead) {
        state.failNextRead = false;
        throw new Error('secrets manager is down');
      }
      return state.secret;
    },
    () => state.nowMs,
  );
  const signedWith = (signingSecret: string) => stripeSignatureHeader(body, signingSecret, Math.floor(state.nowMs / 1000));
  return { state, verifier, signedWith };
}

describe('the signing secret, read from where the stage keeps it', () => {
  it('verifies with one read for many deliveries, and reads what the event names', async () => {
    const { state, verifier, signedWith } = world('whsec_one');
    for (let delivery = 0; delivery < 5; delivery += 1) {
      expect(await verifier.verify(body, signedWith('whsec_one'))).toEqual({ id: 'evt_1', type: 'refund.failed', objectId: 're_1', created: 1_800_000_000 });
    }
    expect(state.reads).toBe(1);
  });

  it('after a roll, reads the secret again once its copy is a minute old, and then uses the new one', async () => {
    const { state, verifier, signedWith } = world('whsec_old');
    await verifier.verify(body, signedWith('whsec_old'));
    state.secret = 'whsec_new';
    // Within the minute the copy is trusted: a refusal does not read again.
    await expect(verifier.verify(body, signedWith('whsec_new'))).rejects.toBeInstanceOf(ProcessorEventRefusedError);
    expect(state.reads).toBe(1);
    state.nowMs += SECRET_REREAD_AFTER_MS;
    expect((await verifier.verify(body, signedWith('whsec_new'))).id).toBe('evt_1');
    expect(state.reads).toBe(2);
    await verifier.verify(body, signedWith('whsec_new'));
    expect(state.reads).toBe(2);
  });

  it('a flood of forged deliveries reads the secret at most once a minute and verifies none', async () => {
    const { state, verifier, signedWith } = world('whsec_real');
    // One a second for a little over two minutes.
    for (let forged = 0; forged < 130; forged += 1) {
      await expect(verifier.verify(body, signedWith('whsec_forger'))).rejects.toBeInstanceOf(ProcessorEventRefusedError);
      state.nowMs += 1_000;
    }
    // The first read, one after the first minute, one after the second.
    expect(state.reads).toBe(3);
  });

  it('does not keep a failed read: the next delivery reads again', async () => {
    const { state, verifier, signedWith } = world('whsec_one');
    state.failNextRead = true;
    await expect(verifier.verify(body, signedWith('whsec_one'))).rejects.toThrow('secrets manager is down');
    expect((await verifier.verify(body, signedWith('whsec_one'))).id).toBe('evt_1');
    expect(state.reads).toBe(2);
  });
});
