/**
 * `npm start` keeps its synthesized templates and bundles: a second synth with the same sources
 * and options reads them back (no CDK, no esbuild), and other options get their own.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourcesOfType, synthesize } from '../../scripts/local/template.ts';

describe('the kept synth', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'oncepay-synth-cache-'));
  const cacheDir = join(scratch, 'synth');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const options = (processorApiUrl: string) => ({ stage: 'local', outdir: mkdtempSync(join(scratch, 'out-')), processorApiUrl, cacheDir });

  it('reads the same templates and bundles back while nothing changed, and keeps another set for other options', () => {
    const first = synthesize(options('http://127.0.0.1:12111'));
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const started = performance.now();
    const again = synthesize(options('http://127.0.0.1:12111'));
    expect(performance.now() - started).toBeLessThan(1_000); // read, not synthesized
    expect(again.map((stack) => stack.template)).toEqual(first.map((stack) => stack.template));
    expect(again[0]?.assemblyDir).toBe(first[0]?.assemblyDir);
    expect(again[0]?.assemblyDir.startsWith(cacheDir)).toBe(true);
    const [, worker] = resourcesOfType(again.at(-1)!.template, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ServiceWorkerFunction'))!;
    expect(existsSync(join(again[0]!.assemblyDir, String(worker.Metadata?.['aws:asset:path']), 'index.mjs'))).toBe(true);

    synthesize(options('http://127.0.0.1:12112'));
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });
});
