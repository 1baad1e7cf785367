/**
 * `npm start`: the whole of oncepay on this machine, from its CDK template, on fixed ports
 * (`PORT`, 3000; `SANDBOX_PORT`, 12111) so the README's commands work as printed.
 * Ctrl-C, SIGINT or SIGTERM (to this process or to the npm that runs it: the script `exec`s it)
 * stops every emulator and child process, also while it is still starting.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_OUTPUTS_FILE } from './cli/stack-outputs.ts';
import { JavaMissingError, requireJava17 } from './local/java.ts';
import { DEMO_MERCHANTS, startLocalStack, type LocalStack } from './local/local-stack.ts';

const verbose = process.env['ONCEPAY_VERBOSE'] === '1';
const port = Number(process.env['PORT'] ?? 3000);
/** The processor sandbox's port: fixed, so its ledger URL can be copied from the README. */
const DEFAULT_SANDBOX_PORT = 12111;
const sandboxPort = Number(process.env['SANDBOX_PORT'] ?? DEFAULT_SANDBOX_PORT);
/** `ONCEPAY_API_TYPE=http npm start` serves the HTTP API (payload 2.0) instead of the REST API. */
const apiType = process.env['ONCEPAY_API_TYPE'] ?? 'rest';
const time = () => new Date().toISOString().slice(11, 23);
/** Synthesized templates and bundles kept between starts (rebuilt when a source changes): see `synthesize`. */
const SYNTH_CACHE_DIR = process.env['ONCEPAY_SYNTH_CACHE_DIR'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'oncepay', 'synth');

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
  for (const [name, value] of [['PORT', port], ['SANDBOX_PORT', sandboxPort]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      console.error(`error: ${name} must be a port number from 0 to 65535, got "${process.env[name]}"`);
      process.exit(2);
    }
  }
  if (apiType !== 'rest' && apiType !== 'http') {
    console.error(`error: ONCEPAY_API_TYPE must be rest or http, got "${apiType}"`);
    process.exit(2);
  }
  // Before anything starts, so neither leaves anything behind.
  requireJava17();
  await ensurePortIsFree(port, 'PORT');
  await ensurePortIsFree(sandboxPort, 'SANDBOX_PORT');

  // A signal while starting stops what has started once it has; the default would kill this
  // process and leave DynamoDB Local's Java process running.
  let stack: LocalStack | null = null;
  let stopping: string | null = null;
  const shutdown = (signal: string) => {
    if (stopping !== null && stack === null) return;
    if (stopping === null) console.log(`\n${signal}: stopping oncepay…`);
    stopping = signal;
    if (stack === null) return;
    const running = stack;
    stack = null;
    rmSync(LOCAL_OUTPUTS_FILE, { force: true });
    running
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  console.log('oncepay: synthesizing the CDK app and starting DynamoDB Local, SQS and the processor sandbox…');
  stack = await startLocalStack({
    port,
    sandboxPort,
    synthCacheDir: SYNTH_CACHE_DIR,
    apiType,
    log: (line) => console.log(`${time()} ${line}`),
    onFunctionLog: printFunctionLog,
  });
  if (stopping !== null) return shutdown(stopping);

  mkdirSync(dirname(LOCAL_OUTPUTS_FILE), { recursive: true });
  writeFileSync(LOCAL_OUTPUTS_FILE, stack.outputsFileContent());

  console.log('Demo merchants (test keys, local only):');
  for (const merchant of DEMO_MERCHANTS) console.log(`  ${merchant.name.padEnd(7)} ${merchant.merchantId.padEnd(11)} ${merchant.secretKey}`);
  console.log(`Processor sandbox: ${stack.sandbox.url} (ledger: ${stack.sandbox.url}/_sandbox/ledger)`);
  console.log(`Stack outputs for the CLI: ${LOCAL_OUTPUTS_FILE}`);
  console.log('For the walk-through, in another terminal:');
  console.log(`  export ONCEPAY_URL=${stack.apiUrl} SANDBOX_URL=${stack.sandbox.url}`);
  console.log(`oncepay is ready at ${stack.apiUrl}/v1/charges`);
}

class PortBusyError extends Error {}

function portBusyMessage(busy: number, variable: 'PORT' | 'SANDBOX_PORT'): string {
  return `port ${busy} on 127.0.0.1 is in use (another npm start?): stop what uses it, or choose another port: ${variable}=${busy + 1} npm start`;
}

async function ensurePortIsFree(wanted: number, variable: 'PORT' | 'SANDBOX_PORT'): Promise<void> {
  if (wanted === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortBusyError(portBusyMessage(wanted, variable)) : error),
    );
    probe.listen(wanted, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

main().catch((error: unknown) => {
  // What stopped the start, in one line; the stack only when asked for.
  if (error instanceof JavaMissingError || error instanceof PortBusyError) {
    console.error(`error: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    // Taken between the check and the start.
    console.error(`error: ${portBusyMessage(port, 'PORT')} (or SANDBOX_PORT=${sandboxPort + 1})`);
  } else if (verbose) {
    console.error(`oncepay failed to start: ${(error as Error).stack ?? String(error)}`);
  } else {
    console.error(`error: oncepay failed to start: ${(error as Error).message.split('\n')[0]} (ONCEPAY_VERBOSE=1 npm start shows the stack)`);
  }
  process.exit(1);
});
