import { describe, expect, it } from 'vitest';
import { Oncepay, OncepayApiError, OncepayConnectionError, type Charge } from '../../../client/index.ts';
import { PROBLEM_TYPES } from '../../../functions/shared/problem.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fake fetch answering from a script, recording each request; a fake clock that sleeps instantly. */
function fakeClient(script: Array<(request: Seen) => Response | Error>, retry = {}) {
  const seen: Seen[] = [];
  const sleeps: number[] = [];
  let now = 0;
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const request: Seen = { method: init?.method ?? 'GET', url: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined };
    seen.push(request);
    const next = script[seen.length - 1] ?? script.at(-1);
    const answer = next?.(request);
    if (answer instanceof Error) throw answer;
    return answer;
  }) as typeof globalThis.fetch;
  const client = new Oncepay('sk_test_x', {
    baseUrl: 'http://api.test/',
    fetch,
    retry,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
    newIdempotencyKey: () => 'generated-key',
  });
  return { client, seen, sleeps };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
const charge = (status: Charge['status']) => ({ id: 'ch_1', object: 'charge', status, amount: 1000, currency: 'usd' }) as unknown as Charge;
const problem = (status: number, slug: string, extra: Record<string, unknown> = {}) => ({ type: `https://oncepay.dev/problems/${slug}`, title: slug, status, detail: `${slug}.`, ...extra });
const visa = { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' };

describe('the client keeps one key per logical call', () => {
  it('makes a UUID key for a create without one, and reuses it and the body on every retry', async () => {
    const { client, seen } = fakeClient([() => new Error('ECONNRESET'), () => json(503, problem(503, 'unavailable')), () => json(202, charge('pending'))]);
    await expect(client.charges.create(visa)).resolves.toMatchObject({ id: 'ch_1' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((request) => request.headers['Idempotency-Key']))).toEqual(new Set(['generated-key']));
    expect(new Set(seen.map((request) => request.body))).toEqual(new Set([JSON.stringify(visa)]));
    expect(seen[0]?.headers['Authorization']).toBe('Bearer sk_test_x');
  });

  it('uses the caller’s key when given', async () => {
    const { client, seen } = fakeClient([() => json(202, charge('pending'))]);
    await client.charges.create(visa, { idempotencyKey: 'order-42' });
    expect(seen[0]?.headers['Idempotency-Key']).toBe('order-42');
  });

  it('retries 409 and 429, waiting at least Retry-After', async () => {
    const { client, seen, sleeps } = fakeClient([() => json(409, problem(409, 'request-in-progress')), () => json(429, problem(429, 'rate-limited'), { 'Retry-After': '3' }), () => json(202, charge('pending'))]);
    await client.charges.create(visa);
    expect(seen).toHaveLength(3);
    expect(sleeps[1]).toBeGreaterThanOrEqual(3_000);
  });

  it('never retries another 4xx, and says the outcome is known, with typed fields', async () => {
    const { client, seen } = fakeClient([
      () => json(400, problem(400, 'validation-error', { errors: [{ field: 'amount', message: 'must be between 50 and 99999999 for usd' }] })),
    ]);
    const error = await client.charges.create({ ...visa, amount: 1 }).catch((caught: unknown) => caught);
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(OncepayApiError);
    expect(error).toMatchObject({ status: 400, code: 'validation-error', outcomeUnknown: false, idempotencyKey: 'generated-key', fieldErrors: [{ field: 'amount', message: expect.any(String) }] });
  });

  it.each([
    [422, 'idempotency-key-reused', { differing_fields: ['amount'] }, { differingFields: ['amount'] }],
    [403, 'forbidden', { missing_scope: 'charges:write' }, { missingScope: 'charges:write' }],
    [401, 'unauthorized', { accepted_mode: 'live' }, { acceptedMode: 'live' }],
  ])('reads a %i %s problem’s own fields', async (status, slug, extra, fields) => {
    const { client } = fakeClient([() => json(status, problem(status, slug, extra))]);
    await expect(client.charges.create(visa)).rejects.toMatchObject({ status, code: slug, ...fields });
  });

  it('gives up past its retries with an error that says the outcome is unknown and names the key to retry with', async () => {
    const { client, seen } = fakeClient([() => json(502, problem(502, 'internal-error'))], { maxRetries: 2 });
    const error = (await client.charges.create(visa, { idempotencyKey: 'order-7' }).catch((caught: unknown) => caught)) as OncepayApiError;
    expect(seen).toHaveLength(3);
    expect(error).toMatchObject({ status: 502, outcomeUnknown: true, idempotencyKey: 'order-7' });
  });

  it('gives up at the deadline, after a lost answer: a connection error, outcome unknown, with the key', async () => {
    const { client, seen } = fakeClient([() => new TypeError('fetch failed')], { maxRetries: 100, baseDelayMs: 1_000, maxDelayMs: 1_000, deadlineMs: 2_000 });
    const error = await client.charges.create(visa).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OncepayConnectionError);
    expect(error).toMatchObject({ outcomeUnknown: true, idempotencyKey: 'generated-key' });
    expect(seen.length).toBeLessThanOrEqual(5);
  });

  it.each(Object.values(PROBLEM_TYPES))('types every problem the API answers: $status $type', async ({ type, title, status }) => {
    const { client, seen } = fakeClient([() => json(status, { type, title, status, detail: `${title}.` })], { maxRetries: 2 });
    const error = await client.charges.create(visa, { idempotencyKey: 'order-9' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OncepayApiError);
    const retried = status === 409 || status >= 500;
    // Unknown exactly when the request may have been done: a 5xx, or a 409 (the key's first request may still be running).
    expect(error).toMatchObject({ status, type, code: type.split('/').pop(), detail: `${title}.`, outcomeUnknown: retried, idempotencyKey: 'order-9' });
    expect(seen).toHaveLength(retried ? 3 : 1);
  });

  it('reads an answer API Gateway made itself ({"message": …}) as a problem of its status', async () => {
    const { client } = fakeClient([() => new Response('{"message":"Not Found"}', { status: 404 })]);
    await expect(client.charges.retrieve('ch_x')).rejects.toMatchObject({ status: 404, detail: 'Not Found', outcomeUnknown: false });
  });

  it('does not retry a create the API keeps no key for (a webhook endpoint), except on 429', async () => {
    const { client, seen } = fakeClient([() => json(502, problem(502, 'internal-error'))]);
    await expect(client.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['*'] } as never)).rejects.toMatchObject({ outcomeUnknown: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['Idempotency-Key']).toBeUndefined();
  });
});

describe('waiting for the outcome', () => {
  it('posts, then reads with Prefer: wait until the charge is final', async () => {
    const { client, seen } = fakeClient([() => json(202, charge('pending')), () => json(200, charge('processing')), () => json(200, charge('succeeded'))]);
    await expect(client.charges.create(visa, { waitForOutcome: 30 })).resolves.toMatchObject({ status: 'succeeded' });
    expect(seen.map((request) => `${request.method} ${new URL(request.url).pathname} ${request.headers['Prefer'] ?? ''}`)).toEqual([
      'POST /v1/charges ',
      'GET /v1/charges/ch_1 wait=20',
      'GET /v1/charges/ch_1 wait=20',
    ]);
  });

  it('retrieve takes a wait of its own', async () => {
    const { client, seen } = fakeClient([() => json(200, charge('succeeded'))]);
    await client.charges.retrieve('ch_1', { wait: 5 });
    expect(seen[0]?.headers['Prefer']).toBe('wait=5');
  });
});

describe('lists', () => {
  it('awaits to the first page, and iterates every item across pages by starting_after', async () => {
    const page = (ids: string[], hasMore: boolean) => json(200, { object: 'list', data: ids.map((id) => ({ id })), has_more: hasMore, url: '/v1/charges' });
    const { client, seen } = fakeClient([() => page(['ch_3', 'ch_2'], true), () => page(['ch_3', 'ch_2'], true), () => page(['ch_1'], false)]);
    expect((await client.charges.list({ limit: 2 })).data).toHaveLength(2);
    const ids: string[] = [];
    for await (const item of client.charges.list({ limit: 2 })) ids.push(item.id);
    expect(ids).toEqual(['ch_3', 'ch_2', 'ch_1']);
    expect(new URL(seen[2]?.url ?? '').searchParams.get('starting_after')).toBe('ch_2');
    expect(new URL(seen[2]?.url ?? '').searchParams.get('limit')).toBe('2');
  });
});

describe('what a caller is told when it ends badly', () => {
  it('a failed read while waiting returns the charge as last known: the create succeeded, nothing suggests creating again', async () => {
    const { client } = fakeClient([() => json(202, charge('pending')), () => json(404, problem(404, 'not-found'))]);
    await expect(client.charges.create(visa, { waitForOutcome: 30 })).resolves.toMatchObject({ id: 'ch_1', status: 'pending' });
  });

  it('a read answered at once (no wait applied) is followed by a pause, not at once by another', async () => {
    const { client, seen, sleeps } = fakeClient([() => json(202, charge('pending')), () => json(200, charge('pending')), () => json(200, charge('succeeded'))]);
    await client.charges.create(visa, { waitForOutcome: 30 });
    expect(seen).toHaveLength(3);
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
  });

  it('an outcome stays unknown when an earlier attempt may have been done, whatever the last one answered', async () => {
    const { client } = fakeClient([() => new TypeError('fetch failed'), () => json(429, problem(429, 'rate-limited'))], { maxRetries: 3 });
    await expect(client.charges.create(visa, { idempotencyKey: 'order-9' })).rejects.toMatchObject({ status: 429, outcomeUnknown: true, idempotencyKey: 'order-9' });
    const deleted = fakeClient([() => json(502, problem(502, 'internal-error')), () => json(404, problem(404, 'not-found'))]);
    await expect(deleted.client.webhookEndpoints.delete('we_1')).rejects.toMatchObject({ status: 404, outcomeUnknown: true });
  });

  it('a 429 on the first and every attempt is known not done', async () => {
    const { client } = fakeClient([() => json(429, problem(429, 'rate-limited'))], { maxRetries: 2 });
    await expect(client.charges.create(visa)).rejects.toMatchObject({ status: 429, outcomeUnknown: false });
  });
});
