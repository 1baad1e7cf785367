/**
 * How long `npm start` takes to say it is ready on this machine: once with nothing kept (it
 * synthesizes and bundles), then `warmRuns` times with the kept assembly of the first run. Every
 * run uses the same free ports (the sandbox's URL is part of what is kept, as with `npm start`'s
 * fixed ports), its own outputs file and synth cache, and is stopped with SIGINT as Ctrl-C stops it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../local/net.ts';

export interface StartupTimes {
  /** Seconds to ready with no kept assembly. */
  coldSeconds: number;
  /** Median seconds to ready with the kept assembly. */
  warmSeconds: number;
  warmRuns: number;
}

const READY = /oncepay is ready at /;

export async function measureStartup(warmRuns: number): Promise<StartupTimes> {
  const scratch = mkdtempSync(join(tmpdir(), 'oncepay-startup-'));
  try {
    const cacheDir = join(scratch, 'synth');
    const ports = { PORT: String(await freePort()), SANDBOX_PORT: String(await freePort()) };
    const coldSeconds = await timeOneStart(cacheDir, join(scratch, 'outputs.json'), ports);
    const warm: number[] = [];
    for (let run = 0; run < warmRuns; run += 1) warm.push(await timeOneStart(cacheDir, join(scratch, 'outputs.json'), ports));
    warm.sort((a, b) => a - b);
    return { coldSeconds, warmSeconds: warm[Math.floor(warm.length / 2)] ?? coldSeconds, warmRuns };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function timeOneStart(cacheDir: string, outputsFile: string, ports: { PORT: string; SANDBOX_PORT: string }): Promise<number> {
  const env = {
    ...process.env,
    ...ports,
    ONCEPAY_SYNTH_CACHE_DIR: cacheDir,
    ONCEPAY_OUTPUTS_FILE: outputsFile,
  };
  const started = performance.now();
  const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    return await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (READY.test(output)) resolve((performance.now() - started) / 1000);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
    });
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}
