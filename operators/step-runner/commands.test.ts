import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandsMessage, runCommands, runCommandsRole, type Exec } from './commands.js';
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
