import { AwsJsonFault, startJsonProtocolServer } from './json-protocol-server.ts';

export interface RunningSecretsManager {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * The one Secrets Manager call oncepay makes, `GetSecretValue`, over the real JSON
 * protocol, so the worker reads its processor key locally exactly as it does on AWS.
 */
export async function startSecretsManagerEmulator(secrets: Map<string, string>, region: string): Promise<RunningSecretsManager> {
  const getSecretValue = (input: Record<string, unknown>) => {
    const secretId = String(input['SecretId'] ?? '');
    const value = secrets.get(secretId);
    if (value === undefined) throw new AwsJsonFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      ARN: `arn:aws:secretsmanager:${region}:000000000000:secret:${secretId}`,
      Name: secretId,
      SecretString: value,
      VersionId: 'local',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 0,
    };
  };
  const { url, stop } = await startJsonProtocolServer(
    { 'secretsmanager.GetSecretValue': getSecretValue },
    new AwsJsonFault('UnsupportedOperation', 'Only GetSecretValue is emulated locally'),
  );
  return { endpoint: url, stop };
}
