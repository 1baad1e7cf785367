/**
 * The answer kept for an idempotency key is stored deflated (it is most of a charge item, and
 * every write pays for the item by the kilobyte), and read back byte for byte whichever way it
 * arrives: binary from a read, base64 from a stream record (as Lambda delivers binary), or the
 * JSON itself from an item written before.
 */
import { describe, expect, it } from 'vitest';
import { packResponseBody, unpackResponseBody } from '#adapters/stored-response.ts';
import { mendImage } from '../../scripts/local/dynamodb-stream-event-source.ts';

const body = JSON.stringify({ id: 'ch_0123456789ABCDEFGHIJklmn', object: 'charge', status: 'pending', amount: 2000, currency: 'usd', description: 'Ordre n° 1001 — café', metadata: {} });

describe('the stored response', () => {
  it('is smaller than the JSON, and reads back byte for byte from binary, base64 and the plain JSON', () => {
    const packed = packResponseBody(body);
    expect(packed.byteLength).toBeLessThan(Buffer.byteLength(body));
    expect(unpackResponseBody(packed)).toBe(body);
    expect(unpackResponseBody(Buffer.from(packed).toString('base64'))).toBe(body);
    expect(unpackResponseBody(body)).toBe(body);
  });

  it('reaches the events function as Lambda delivers binary: base64 text in the stream record', () => {
    const packed = packResponseBody(body);
    const image = mendImage({ pk: { S: 'CHARGE#ch_1' }, response_body: { B: packed }, empty: {} });
    expect(image).toEqual({ pk: { S: 'CHARGE#ch_1' }, response_body: { B: Buffer.from(packed).toString('base64') }, empty: { M: {} } });
    expect(unpackResponseBody((image?.['response_body'] as { B: string }).B)).toBe(body);
  });
});
