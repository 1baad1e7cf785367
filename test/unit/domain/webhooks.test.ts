import { describe, expect, it } from 'vitest';
import { pendingCharge } from '#domain/charge.ts';
import { chargeEvent, eventIdFor, refundEvent } from '#domain/event.ts';
import { pendingRefund } from '#domain/refund.ts';
import { ValidationError } from '#domain/errors.ts';
import { deliveryBackoffSeconds, isPrivateAddress, liveSealedSecrets, parseEndpointRequest, parseRollSecretRequest, signatureHeader, urlProblem } from '#domain/webhook-endpoint.ts';
import { verifySignature } from '../../../scripts/webhook-receiver.ts';

describe('events', () => {
  const charge = pendingCharge('ch_0123456789ABCDEFGHIJkl', 'mer_a', { amount: 500, currency: 'usd', paymentMethod: 'pm_card_visa', description: null, metadata: {} }, 1_700_000_000_000);

  it('are made only by the change that makes an object final, with one id per object and outcome', () => {
    const processing = { ...charge, status: 'processing' as const };
    const succeeded = { ...charge, status: 'succeeded' as const, updatedAt: 1_700_000_005_000 };
    expect(chargeEvent(charge, processing)).toBeNull();
    const event = chargeEvent(processing, succeeded);
    expect(event).toMatchObject({ id: eventIdFor(charge.id, 'charge.succeeded'), object: 'event', type: 'charge.succeeded', created: 1_700_000_005, data: { object: { id: charge.id, status: 'succeeded' } } });
    // The same change seen again (a stream retry) is the same event; a later write to a final charge is none.
    expect(chargeEvent(processing, succeeded)).toEqual(event);
    expect(chargeEvent(succeeded, { ...succeeded, amountRefunded: 100 })).toBeNull();
    expect(chargeEvent(processing, { ...charge, status: 'failed' })?.type).toBe('charge.failed');
  });

  it('call a canceled refund refund.failed', () => {
    const refund = pendingRefund('re_0123456789ABCDEFGHIJkl', 'mer_a', { chargeId: charge.id, amount: 100, reason: null, metadata: {} }, 100, 'usd', 1_700_000_000_000);
    expect(refundEvent({ ...refund, status: 'processing' }, { ...refund, status: 'succeeded' })?.type).toBe('refund.succeeded');
    expect(refundEvent({ ...refund, status: 'processing' }, { ...refund, status: 'canceled' })?.type).toBe('refund.failed');
    expect(refundEvent(undefined, refund)).toBeNull();
  });
});

describe('webhook endpoint URLs', () => {
  const deployed = { allowLoopbackHttp: false };
  const local = { allowLoopbackHttp: true };

  it.each([
    ['https://hooks.example.com/oncepay', deployed, undefined],
    ['http://127.0.0.1:4242/webhooks', local, undefined],
    ['http://127.0.0.1:4242/webhooks', deployed, 'must be https'],
    ['http://127.0.0.1/webhooks', local, 'must be https (or http://127.0.0.1:<port> on the local stage)'],
    ['http://hooks.example.com/', local, 'must be https (or http://127.0.0.1:<port> on the local stage)'],
    ['https://127.0.0.1/x', deployed, 'must not point to a private, loopback or link-local address'],
    ['https://[fd00::1]/x', deployed, 'must not point to a private, loopback or link-local address'],
    ['https://metadata.google.internal/x', deployed, 'must not point to a private, loopback or link-local address'],
    ['https://a:b@hooks.example.com/', deployed, 'must not carry credentials'],
    ['https://[::ffff:127.0.0.1]/', deployed, 'must not point to a private, loopback or link-local address'],
    ['https://[::ffff:169.254.169.254]/latest', deployed, 'must not point to a private, loopback or link-local address'],
    ['https://2130706433/', deployed, 'must not point to a private, loopback or link-local address'],
    // Ports: 443 (written or not) and 8443 only, wherever https is required; the local stage's loopback http is exempt.
    ['https://hooks.example.com:443/oncepay', deployed, undefined],
    ['https://hooks.example.com:8443/oncepay', deployed, undefined],
    ['https://hooks.example.com:8443/oncepay', local, undefined],
    ['https://hooks.example.com:8080/oncepay', deployed, 'must use port 443 or 8443, not 8080'],
    ['https://hooks.example.com:22/', deployed, 'must use port 443 or 8443, not 22'],
    ['https://hooks.example.com:80/', local, 'must use port 443 or 8443, not 80'],
    ['http://127.0.0.1:9/webhooks', local, undefined],
  ])('%s (%o): %s', (url, policy, problem) => {
    expect(urlProblem(url, policy)).toBe(problem);
  });

  it.each([
    ['10.1.2.3', true], ['172.16.0.1', true], ['172.32.0.1', false], ['192.168.1.1', true], ['127.0.0.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['8.8.8.8', false], ['::1', true], ['fe80::1', true], ['fc00::1', true],
    ['::ffff:10.0.0.1', true], ['::ffff:8.8.8.8', false], ['2606:4700::1111', false],
    // Every IPv6 form that carries an IPv4 address, as the URL parser writes them.
    ['::ffff:7f00:1', true], ['::ffff:a9fe:a9fe', true], ['0:0:0:0:0:ffff:a00:1', true], ['::ffff:808:808', false],
    ['::7f00:1', true], ['64:ff9b::a00:1', true], ['64:ff9b:1::1', true], ['2002:7f00:1::', true], ['2002:808:808::', false],
    ['fec0::1', true], ['ff02::1', true], ['::', true], ['not-an-ip', true],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('normalises enabled events: duplicates dropped, sorted, * alone', () => {
    expect(parseEndpointRequest({ url: 'https://h.example.com/', enabled_events: ['refund.failed', 'charge.succeeded', 'refund.failed'] }, deployed).enabledEvents).toEqual(['charge.succeeded', 'refund.failed']);
    expect(parseEndpointRequest({ url: 'https://h.example.com/', enabled_events: ['charge.failed', '*'] }, deployed).enabledEvents).toEqual(['*']);
    expect(() => parseEndpointRequest({ url: 'https://h.example.com/', enabled_events: [] }, deployed)).toThrow();
  });
});

describe('webhook endpoint bodies', () => {
  it('a URL on another port is a 400 naming url', () => {
    const refused = (() => {
      try {
        parseEndpointRequest({ url: 'https://hooks.example.com:9443/x', enabled_events: ['*'] }, { allowLoopbackHttp: false });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems).toEqual([{ field: 'url', message: 'must use port 443 or 8443, not 9443' }]);
  });

  it('a roll overlaps for 0 to 604800 whole seconds, 0 when not said', () => {
    expect(parseRollSecretRequest({})).toEqual({ expiresInSeconds: 0 });
    expect(parseRollSecretRequest({ expires_in: 0 })).toEqual({ expiresInSeconds: 0 });
    expect(parseRollSecretRequest({ expires_in: 604_800 })).toEqual({ expiresInSeconds: 604_800 });
    const problemsOf = (body: Parameters<typeof parseRollSecretRequest>[0]) => {
      try {
        parseRollSecretRequest(body);
      } catch (error) {
        return (error as ValidationError).problems;
      }
      return [];
    };
    expect(problemsOf({ expires_in: 604_801 })).toEqual([{ field: 'expires_in', message: 'must be between 0 and 604800 (7 days)' }]);
    expect(problemsOf({ expires_in: -1 })).toEqual([{ field: 'expires_in', message: 'must be between 0 and 604800 (7 days)' }]);
    expect(problemsOf({ expires_in: 1.5 })).toEqual([{ field: 'expires_in', message: 'must be an integer number of seconds' }]);
    expect(problemsOf({ expires_in: '3600' })).toEqual([{ field: 'expires_in', message: 'must be an integer number of seconds' }]);
    expect(problemsOf({ expires: 3600 })).toEqual([expect.objectContaining({ field: 'expires' })]);
  });
});

describe('signatures', () => {
  it('are t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, as an independent HMAC computes them', () => {
    expect(signatureHeader(['whsec_test'], 1_700_000_000, '{"id":"evt_1"}')).toBe('t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925');
  });

  it('carry one v1 per live secret, the current one first, and either secret verifies', async () => {
    const header = signatureHeader(['whsec_new', 'whsec_test'], 1_700_000_000, '{"id":"evt_1"}');
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64},v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925$/);
    expect(header.split(',')[1]).toBe(signatureHeader(['whsec_new'], 1_700_000_000, '{"id":"evt_1"}').split(',')[1]);
    for (const secret of ['whsec_new', 'whsec_test']) expect(await verifySignature(header, '{"id":"evt_1"}', secret, 1_700_000_000)).toBe(true);
    expect(await verifySignature(header, '{"id":"evt_1"}', 'whsec_other', 1_700_000_000)).toBe(false);
  });

  it('are made with the replaced secret only while its overlap lasts', () => {
    const endpoint = { sealedSecret: 'current', previousSecret: { sealed: 'previous', expiresAt: 2_000 } };
    expect(liveSealedSecrets(endpoint, 1_999)).toEqual(['current', 'previous']);
    expect(liveSealedSecrets(endpoint, 2_000)).toEqual(['current']);
    expect(liveSealedSecrets({ sealedSecret: 'current' }, 0)).toEqual(['current']);
  });

  it('verify within five minutes, with the right secret and body only', async () => {
    const header = signatureHeader(['whsec_test'], 1_700_000_000, '{"id":"evt_1"}');
    expect(await verifySignature(header, '{"id":"evt_1"}', 'whsec_test', 1_700_000_300)).toBe(true);
    expect(await verifySignature(header, '{"id":"evt_1"}', 'whsec_test', 1_700_000_301)).toBe(false);
    expect(await verifySignature(header, '{"id":"evt_2"}', 'whsec_test', 1_700_000_000)).toBe(false);
    expect(await verifySignature(header, '{"id":"evt_1"}', 'whsec_other', 1_700_000_000)).toBe(false);
    expect(await verifySignature(undefined, '{"id":"evt_1"}', 'whsec_test', 1_700_000_000)).toBe(false);
  });
});

describe('delivery backoff', () => {
  it('doubles from the base to the cap', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 12, 13].map((attempt) => deliveryBackoffSeconds(attempt, 2, 3600, noJitter))).toEqual([2, 4, 8, 16, 3600, 3600]);
  });
});
