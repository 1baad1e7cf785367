import type { TestProject } from 'vitest/node';
import { DEMO_MERCHANTS, LOCAL_CREDENTIALS, startLocalStack } from '../../scripts/local/local-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    sandboxUrl: string;
    region: string;
    endpoints: { dynamodb: string; sqs: string; secretsManager: string };
    outputs: Record<string, string>;
    demoKeys: { acme: string; globex: string };
    credentials: { accessKeyId: string; secretAccessKey: string };
  }
}

/** Starts the embedded stack once for the integration project and stops it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const functionErrors: string[] = [];
  const stack = await startLocalStack({
    port: 0,
    onFunctionLog: (fn, line) => {
      if (/"level":"(ERROR|CRITICAL)"/.test(line)) functionErrors.push(`${fn}: ${line.slice(0, 400)}`);
    },
  });
  project.provide('apiUrl', stack.apiUrl);
  project.provide('sandboxUrl', stack.sandbox.url);
  project.provide('region', stack.region);
  project.provide('endpoints', stack.endpoints);
  project.provide('outputs', stack.outputs);
  project.provide('credentials', LOCAL_CREDENTIALS);
  project.provide('demoKeys', { acme: DEMO_MERCHANTS[0].secretKey, globex: DEMO_MERCHANTS[1].secretKey });
  return async () => {
    await stack.stop();
    if (functionErrors.length > 0 && process.env['ONCEPAY_VERBOSE'] === '1') console.log(functionErrors.join('\n'));
  };
}
