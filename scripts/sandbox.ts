/**
 * `npm run sandbox -- [--port 12111] [--host 127.0.0.1]`: the processor sandbox on its own,
 * e.g. for LocalStack's Lambda containers (use --host 0.0.0.0 so they can reach it through
 * host.docker.internal). Its timing (search lag, key TTL, processing time, latency) starts at
 * the defaults and changes at run time through `POST /_sandbox/config`. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { startProcessorSandbox } from './processor-sandbox/sandbox.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '12111' }, host: { type: 'string', default: '127.0.0.1' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`error: --port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const sandbox = await startProcessorSandbox({ port, host: values.host });
console.log(`Processor sandbox on ${values.host}:${port} (key ${sandbox.secretKey}; ledger at /_sandbox/ledger)`);
// An empty change answers the configuration in force.
console.log(`Timing ${JSON.stringify(sandbox.configure({}))}; change it with POST /_sandbox/config`);
const stop = () => void sandbox.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
