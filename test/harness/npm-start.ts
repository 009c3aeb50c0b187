import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm start -- <args>` run as a person runs it from a terminal: the real package.json script, in
 * its own process group (a terminal's foreground job), so a test can send a signal to the whole
 * group as Ctrl-C does, or to npm's pid alone as `kill -INT <pid>` does.
 */
export interface NpmStart {
  child: ChildProcessWithoutNullStreams;
  /** npm's pid, which is also the process group's id. */
  pid: number;
  stdout(): string;
  stderr(): string;
  /** npm's exit: its code, or the signal that killed it. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when no process of the group is left. */
  groupGone(timeoutMs?: number): Promise<void>;
  /** SIGKILLs whatever is left of the group (afterAll). */
  kill(): void;
}

export async function npmStart(args: string[], opts: { readyTimeoutMs?: number } = {}): Promise<NpmStart> {
  const child = spawn('npm', ['start', '--', ...args], { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const pid = child.pid!;
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const started: NpmStart = {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exit,
    groupGone: (timeoutMs = 15_000) => waitFor(() => !groupAlive(), { timeoutMs, intervalMs: 100, what: `every process of npm start's group ${pid} to exit` }).then(() => undefined),
    kill() {
      if (groupAlive()) process.kill(-pid, 'SIGKILL');
    },
  };
  const ready = waitFor(() => out.includes('AgentLab is running'), { timeoutMs: opts.readyTimeoutMs ?? 180_000, intervalMs: 200, what: 'npm start to print "AgentLab is running"' });
  const early = exit.then(async (e) => {
    await sleep(100);
    throw new Error(`npm start exited before it was ready (code ${e.code}, signal ${e.signal})`);
  });
  try {
    await Promise.race([ready, early]);
  } catch (e) {
    started.kill();
    throw new Error(`${(e as Error).message}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`);
  }
  early.catch(() => {});
  return started;
}
