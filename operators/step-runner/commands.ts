import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_TERMINATION_MESSAGE, parseJsonEnv } from './step.js';

/** One command line's result. */
export interface CommandResult {
  command: string;
  exitCode: number;
  /** stdout and stderr interleaved as they came, bounded (the end is kept). */
  output: string;
}

/** Runs one command line (`sh -c` in a real pod; the node simulator passes a simulated shell). */
export type Exec = (command: string) => Promise<{ exitCode: number; output: string }>;

/** Output kept per command in memory (the end is kept: errors are usually last). */
export const MAX_COMMAND_OUTPUT = 64 * 1024;

/** The termination message of the run-commands role (HardwareTask check and command steps). */
export interface CommandsMessage {
  /** Every command run, in order, with its exit code; the first that broke the rule ends the list. */
  commands: { command: string; exitCode: number }[];
  /** The combined output of all commands run, cut from the front to fit the message. */
  output: string;
  /** Characters dropped from the front of `output`. */
  truncated?: number;
  error?: string;
}

export const keepEnd = (text: string, max: number): { text: string; dropped: number } =>
  text.length <= max ? { text, dropped: 0 } : { text: text.slice(text.length - max), dropped: text.length - max };

/**
 * Runs the command lines in order and stops at the first whose exit code is not `expectedExitCode`
 * (the controller judges outputContains/outputNotContains on the combined output).
 */
export async function runCommands(commands: string[], expectedExitCode: number, exec: Exec): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const command of commands) {
    const r = await exec(command);
    results.push({ command, exitCode: r.exitCode, output: keepEnd(r.output, MAX_COMMAND_OUTPUT).text });
    if (r.exitCode !== expectedExitCode) break;
  }
  return results;
}

/** Pure: the termination message (at most 4096 bytes) of a command run; the output keeps its end. */
export function commandsMessage(results: CommandResult[]): string {
  const commands = results.map((r) => ({ command: r.command.slice(0, 200), exitCode: r.exitCode }));
  const full = results.map((r) => `$ ${r.command}\n${r.output}${r.output.endsWith('\n') || r.output === '' ? '' : '\n'}`).join('');
  let budget = MAX_TERMINATION_MESSAGE - Buffer.byteLength(JSON.stringify({ commands, output: '', truncated: 9_999_999 })) - 16;
  for (;;) {
    const { text, dropped } = keepEnd(full, Math.max(0, budget));
    const msg: CommandsMessage = { commands, output: text, ...(dropped > 0 ? { truncated: dropped } : {}) };
    const json = JSON.stringify(msg);
    if (Buffer.byteLength(json) <= MAX_TERMINATION_MESSAGE) return json;
    budget -= Buffer.byteLength(json) - MAX_TERMINATION_MESSAGE + 8;
  }
}

/** Runs a command line with `sh -c` on this machine (the real pod's container), stdout and stderr combined. */
export const shellExec: Exec = (command) => new Promise((resolve) => {
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const add = (chunk: Buffer) => {
    output = keepEnd(output + chunk.toString('utf8'), MAX_COMMAND_OUTPUT).text;
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  child.on('error', (err) => resolve({ exitCode: 127, output: `${output}sh: ${err.message}\n` }));
  child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal === 'SIGKILL' ? 137 : 143), output }));
});

/**
 * The run-commands role: AGENTLAB_COMMANDS (JSON list of command lines) run in order with `exec`,
 * each echoed to stdout with its output (the container log), the result as the termination
 * message. Exit code 0 when every command exited with AGENTLAB_EXPECT_EXIT_CODE (default 0), else 1.
 */
export async function runCommandsRole(env: NodeJS.ProcessEnv, exec: Exec, terminationPath: string, out: (text: string) => void = (t) => void process.stdout.write(t)): Promise<number> {
  const { commands, expected } = commandsFromEnv(env);
  const results = await runCommands(commands, expected, async (command) => {
    const r = await exec(command);
    out(`$ ${command}\n${r.output}${r.output === '' || r.output.endsWith('\n') ? '' : '\n'}`);
    if (r.exitCode !== 0) out(`(exit code ${r.exitCode})\n`);
    return r;
  });
  await writeFile(terminationPath, commandsMessage(results));
  return results.every((r) => r.exitCode === expected) ? 0 : 1;
}

/** Where a custom image's commands container leaves each command's results for the collector (an emptyDir). */
export const RESULTS_DIR = '/agentlab/results';

/**
 * The POSIX sh script a HardwareTask check or command step with its own image runs its command
 * lines with (`sh -c <script> agentlab-step <command>...`), so the image needs nothing but sh:
 * each line runs with `sh -c`, its combined output goes to <dir>/<n>.out (and the log), its exit
 * code to <dir>/<n>.code; the first code that is not $AGENTLAB_EXPECT_EXIT_CODE ends the list.
 * It always exits 0 so that the collector (collect-commands) runs after it and judges.
 */
export const COMMANDS_SCRIPT = [
  'd="${AGENTLAB_RESULTS_DIR:-/agentlab/results}"',
  'mkdir -p "$d" || exit 0',
  'i=0',
  'for c in "$@"; do',
  '  i=$((i+1))',
  '  printf \'$ %s\\n\' "$c"',
  '  sh -c "$c" >"$d/$i.out" 2>&1 </dev/null',
  '  code=$?',
  '  cat "$d/$i.out"',
  '  echo "$code" >"$d/$i.code"',
  '  [ "$code" = "${AGENTLAB_EXPECT_EXIT_CODE:-0}" ] || break',
  'done',
  'exit 0',
].join('\n');

/** The last `max` characters of a file without reading all of it (a command may print gigabytes). */
async function readEnd(file: string, max: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, max * 4);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    return keepEnd(buf.toString('utf8'), max).text;
  } finally {
    await fh.close();
  }
}

function commandsFromEnv(env: NodeJS.ProcessEnv): { commands: string[]; expected: number } {
  const commands = parseJsonEnv<unknown>(env, 'AGENTLAB_COMMANDS', []);
  if (!Array.isArray(commands) || commands.length === 0 || !commands.every((c) => typeof c === 'string')) {
    throw new Error('AGENTLAB_COMMANDS must be a JSON list of command lines, e.g. ["lsblk -J"]');
  }
  const expected = Number(env.AGENTLAB_EXPECT_EXIT_CODE ?? '0');
  if (!Number.isInteger(expected) || expected < 0 || expected > 255) throw new Error(`AGENTLAB_EXPECT_EXIT_CODE=${JSON.stringify(env.AGENTLAB_EXPECT_EXIT_CODE)} is not an exit code (0-255)`);
  return { commands: commands as string[], expected };
}

/**
 * The collect-commands role: after a custom image ran the command lines with COMMANDS_SCRIPT, reads
 * <AGENTLAB_RESULTS_DIR>/<n>.code and .out for each line of AGENTLAB_COMMANDS (stopping at the first
 * without a code) and writes the same termination message as run-commands. No result at all is an
 * error saying the image needs a POSIX sh.
 */
export async function collectCommandsRole(env: NodeJS.ProcessEnv, terminationPath: string): Promise<number> {
  const { commands, expected } = commandsFromEnv(env);
  const dir = env.AGENTLAB_RESULTS_DIR ?? RESULTS_DIR;
  const results: CommandResult[] = [];
  for (const [i, command] of commands.entries()) {
    const code = await readFile(path.join(dir, `${i + 1}.code`), 'utf8').catch(() => undefined);
    if (code === undefined) break;
    const exitCode = Number(code.trim());
    const output = await readEnd(path.join(dir, `${i + 1}.out`), MAX_COMMAND_OUTPUT).catch(() => '');
    results.push({ command, exitCode: Number.isInteger(exitCode) ? exitCode : 255, output });
  }
  if (results.length === 0) {
    throw new Error(`the commands container left no results in ${dir}: the step's image must have a POSIX sh (/bin/sh) and the volume mounted at ${dir}`);
  }
  await writeFile(terminationPath, commandsMessage(results));
  return results.every((r) => r.exitCode === expected) && results.length === commands.length ? 0 : 1;
}
