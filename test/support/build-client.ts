import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * Vitest's global setup: builds `oncepay/client` (dist/client, what `import 'oncepay/client'`
 * loads) from client/ before any test imports it, so tests never run a stale build.
 */
export default function buildClient(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.client.json'], { stdio: 'inherit' });
}
