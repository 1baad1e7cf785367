import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEMO_MERCHANTS, LOCAL_CREDENTIALS, startLocalStack } from '../../scripts/local/local-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    sandboxUrl: string;
    region: string;
    endpoints: { dynamodb: string; sqs: string; secretsManager: string; lambda: string };
    faultControlUrl: string;
    outputs: Record<string, string>;
    demoKeys: { acme: string; globex: string };
    credentials: { accessKeyId: string; secretAccessKey: string };
    /** A stack outputs file for the CLI, as `npm start` writes it. */
    outputsFile: string;
  }
}

/** Starts the embedded stack once for the integration project and stops it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const functionErrors: string[] = [];
  const stack = await startLocalStack({
    port: 0,
    // Tests run reconciliation passes themselves, and inject faults through the proxy.
    runSchedules: false,
    faultInjection: true,
    onFunctionLog: (fn, line) => {
      if (/"level":"(ERROR|CRITICAL)"/.test(line)) functionErrors.push(`${fn}: ${line.slice(0, 400)}`);
    },
  });
  project.provide('apiUrl', stack.apiUrl);
  project.provide('sandboxUrl', stack.sandbox.url);
  project.provide('region', stack.region);
  project.provide('endpoints', stack.endpoints);
  project.provide('outputs', stack.outputs);
  project.provide('faultControlUrl', stack.faultControlUrl ?? '');
  project.provide('credentials', LOCAL_CREDENTIALS);
  const outputsDir = mkdtempSync(join(tmpdir(), 'oncepay-outputs-'));
  const outputsFile = join(outputsDir, 'outputs.json');
  writeFileSync(outputsFile, stack.outputsFileContent());
  project.provide('outputsFile', outputsFile);
  project.provide('demoKeys', { acme: DEMO_MERCHANTS[0].secretKey, globex: DEMO_MERCHANTS[1].secretKey });
  return async () => {
    await stack.stop();
    rmSync(outputsDir, { recursive: true, force: true });
    if (functionErrors.length > 0 && process.env['ONCEPAY_VERBOSE'] === '1') console.log(functionErrors.join('\n'));
  };
}
