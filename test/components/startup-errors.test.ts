import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local/net.ts';
import { nodeVersionProblem } from '../../scripts/require-node22.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Runs a command as a new user would; resolves with its exit code and output. Should it not
 * stop by itself (the failure under test not detected, the stack started), its whole process
 * group is sent SIGTERM, which `npm start` answers by stopping everything it started.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGTERM'), 20_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

const npm = (args: string[], env: NodeJS.ProcessEnv) => run('npm', args, env);

/** stderr without the npm warnings this machine's own npm configuration causes. */
const ourLines = (stderr: string) => stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('npm warn'));

describe('the Node version check', () => {
  it.each(['20.20.2', '18.19.0', '22.11.0', '21.7.3'])('refuses Node %s in one line saying how to get 22', (version) => {
    const problem = nodeVersionProblem(version, '22.12.0');
    expect(problem).toBe(
      `error: oncepay needs Node.js 22.12.0 or newer, and this is Node ${version}: ` +
        "run `npm install` first (it puts Node 22 in node_modules/.bin, which npm's scripts use), or `nvm install` (it reads .nvmrc)",
    );
  });

  it.each(['22.12.0', '22.23.3', '23.0.0', '24.1.0'])('accepts Node %s', (version) => {
    expect(nodeVersionProblem(version, '22.12.0')).toBeUndefined();
  });

  it('reads the minimum from package.json’s engines', () => {
    expect(nodeVersionProblem('22.11.9')).toContain('needs Node.js 22.12.0 or newer');
  });
});

// The machine's own Node, when it is older than 22 (as on ours and CI's: Node 20 in /usr/bin).
const OLD_NODE_DIR = ['/usr/bin', '/usr/local/bin']
  .filter((dir) => existsSync(`${dir}/node`) && existsSync(`${dir}/npm`))
  .find((dir) => Number(spawnSync(`${dir}/node`, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim()) < 22);

describe.skipIf(OLD_NODE_DIR === undefined)(`under an older Node${OLD_NODE_DIR ? ` (${OLD_NODE_DIR}/node)` : ' [skipped: no Node older than 22 on this machine]'}`, () => {
  const env = { ...process.env, PATH: `${OLD_NODE_DIR}:/usr/bin:/bin` };

  it('npm’s scripts run the pinned Node 22 from node_modules/.bin: npm test and npm run cli get past the version check', async () => {
    // `--help`: vitest prints its usage and runs nothing (`--version` would run the whole suite).
    const tests = await npm(['test', '--', '--help'], env);
    expect(tests.code).toBe(0);
    expect(tests.stdout).toMatch(/vitest\/\d+/);
    const cli = await npm(['run', 'cli', '--', '--help'], env);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('Usage:');
  });

  it('before npm install (the old Node itself), the check says in one line how to get 22', async () => {
    const result = await run(`${OLD_NODE_DIR}/node`, ['scripts/require-node22.mjs'], env);
    expect(result.code).toBe(1);
    expect(ourLines(result.stderr)).toEqual([expect.stringMatching(/^error: oncepay needs Node\.js 22\.12\.0 or newer, and this is Node \d+\.\d+\.\d+: run `npm install` first/)]);
  });
});

describe('npm start on a busy PORT', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('exits non-zero with one line saying what to do, and leaves nothing running or written', async () => {
    const outputsFile = `${ROOT}.oncepay/outputs.json`;
    const hadOutputs = existsSync(outputsFile);
    const result = await npm(['start'], { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, PORT: String(port) });
    expect(result.code).toBe(1);
    expect(ourLines(result.stderr)).toEqual([
      `error: port ${port} on 127.0.0.1 is in use (another npm start?): stop what uses it, or choose another port: PORT=${port + 1} npm start`,
    ]);
    // It stopped before starting anything: no emulator was announced, no outputs file written.
    expect(result.stdout).not.toContain('synthesizing');
    expect(existsSync(outputsFile)).toBe(hadOutputs);
  });

  it('the sandbox’s busy port gets the same one line, naming SANDBOX_PORT', async () => {
    const result = await npm(['start'], { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, PORT: '0', SANDBOX_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(ourLines(result.stderr)).toEqual([
      `error: port ${port} on 127.0.0.1 is in use (another npm start?): stop what uses it, or choose another port: SANDBOX_PORT=${port + 1} npm start`,
    ]);
    expect(result.stdout).not.toContain('synthesizing');
  });
});

describe('npm start without Java', () => {
  it('exits non-zero with one line saying to install Java 17, before starting anything', async () => {
    // The entry `npm start` runs, with a PATH on which there is no java.
    const result = await run(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'scripts/start.ts'], {
      ...process.env,
      PATH: '/nonexistent',
      PORT: '0',
    });
    expect(result.code).toBe(1);
    expect(ourLines(result.stderr)).toEqual([
      'error: Java 17+ is required for DynamoDB Local and was not found: install a JDK/JRE 17 or newer (e.g. `apt-get install openjdk-17-jre-headless`) and put `java` on PATH.',
    ]);
    expect(result.stdout).not.toContain('synthesizing');
  });
});
