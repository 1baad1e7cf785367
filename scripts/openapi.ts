/** `npm run openapi`: regenerates openapi.json from the handlers' schemas. */
import { writeFileSync } from 'node:fs';
import { openApiJson } from './openapi/document.ts';

writeFileSync('openapi.json', openApiJson());
console.log('wrote openapi.json');
