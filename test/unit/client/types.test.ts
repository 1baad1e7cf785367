import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypes, OPENAPI_FILE } from '../../../scripts/client-types.ts';

describe('the client’s types', () => {
  it('are openapi.json’s as it is now: run `npm run client:types` after changing the API', async () => {
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(await clientTypes());
  });

  it('would notice a change of openapi.json', async () => {
    const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { components: { schemas: { Charge: { properties: Record<string, unknown> } } } };
    document.components.schemas.Charge.properties['captured_at'] = { type: 'integer' };
    expect(await clientTypes(JSON.stringify(document))).not.toBe(readFileSync(CLIENT_TYPES_FILE, 'utf8'));
  });
});
