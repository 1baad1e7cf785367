import { createServer } from 'node:http';
import { listenOnLoopback } from './net.ts';
import { hostsByReference, ThrottledError, type FunctionHost } from './function-host.ts';

export interface RunningLambdaApi {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * The Lambda `Invoke` API (RequestResponse) over the functions of the local stack, so that
 * `@aws-sdk/client-lambda` — and with it `npm run cli -- reconcile` — invokes a function
 * locally exactly as it does on AWS (`AWS_ENDPOINT_URL_LAMBDA`).
 */
export async function startLambdaApi(hosts: FunctionHost[]): Promise<RunningLambdaApi> {
  const byNameOrArn = hostsByReference(hosts);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(request.url ?? '/', 'http://local').pathname);
        const host = match ? byNameOrArn.get(decodeURIComponent(match[1] ?? '')) : undefined;
        if (request.method !== 'POST' || !host) {
          response.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ResourceNotFoundException' });
          response.end(JSON.stringify({ Type: 'User', message: `Function not found: ${match?.[1] ?? request.url}` }));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        let event: unknown;
        try {
          event = text.length > 0 ? JSON.parse(text) : {};
        } catch {
          response.writeHead(400, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'InvalidRequestContentException' });
          response.end(JSON.stringify({ Type: 'User', message: 'Could not parse request body into json' }));
          return;
        }
        let result;
        try {
          result = await host.invoke(event);
        } catch (error) {
          if (!(error instanceof ThrottledError)) throw error;
          response.writeHead(429, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException' });
          response.end(JSON.stringify({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' }));
          return;
        }
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' };
        if (!result.ok) headers['X-Amz-Function-Error'] = 'Unhandled';
        response.writeHead(200, headers);
        response.end(JSON.stringify(result.ok ? result.result : result.error));
      })();
    });
  });
  const { url, stop } = await listenOnLoopback(server);
  return { endpoint: url, stop };
}
