import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentTool } from '../../../api/generated/agentrun.js';
import { parseDuration } from './duration.js';
import { ToolError } from './errors.js';
import { resolveInJail, type Jail } from './files.js';

/** The shell tool's allow-list with the CRD's defaults applied, and the runner's own limits. */
export interface ShellPolicy {
  /** Exact executable names the agent may run as argv[0] (spec.tools[].shell.allowCommands). */
  allowCommands: string[];
  /** Time limit of one command (spec.tools[].shell.timeout, default 2m). */
  timeoutMs: number;
  /** After the timeout, SIGTERM, then SIGKILL this much later. */
  killGraceMs: number;
  /** stdout and stderr together are kept up to this many bytes; the rest is dropped. */
  maxOutputBytes: number;
  /** The fixed PATH searched for argv[0] (never the workspace). */
  searchPath: string[];
}

export const DEFAULT_SHELL_TIMEOUT = '2m';
export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function shellPolicy(spec: NonNullable<AgentTool['shell']>, limits: Partial<Pick<ShellPolicy, 'killGraceMs' | 'maxOutputBytes' | 'searchPath'>> = {}): ShellPolicy {
  const timeout = spec.timeout ?? DEFAULT_SHELL_TIMEOUT;
  const timeoutMs = parseDuration(timeout);
  if (timeoutMs === undefined) throw new ToolError('InvalidArguments', `shell.timeout: "${timeout}" is not a duration like 30s, 2m or 1h30m`);
  return {
    allowCommands: spec.allowCommands,
    timeoutMs,
    killGraceMs: limits.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxOutputBytes: limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    searchPath: limits.searchPath ?? DEFAULT_SEARCH_PATH,
  };
}

/**
 * Whether argv may run: argv[0] must be exactly one of the allowed names (no path, so /bin/sh
 * or ./ls never match "ls"), and no argument may hold a NUL byte. There is no shell, so
 * `sh -c ...` runs only when sh itself is allowed. Returns the command name.
 */
export function checkCommand(policy: Pick<ShellPolicy, 'allowCommands'>, argv: readonly string[]): string {
  if (argv.length === 0 || argv[0] === '') throw new ToolError('InvalidArguments', 'argv is empty; give the command and its arguments, e.g. ["ls", "-la"]');
  if (argv.some((a) => a.includes('\0'))) throw new ToolError('InvalidArguments', 'an argument contains a NUL byte');
  const name = argv[0];
  if (!policy.allowCommands.includes(name)) {
    throw new ToolError('Forbidden', `command "${name}" is not allowed for this run (allowed: ${policy.allowCommands.join(', ')}); commands are given by name and run without a shell`);
  }
  return name;
}

/** The absolute path of an allowed command, found in the fixed search path only. */
export async function resolveExecutable(name: string, searchPath: readonly string[]): Promise<string> {
  for (const dir of searchPath) {
    const candidate = join(dir, name);
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here; try the next directory
    }
  }
  throw new ToolError('NotFound', `command "${name}" is allowed but not installed in the sandbox (searched ${searchPath.join(':')})`);
}

export interface CommandResult {
  exitCode: number | null;
  /** The signal that ended the command, if one did. */
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Output past maxOutputBytes was dropped (each cut stream ends with a marker saying so). */
  truncated: boolean;
  durationMs: number;
}

const marker = (limit: number, dropped: number) => `\n[agentlab: output truncated at ${limit} bytes of stdout and stderr together; ${dropped} more bytes dropped]`;

/**
 * Runs an allowed command without a shell, in `cwd` (relative to the workspace, which must stay
 * inside it), with a minimal environment (PATH, HOME, LANG: nothing of the runner's own, such as
 * its token). The command gets its own process group, so the timeout (SIGTERM, then SIGKILL
 * after killGraceMs) reaches its children too; whatever it leaves running is killed when it exits.
 */
export async function runCommand(policy: ShellPolicy, workspace: Jail, argv: readonly string[], cwd = '.'): Promise<CommandResult> {
  const name = checkCommand(policy, argv);
  const dir = await resolveInJail(workspace, cwd);
  try {
    if (!(await stat(dir)).isDirectory()) throw new ToolError('Failed', `cwd "${cwd}" is not a directory`);
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw new ToolError('NotFound', `cwd "${cwd}" does not exist`);
  }
  const file = await resolveExecutable(name, policy.searchPath);
  const env = { PATH: policy.searchPath.join(':'), HOME: workspace.workspace, LANG: 'C.UTF-8' };
  const started = Date.now();

  return new Promise<CommandResult>((resolvePromise, reject) => {
    const child = spawn(file, argv.slice(1), { argv0: name, cwd: dir, env, shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const dropped = { stdout: 0, stderr: 0 };
    let keptBytes = 0;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const room = policy.maxOutputBytes - keptBytes;
      if (room >= chunk.length) {
        kept[stream].push(chunk);
        keptBytes += chunk.length;
      } else {
        // Keep reading (so the command is not blocked on a full pipe), but drop the bytes.
        if (room > 0) kept[stream].push(chunk.subarray(0, room));
        keptBytes += Math.max(room, 0);
        dropped[stream] += chunk.length - Math.max(room, 0);
      }
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), policy.killGraceMs);
    }, policy.timeoutMs);

    child.on('exit', () => killGroup('SIGKILL')); // nothing it started outlives it
    child.on('error', (e) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new ToolError('Failed', `${name}: could not start (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      const text = (s: 'stdout' | 'stderr') => Buffer.concat(kept[s]).toString('utf8') + (dropped[s] > 0 ? marker(policy.maxOutputBytes, dropped[s]) : '');
      resolvePromise({
        exitCode, signal, timedOut,
        stdout: text('stdout'), stderr: text('stderr'),
        truncated: dropped.stdout + dropped.stderr > 0,
        durationMs: Date.now() - started,
      });
    });
  });
}
