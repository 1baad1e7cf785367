import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resourcesOfType, type SynthesizedStack } from '../local/template.ts';

export interface ColdStart {
  function: string;
  bundleBytes: number;
  /** Median module initialisation (import of the bundle) in a fresh Node process. */
  initMs: number;
}

/** The bundle-size and initialisation budgets (issue: ≤ 1 MB and ≤ 150 ms here). */
export const BUDGET = { bundleBytes: 1_000_000, initMs: 150 };

/**
 * Per function of the synthesized stacks: the bundle CDK built (minified) and the median time
 * a fresh `node` takes to import it, `runs` times. Every environment variable the function
 * declares gets its literal value or, for a reference, a placeholder, so fail-fast
 * configuration passes without any AWS call.
 */
export function measureColdStarts(stacks: SynthesizedStack[], runs: number): ColdStart[] {
  const results: ColdStart[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
      const bundle = join(stack.assemblyDir, String(resource.Metadata?.['aws:asset:path']), 'index.mjs');
      const variables = ((resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
      // Literal values as the template has them; a placeholder for a reference to another resource.
      for (const [name, value] of Object.entries(variables)) env[name] = typeof value === 'string' ? value : name.endsWith('_URL') ? 'http://127.0.0.1:9' : '1';
      const times: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const child = spawnSync(
          process.execPath,
          ['--input-type=module', '-e', 'const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);', pathToFileURL(bundle).href],
          { env, encoding: 'utf8' },
        );
        if (child.status !== 0) throw new Error(`${logicalId} failed to initialise: ${child.stderr}`);
        times.push(Number(child.stdout.trim()));
      }
      times.sort((a, b) => a - b);
      results.push({
        function: logicalId.replace(/^Service/, '').replace(/Function.*$/, ''),
        bundleBytes: statSync(bundle).size,
        initMs: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
      });
    }
  }
  return results;
}
