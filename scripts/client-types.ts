/**
 * `npm run client:types`: writes client/openapi-types.ts, the client's types, from openapi.json
 * with openapi-typescript. test/unit/client/types.test.ts fails when openapi.json changed and
 * this was not run again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));
export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../client/openapi-types.ts', import.meta.url));

const HEADER = '// Generated from openapi.json by `npm run client:types` (openapi-typescript). Do not edit.\n\n';

/** The types openapi-typescript makes of the document, as the file holds them. */
export async function clientTypes(document: string = readFileSync(OPENAPI_FILE, 'utf8')): Promise<string> {
  const ast = await openapiTS(JSON.parse(document) as Parameters<typeof openapiTS>[0]);
  return HEADER + astToString(ast);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CLIENT_TYPES_FILE, await clientTypes());
  console.log(`wrote ${CLIENT_TYPES_FILE}`);
}
