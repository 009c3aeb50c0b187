import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { collectCommandsRole, commandsMessage, COMMANDS_SCRIPT, runCommands, runCommandsRole, type Exec } from './commands.js';
import { MAX_TERMINATION_MESSAGE } from './step.js';

const fake = (answers: Record<string, { exitCode: number; output: string }>): Exec => async (c) => answers[c] ?? { exitCode: 127, output: `sh: 1: ${c.split(' ')[0]}: not found\n` };

describe('run-commands role', () => {
  it('runs in order and stops at the first command whose exit code is not the expected one', async () => {
    const exec = fake({ a: { exitCode: 0, output: 'A\n' }, b: { exitCode: 2, output: 'B failed\n' }, c: { exitCode: 0, output: 'C\n' } });
    const results = await runCommands(['a', 'b', 'c'], 0, exec);
    expect(results.map((r) => [r.command, r.exitCode])).toEqual([['a', 0], ['b', 2]]);
    expect(await runCommands(['b'], 2, exec)).toHaveLength(1);
  });

  it('keeps the message within 4096 bytes, dropping the front of the output and saying how much', () => {
    const big = 'x'.repeat(10_000) + 'THE END\n';
    const msg = commandsMessage([{ command: 'dmesg', exitCode: 0, output: big }]);
    expect(Buffer.byteLength(msg)).toBeLessThanOrEqual(MAX_TERMINATION_MESSAGE);
    const parsed = JSON.parse(msg);
    expect(parsed.output.endsWith('THE END\n')).toBe(true);
    expect(parsed.truncated).toBe('$ dmesg\n'.length + big.length - parsed.output.length);
    expect(JSON.parse(commandsMessage([{ command: 'echo hi', exitCode: 0, output: 'hi' }]))).toEqual({ commands: [{ command: 'echo hi', exitCode: 0 }], output: '$ echo hi\nhi\n' });
  });

  it('writes the termination message, logs each command and exits 1 when one failed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cmds-'));
    const term = path.join(dir, 'term');
    const log: string[] = [];
    const code = await runCommandsRole({ AGENTLAB_COMMANDS: JSON.stringify(['a', 'nope']) }, fake({ a: { exitCode: 0, output: 'A' } }), term, (t) => void log.push(t));
    expect(code).toBe(1);
    expect(log.join('')).toBe('$ a\nA\n$ nope\nsh: 1: nope: not found\n(exit code 127)\n');
    expect(JSON.parse(await readFile(term, 'utf8')).commands).toEqual([{ command: 'a', exitCode: 0 }, { command: 'nope', exitCode: 127 }]);
  });

  it('names a malformed AGENTLAB_COMMANDS or AGENTLAB_EXPECT_EXIT_CODE', async () => {
    await expect(runCommandsRole({ AGENTLAB_COMMANDS: '{"a":1}' }, fake({}), '/dev/null')).rejects.toThrow('AGENTLAB_COMMANDS must be a JSON list of command lines');
    await expect(runCommandsRole({ AGENTLAB_COMMANDS: '["a"]', AGENTLAB_EXPECT_EXIT_CODE: 'x' }, fake({}), '/dev/null')).rejects.toThrow('AGENTLAB_EXPECT_EXIT_CODE="x" is not an exit code');
  });
});

describe('a custom image: COMMANDS_SCRIPT in the image, then the collect-commands role', () => {
  // The script runs here with this machine's sh on harmless commands, exactly as the pod's
  // commands container runs it (`sh -c <script> agentlab-step <command>...`).
  const runScript = (dir: string, commands: string[], expect = '0') =>
    spawnSync('sh', ['-c', COMMANDS_SCRIPT, 'agentlab-step', ...commands], { env: { PATH: process.env.PATH, AGENTLAB_RESULTS_DIR: dir, AGENTLAB_EXPECT_EXIT_CODE: expect }, encoding: 'utf8' });

  it('runs the lines in order, stops at the first unexpected exit code, always exits 0, and the collector reports like run-commands', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'results-'));
    const r = runScript(dir, ['echo "one; two"', 'echo oops >&2; exit 3', 'echo never']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('$ echo "one; two"\none; two\n$ echo oops >&2; exit 3\noops\n');
    const term = path.join(dir, 'term');
    const code = await collectCommandsRole({ AGENTLAB_COMMANDS: JSON.stringify(['echo "one; two"', 'echo oops >&2; exit 3', 'echo never']), AGENTLAB_RESULTS_DIR: dir }, term);
    expect(code).toBe(1);
    expect(JSON.parse(await readFile(term, 'utf8'))).toEqual({
      commands: [{ command: 'echo "one; two"', exitCode: 0 }, { command: 'echo oops >&2; exit 3', exitCode: 3 }],
      output: '$ echo "one; two"\none; two\n$ echo oops >&2; exit 3\noops\n',
    });
  });

  it('succeeds when every line exits with the expected code', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'results-'));
    expect(runScript(dir, ['exit 2', 'exit 2'], '2').status).toBe(0);
    const term = path.join(dir, 'term');
    expect(await collectCommandsRole({ AGENTLAB_COMMANDS: '["exit 2","exit 2"]', AGENTLAB_EXPECT_EXIT_CODE: '2', AGENTLAB_RESULTS_DIR: dir }, term)).toBe(0);
    expect(JSON.parse(await readFile(term, 'utf8')).commands).toEqual([{ command: 'exit 2', exitCode: 2 }, { command: 'exit 2', exitCode: 2 }]);
  });

  it('says the image needs sh when the commands container left nothing, and keeps only the end of a huge output', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'results-'));
    await expect(collectCommandsRole({ AGENTLAB_COMMANDS: '["lsblk"]', AGENTLAB_RESULTS_DIR: dir }, path.join(dir, 'term')))
      .rejects.toThrow(`the commands container left no results in ${dir}: the step's image must have a POSIX sh (/bin/sh)`);
    await writeFile(path.join(dir, '1.code'), '0\n');
    await writeFile(path.join(dir, '1.out'), `${'x'.repeat(200_000)}THE END\n`);
    const term = path.join(dir, 'term');
    expect(await collectCommandsRole({ AGENTLAB_COMMANDS: '["dmesg"]', AGENTLAB_RESULTS_DIR: dir }, term)).toBe(0);
    const msg = JSON.parse(await readFile(term, 'utf8'));
    expect(msg.output.endsWith('THE END\n')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(msg))).toBeLessThanOrEqual(MAX_TERMINATION_MESSAGE);
  });
});
