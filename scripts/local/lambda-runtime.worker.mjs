// One Lambda execution environment: a worker thread that loads a function's bundle once
// (the cold start) and then runs one invocation at a time, like the Node.js runtime.
// Plain JavaScript so that it runs in a fresh thread without a TypeScript loader.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { bundlePath, exportName } = workerData;

let handler;
try {
  const module = await import(pathToFileURL(bundlePath).href);
  handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${bundlePath} exports no function "${exportName}"`);
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: describe(error) });
}

parentPort.on('message', async ({ event, context }) => {
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const result = await handler(event, lambdaContext);
    parentPort.postMessage({ type: 'result', result: result === undefined ? null : result });
  } catch (error) {
    parentPort.postMessage({ type: 'error', error: describe(error) });
  }
});

function describe(error) {
  return {
    errorType: error?.name ?? 'Error',
    errorMessage: String(error?.message ?? error),
    stack: typeof error?.stack === 'string' ? error.stack.split('\n') : [],
  };
}
