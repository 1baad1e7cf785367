import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles a function entry point as CDK does, but with one module replaced by a mutant that
 * switches a protection off. A test-only build: nothing in `functions/` knows about it.
 */
export async function buildMutantBundle(entry: string, original: string, mutant: string): Promise<string> {
  const originalPath = join(root, original);
  const mutantPath = join(root, mutant);
  const swap: Plugin = {
    name: 'swap-in-mutant',
    setup(context) {
      context.onResolve({ filter: /\.ts$/ }, async (args) => {
        if (args.pluginData === 'resolving' || args.importer === mutantPath) return undefined;
        const resolved = await context.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
        return resolved.path === originalPath ? { path: mutantPath } : undefined;
      });
    },
  };
  const outfile = join(mkdtempSync(join(tmpdir(), 'oncepay-mutant-')), 'index.mjs');
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [swap],
  });
  return outfile;
}
