import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { sleep } from '../wait.js';

/** A free TCP port on 127.0.0.1 (released before it is returned; fine for test servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The last lines of the process's output, for error messages. */
  tail(lines?: number): string;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

/** Starts a binary with its stdout and stderr going to `logFile`. */
export function startProcess(name: string, binary: string, args: string[], logFile: string): ManagedProcess {
  const log = createWriteStream(logFile);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // The end of the output is also kept in memory: the file may not be flushed yet when the
  // process dies, and that end is what explains why.
  let recent = '';
  const keep = (chunk: Buffer | string): void => {
    log.write(chunk);
    recent = (recent + chunk.toString()).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      keep(`\nfailed to start ${binary}: ${err.message}\n`);
      exitCode = -1;
      resolve(-1);
    });
    // 'close' comes after the output streams ended, so `recent` is complete by then.
    child.on('close', (code) => {
      exitCode = code;
      log.end();
      resolve(code);
    });
  });
  return {
    name,
    child,
    logFile,
    exited,
    tail(lines = 20) {
      return recent.trimEnd().split('\n').slice(-lines).join('\n');
    },
    async stop(graceMs = 10_000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * Polls `probe` until it reports ready, failing early with the process's log when the process
 * exits first, so a bad flag shows kube-apiserver's own complaint instead of a timeout.
 */
export async function waitUntilReady(p: ManagedProcess, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${p.name} exited before ${what}; its log (${p.logFile}) ends with:\n${p.tail()}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${p.name} log (${p.logFile}) ends with:\n${p.tail()}`);
}
