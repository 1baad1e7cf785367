/**
 * The fault proxy between a client and the API: each action either reaches the upstream or not,
 * and the client sees a lost answer, a reset or a 500, as the chaos harness's clients do.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultAction, type FaultProxy } from '../../scripts/local/fault-proxy.ts';
import { listenOnLoopback } from '../../scripts/local/net.ts';

describe('fault proxy: the api target', () => {
  let proxy: FaultProxy;
  let stopUpstream: () => Promise<void>;
  const arrived: string[] = [];

  beforeAll(async () => {
    const upstream = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        arrived.push(body);
        response.writeHead(202, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'false' });
        response.end(JSON.stringify({ id: 'ch_1', seen: body }));
      });
    });
    const listening = await listenOnLoopback(upstream);
    stopUpstream = listening.stop;
    proxy = await startFaultProxy();
    proxy.setUpstream('api', listening.url);
  });
  afterAll(async () => {
    await proxy.stop();
    await stopUpstream();
  });

  const addRule = async (action: FaultAction, marker: string) => {
    await fetch(`${proxy.controlUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ target: 'api', operation: 'POST /v1/charges', bodyIncludes: [marker], action }] }),
    });
  };
  const post = (marker: string) =>
    fetch(`${proxy.endpoints.api}/v1/charges`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ marker }) });

  it('passes a request without a rule through, headers and body as they are', async () => {
    const response = await post('plain');
    expect(response.status).toBe(202);
    expect(response.headers.get('idempotent-replayed')).toBe('false');
    expect(await response.json()).toEqual({ id: 'ch_1', seen: '{"marker":"plain"}' });
  });

  it.each<[FaultAction, { reached: boolean; status: number | 'no answer' }]>([
    ['drop-response', { reached: true, status: 'no answer' }],
    ['reset-request', { reached: false, status: 'no answer' }],
    ['error-response', { reached: true, status: 500 }],
    ['error', { reached: false, status: 500 }],
  ])('%s: the request reaches the API: %o', async (action, expected) => {
    const marker = `marker-${action}`;
    await addRule(action, marker);
    const answer = await post(marker).then(
      (response) => response.status,
      () => 'no answer' as const,
    );
    expect(answer).toBe(expected.status);
    expect(arrived.includes(JSON.stringify({ marker }))).toBe(expected.reached);
    // The rule fired once: the next attempt passes.
    expect((await post(marker)).status).toBe(202);
  });

  it("answers a 500 as API Gateway does when an integration fails: {\"message\": …} in JSON", async () => {
    await addRule('error-response', 'marker-body');
    const response = await post('marker-body');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });
});
