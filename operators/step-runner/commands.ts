import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
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
  const commands = parseJsonEnv<unknown>(env, 'AGENTLAB_COMMANDS', []);
  if (!Array.isArray(commands) || commands.length === 0 || !commands.every((c) => typeof c === 'string')) {
    throw new Error('AGENTLAB_COMMANDS must be a JSON list of command lines, e.g. ["lsblk -J"]');
  }
  const expected = Number(env.AGENTLAB_EXPECT_EXIT_CODE ?? '0');
  if (!Number.isInteger(expected) || expected < 0 || expected > 255) throw new Error(`AGENTLAB_EXPECT_EXIT_CODE=${JSON.stringify(env.AGENTLAB_EXPECT_EXIT_CODE)} is not an exit code (0-255)`);
  const results = await runCommands(commands as string[], expected, async (command) => {
    const r = await exec(command);
    out(`$ ${command}\n${r.output}${r.output === '' || r.output.endsWith('\n') ? '' : '\n'}`);
    if (r.exitCode !== 0) out(`(exit code ${r.exitCode})\n`);
    return r;
  });
  await writeFile(terminationPath, commandsMessage(results));
  return results.every((r) => r.exitCode === expected) ? 0 : 1;
}
