// A benchmark's helper process (operator, router, fake Ollama) started with tsx, or compiled as
// the images run it (`compiled`, test/harness/node-entry.ts): it prints
// "<name> <value>" lines once listening and answers "cpu" on stdin with "cpu <microseconds>", its
// own user + system CPU, so each figure is that process's alone.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

export interface BenchChild { proc: ChildProcess; urls: Record<string, string>; cpuMicros(): Promise<number>; stop(): Promise<void> }

export interface BenchChildOptions {
  /** Run its JavaScript compiled as the images do (no tsx loader) instead of through tsx. */
  compiled?: boolean;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Starts test/bench/<script>; resolves once every `expect` name has been printed. */
export async function benchChild(script: string, env: Record<string, string>, expect: string[], opts: BenchChildOptions = {}): Promise<BenchChild> {
  // Imported here: the helpers import this module for answerCpu, and need no compiler.
  const entry = opts.compiled ? await (await import('../harness/node-entry.js')).nodeEntry(path.join('test', 'bench', script)) : ['--import', 'tsx', path.join(here, script)];
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry], { cwd: repo, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const cpuWaiters: ((n: number) => void)[] = [];
  const urls: Record<string, string> = {};
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      const [name, value] = line.split(' ', 2);
      if (name === 'cpu') cpuWaiters.shift()?.(Number(value));
      else if (expect.includes(name)) urls[name] = value;
      if (expect.every((e) => urls[e]) && name !== 'cpu') {
        resolve({ proc, urls, stop, cpuMicros: () => new Promise((r) => { cpuWaiters.push(r); proc.stdin!.write('cpu\n'); }) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

/**
 * In a helper process: answer "cpu" on stdin with this process's CPU time, and exit when stdin
 * closes (the benchmark is gone, however it ended: no helper outlives it).
 */
export function answerCpu(): void {
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(`cpu ${u.user + u.system}\n`);
    }
  }).on('close', () => process.exit(0));
}
