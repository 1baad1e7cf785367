import { createServer } from 'node:http';
import { listenOnLoopback } from './net.ts';

export interface RunningSecretsManager {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * The one Secrets Manager call oncepay makes, `GetSecretValue`, over the real JSON
 * protocol, so the worker reads its processor key locally exactly as it does on AWS.
 */
export async function startSecretsManagerEmulator(secrets: Map<string, string>, region: string): Promise<RunningSecretsManager> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return reply(400, { __type: 'UnsupportedOperation', message: 'Only GetSecretValue is emulated locally' });
      }
      let secretId: string;
      try {
        secretId = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId ?? '');
      } catch {
        return reply(400, { __type: 'InvalidRequestException', message: 'Malformed request body' });
      }
      const value = secrets.get(secretId);
      if (value === undefined) {
        return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      }
      return reply(200, {
        ARN: `arn:aws:secretsmanager:${region}:000000000000:secret:${secretId}`,
        Name: secretId,
        SecretString: value,
        VersionId: 'local',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 0,
      });
    });
  });
  const { url, stop } = await listenOnLoopback(server);
  return { endpoint: url, stop };
}
