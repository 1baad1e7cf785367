import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles a function entry point as CDK does, but with modules replaced by mutants (each pair:
 * original, mutant) that switch a protection off. A test-only build: nothing in `functions/`
 * knows about it.
 */
export async function buildMutantBundle(entry: string, ...swaps: ReadonlyArray<readonly [original: string, mutant: string]>): Promise<string> {
  const mutantFor = new Map(swaps.map(([original, mutant]) => [join(root, original), join(root, mutant)]));
  const mutants = new Set(mutantFor.values());
  const swap: Plugin = {
    name: 'swap-in-mutant',
    setup(context) {
      context.onResolve({ filter: /\.ts$/ }, async (args) => {
        // A mutant imports the module it wraps: that import gets the original.
        if (args.pluginData === 'resolving' || mutants.has(args.importer)) return undefined;
        const resolved = await context.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
        const mutant = mutantFor.get(resolved.path);
        return mutant ? { path: mutant } : undefined;
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
