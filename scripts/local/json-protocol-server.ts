import { createServer } from 'node:http';
import { listenOnLoopback } from './net.ts';

/** An AWS service's own error (`__type`), answered 400 as the service would. */
export class AwsJsonFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A server for AWS's JSON 1.1 protocol (the operation in `X-Amz-Target`, a JSON object in, a
 * JSON object out), which the SDK clients of Secrets Manager and KMS speak: each operation
 * answers its output or throws an {@link AwsJsonFault}. Another operation, or a body that is not
 * a JSON object, is refused as the service refuses it. Loopback only.
 */
export async function startJsonProtocolServer(
  operations: Record<string, (input: Record<string, unknown>) => unknown>,
  unknownOperation: AwsJsonFault,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      const operation = operations[String(request.headers['x-amz-target'])];
      if (!operation) return reply(400, { __type: unknownOperation.type, message: unknownOperation.message });
      try {
        const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsJsonFault('SerializationException', 'The body must be a JSON object');
        return reply(200, operation(input as Record<string, unknown>));
      } catch (error) {
        if (error instanceof AwsJsonFault) return reply(400, { __type: error.type, message: error.message });
        if (error instanceof SyntaxError) return reply(400, { __type: 'SerializationException', message: 'Malformed request body' });
        return reply(500, { __type: 'InternalFailure', message: (error as Error).message });
      }
    });
  });
  return listenOnLoopback(server);
}
