/**
 * `npm start`: the whole of oncepay on this machine, from its CDK template.
 * Ctrl-C or SIGTERM stops every emulator and child process.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { LOCAL_OUTPUTS_FILE } from './cli/stack-outputs.ts';
import { JavaMissingError, requireJava17 } from './local/java.ts';
import { DEMO_MERCHANTS, startLocalStack } from './local/local-stack.ts';

const verbose = process.env['ONCEPAY_VERBOSE'] === '1';
const port = Number(process.env['PORT'] ?? 3000);
const time = () => new Date().toISOString().slice(11, 23);

function printFunctionLog(functionLogicalId: string, line: string): void {
  // Powertools writes JSON lines; show warnings and errors always, the rest when verbose.
  let level: string;
  try {
    level = String((JSON.parse(line) as { level?: unknown }).level ?? 'INFO');
  } catch {
    level = 'INFO';
  }
  if (verbose || level === 'WARN' || level === 'ERROR' || level === 'CRITICAL') {
    console.log(`${time()}   ${functionLogicalId}: ${line}`);
  }
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: PORT must be a port number from 0 to 65535, got "${process.env['PORT']}"`);
    process.exit(2);
  }
  // Before anything starts, so neither leaves anything behind.
  requireJava17();
  await ensurePortIsFree(port);
  console.log('oncepay: synthesizing the CDK app and starting DynamoDB Local, SQS and the processor sandbox…');
  const stack = await startLocalStack({
    port,
    log: (line) => console.log(`${time()} ${line}`),
    onFunctionLog: printFunctionLog,
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping oncepay…`);
    rmSync(LOCAL_OUTPUTS_FILE, { force: true });
    stack
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  mkdirSync(dirname(LOCAL_OUTPUTS_FILE), { recursive: true });
  writeFileSync(LOCAL_OUTPUTS_FILE, stack.outputsFileContent());

  console.log('Demo merchants (test keys, local only):');
  for (const merchant of DEMO_MERCHANTS) console.log(`  ${merchant.name.padEnd(7)} ${merchant.merchantId.padEnd(11)} ${merchant.secretKey}`);
  console.log(`Processor sandbox: ${stack.sandbox.url} (ledger: ${stack.sandbox.url}/_sandbox/ledger)`);
  console.log(`Stack outputs for the CLI: ${LOCAL_OUTPUTS_FILE}`);
  console.log(`oncepay is ready at ${stack.apiUrl}/v1/charges`);
}

class PortBusyError extends Error {}

function portBusyMessage(busy: number): string {
  return `port ${busy} on 127.0.0.1 is in use (another npm start?): stop what uses it, or choose another port: PORT=${busy + 1} npm start`;
}

async function ensurePortIsFree(wanted: number): Promise<void> {
  if (wanted === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortBusyError(portBusyMessage(wanted)) : error),
    );
    probe.listen(wanted, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

main().catch((error: unknown) => {
  // What stopped the start, in one line; the stack only when asked for.
  if (error instanceof JavaMissingError || error instanceof PortBusyError) {
    console.error(`error: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`error: ${portBusyMessage(port)}`);
  } else if (verbose) {
    console.error(`oncepay failed to start: ${(error as Error).stack ?? String(error)}`);
  } else {
    console.error(`error: oncepay failed to start: ${(error as Error).message.split('\n')[0]} (ONCEPAY_VERBOSE=1 npm start shows the stack)`);
  }
  process.exit(1);
});
