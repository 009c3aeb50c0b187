import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from './errors.js';
import { filesPolicy, openJail, type Jail } from './files.js';
import { checkCommand, runCommand, shellPolicy, type ShellPolicy } from './shell.js';

let base: string;
let ws: Jail;
const policy = (allowCommands: string[], over: Partial<ShellPolicy> = {}, timeout = '10s'): ShellPolicy =>
  ({ ...shellPolicy({ allowCommands, timeout }), ...over });

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'agentlab-shell-'));
  await mkdir(join(base, 'ws', 'sub'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await symlink(join(base, 'outside'), join(base, 'ws', 'out'));
  ws = await openJail(filesPolicy({ paths: [join(base, 'ws')] }));
});
afterAll(() => rm(base, { recursive: true, force: true }));

const refusal = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof ToolError ? `${e.code}: ${e.message}` : String(e);
  }
};

describe('checkCommand', () => {
  it.each([
    [['ls'], ['ls', '-la'], 'ok'],
    [['ls'], ['rm', '-rf', '/'], 'Forbidden: command "rm" is not allowed'],
    [['ls'], ['sh', '-c', 'ls; rm -rf /'], 'Forbidden: command "sh" is not allowed'],
    [['ls'], ['/bin/ls'], 'Forbidden: command "/bin/ls" is not allowed'],
    [['ls'], ['./ls'], 'Forbidden'],
    [['ls'], ['ls ', '-la'], 'Forbidden'],
    [['ls'], ['LS'], 'Forbidden'],
    [['ls'], [], 'InvalidArguments: argv is empty'],
    [['ls'], [''], 'InvalidArguments'],
    [['ls'], ['ls', 'a\0b'], 'InvalidArguments: an argument contains a NUL byte'],
    [['git', 'rg'], ['rg', 'TODO'], 'ok'],
  ])('allow %j, run %j -> %s', (allow, argv, expected) => {
    expect(refusal(() => checkCommand({ allowCommands: allow }, argv))).toContain(expected);
  });
});

describe('runCommand', () => {
  it('runs an allowed command without a shell: metacharacters are plain arguments', async () => {
    const r = await runCommand(policy(['echo']), ws, ['echo', 'a;', '$(id)', '|', '*']);
    expect(r).toMatchObject({ exitCode: 0, signal: null, timedOut: false, stdout: 'a; $(id) | *\n', stderr: '', truncated: false });
  });

  it('gives the command a minimal environment, without the runner\'s own variables', async () => {
    process.env.AGENTLAB_TEST_SECRET = 'token';
    try {
      const r = await runCommand(policy(['env']), ws, ['env']);
      expect(r.stdout.trim().split('\n').sort()).toEqual(['HOME=' + ws.workspace, 'LANG=C.UTF-8', expect.stringMatching(/^PATH=\/usr\/local\/sbin:/)].sort());
    } finally {
      delete process.env.AGENTLAB_TEST_SECRET;
    }
  });

  it('runs in cwd inside the workspace and refuses one outside', async () => {
    expect((await runCommand(policy(['pwd']), ws, ['pwd'], 'sub')).stdout).toBe(`${join(ws.workspace, 'sub')}\n`);
    await expect(runCommand(policy(['pwd']), ws, ['pwd'], '..')).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(runCommand(policy(['pwd']), ws, ['pwd'], 'out')).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(runCommand(policy(['pwd']), ws, ['pwd'], '/etc')).rejects.toMatchObject({ code: 'Forbidden' });
  });

  it('never runs a file of the same name planted in the workspace', async () => {
    const planted = join(ws.workspace, 'ls');
    await writeFile(planted, '#!/bin/sh\necho planted\n');
    await chmod(planted, 0o755);
    const r = await runCommand(policy(['ls']), ws, ['ls']);
    expect(r.stdout).not.toContain('planted');
    expect(r.stdout).toContain('sub');
    await rm(planted);
  });

  it('refuses an allowed command that is not installed', async () => {
    await expect(runCommand(policy(['no-such-command-agentlab']), ws, ['no-such-command-agentlab'])).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('stops a command at the timeout with SIGTERM', async () => {
    const r = await runCommand(policy(['sleep'], {}, '200ms'), ws, ['sleep', '30']);
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM', exitCode: null });
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('kills a command that ignores SIGTERM with SIGKILL after the grace period, children included', async () => {
    const r = await runCommand(policy(['sh'], { killGraceMs: 200 }, '200ms'), ws, ['sh', '-c', 'trap "" TERM; sleep 30 & wait; sleep 30']);
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('keeps at most maxOutputBytes of stdout and stderr together, with a marker', async () => {
    const r = await runCommand(policy(['sh'], { maxOutputBytes: 1000 }), ws, ['sh', '-c', 'head -c 600 /dev/zero | tr "\\0" a; head -c 100000 /dev/zero | tr "\\0" b >&2']);
    expect(r.truncated).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('a'.repeat(600));
    expect(r.stderr).toBe(`${'b'.repeat(400)}\n[agentlab: output truncated at 1000 bytes of stdout and stderr together; 99600 more bytes dropped]`);
  });

  it('reports a failing command\'s exit code', async () => {
    const r = await runCommand(policy(['ls']), ws, ['ls', 'missing-file']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('missing-file');
  });
});
