/**
 * `npm run chaos -- --charges 5000 --merchants 5 --seed 1 [--faults a,b,…] [--concurrency 8]`
 * Runs the chaos harness on a fresh embedded stack, prints progress and the report, and exits
 * non-zero on any violation of I1–I7.
 */
import { parseArgs } from 'node:util';
import { positiveInt, usageError } from './script-args.ts';
import { FAULT_KINDS, formatReport, runChaos, type FaultKind } from './chaos/harness.ts';

let values;
try {
  ({ values } = parseArgs({
    options: {
      charges: { type: 'string', default: '500' },
      merchants: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      faults: { type: 'string', default: 'all' },
      'fault-rate': { type: 'string', default: '0.35' },
      concurrency: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usageError((error as Error).message);
}
const faults =
  values.faults === 'all'
    ? FAULT_KINDS
    : values.faults === 'none'
      ? []
      : values.faults.split(',').map((kind) => {
          if (!(FAULT_KINDS as readonly string[]).includes(kind)) usageError(`unknown fault "${kind}"; known: ${FAULT_KINDS.join(', ')}`);
          return kind as FaultKind;
        });
const faultRate = Number(values['fault-rate']);
if (!(faultRate >= 0 && faultRate <= 1)) usageError('--fault-rate must be between 0 and 1');

const report = await runChaos({
  charges: positiveInt('charges', values.charges),
  merchants: positiveInt('merchants', values.merchants),
  seed: positiveInt('seed', values.seed),
  faults,
  faultRate,
  concurrency: positiveInt('concurrency', values.concurrency),
  onProgress: (line) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`),
});
console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
process.exit(report.violations.length === 0 ? 0 : 1);
