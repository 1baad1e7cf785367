/**
 * `npm start` stopped the way a script stops it (`npm start & … kill $!`): a signal to the npm
 * process, not to the whole group. Nothing it started may be left running: not `start.ts`, not
 * DynamoDB Local's Java process, not a port. Linux: the process tree is read from /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local/net.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Parent of every live (non-zombie) process. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') map.set(Number(entry), Number(ppid));
    } catch {
      // Gone while we read.
    }
  }
  return map;
}

function descendantsOf(root: number): number[] {
  const byParent = parents();
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of byParent) {
      if (parent !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

const stillRunning = (pids: number[]) => {
  const live = parents();
  return pids.filter((pid) => live.has(pid));
};

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

describe.runIf(existsSync('/proc/self/stat'))('stopping npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process stops everything it started, and it printed the walk-through’s export line',
    async (signal) => {
      const [port, sandboxPort] = [await freePort(), await freePort()];
      const outputsDir = mkdtempSync(join(tmpdir(), 'oncepay-stopping-'));
      const npm = spawn('npm', ['start'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
          PORT: String(port),
          SANDBOX_PORT: String(sandboxPort),
          ONCEPAY_OUTPUTS_FILE: join(outputsDir, 'outputs.json'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
      let stdout = '';
      npm.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      npm.stderr.on('data', () => undefined);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`npm start was not ready within 150 s:\n${stdout}`)), 150_000);
          const check = () => {
            if (!stdout.includes('oncepay is ready')) return;
            clearTimeout(timer);
            resolve();
          };
          npm.stdout.on('data', check);
          void exited.then(() => reject(new Error(`npm start exited before it was ready:\n${stdout}`)));
        });
        expect(stdout).toContain(`  export ONCEPAY_URL=http://127.0.0.1:${port} SANDBOX_URL=http://127.0.0.1:${sandboxPort}\n`);
        const tree = descendantsOf(npm.pid!);
        // sh gave way to node (exec), which runs DynamoDB Local's Java process at least.
        expect(tree.length).toBeGreaterThanOrEqual(2);

        npm.kill(signal);
        const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000))]);
        expect(code).not.toBe('hung');
        for (let waited = 0; stillRunning(tree).length > 0 && waited < 10_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
        expect(stillRunning(tree)).toEqual([]);
        expect(await portIsFree(port)).toBe(true);
        expect(await portIsFree(sandboxPort)).toBe(true);
      } finally {
        if (npm.exitCode === null) npm.kill('SIGKILL');
        rmSync(outputsDir, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
