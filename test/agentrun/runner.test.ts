// The agent runner image's entrypoint, spawned as the node simulator spawns it, against a real
// lane router in front of the fake Ollama: runner -> router -> model -> tool -> answer, all real.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRule } from '../../hack/fakes/index.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { startLaneFixture, TOOL_RULES, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
const repoRoot = path.resolve(import.meta.dirname, '../..');
let f: LaneFixture;
let dir: string;

/** Reads a file, hits an error (a command outside the allow-list), and answers. */
const RUNNER_SCRIPT: ScriptRule = {
  when: 'runner-e2e: check the notes',
  steps: [
    { reply: 'I will read the notes.', toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
    { toolCalls: [{ name: 'run_command', arguments: { argv: ['cat', '/etc/passwd'] } }] },
  ],
  reply: 'The notes say the backup runs nightly. The command was refused: {{lastToolResult}}',
};
/** Calls a tool forever. */
const LOOP_SCRIPT: ScriptRule = {
  when: 'runner-e2e: loop',
  steps: Array.from({ length: 10 }, () => ({ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] })),
};

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  f.ollama.setRules([RUNNER_SCRIPT, LOOP_SCRIPT, ...TOOL_RULES]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'runner-e2e-'));
});
afterAll(async () => {
  await f?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface RunnerRun {
  code: number | null;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  termination: string;
}

/** Starts the runner the way hack/nodesim/containers.ts does; `onLine` sees each stdout line. */
function startRunner(name: string, token: string, config: Record<string, unknown>, onLine?: (e: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void): Promise<RunnerRun> {
  return (async () => {
    const home = path.join(dir, name);
    const workspace = path.join(home, 'workspace');
    await mkdir(workspace, { recursive: true });
    await writeFile(path.join(workspace, 'notes.txt'), 'backup: nightly at 02:00\n');
    const configPath = path.join(home, 'run.json');
    const termPath = path.join(home, 'termination-log');
    await writeFile(configPath, JSON.stringify({ run: { namespace: f.ns.private, name, uid: `uid-${name}` }, tools: [{ name: 'files', files: { paths: [workspace] } }, { name: 'shell', shell: { allowCommands: ['echo'] } }], transcript: { includePrompts: false }, ...config }));
    await writeFile(termPath, '');
    const child = spawn(process.execPath, await nodeEntry('operators/agent-runner/main.ts'), {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        HOSTNAME: `${name}-agent`,
        AGENTLAB_TERMINATION_MESSAGE_PATH: termPath,
        AGENTLAB_ROUTER_URL: f.router.url,
        AGENTLAB_ROUTER_TOKEN: token,
        AGENTLAB_RUN_CONFIG: configPath,
        AGENTLAB_WORKSPACE: workspace,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      stdout += `${l}\n`;
      const e = JSON.parse(l) as Record<string, unknown>; // every stdout line is JSON
      lines.push(e);
      onLine?.(e, (s) => child.kill(s));
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    return { code, lines, stdout, stderr, termination: await readFile(termPath, 'utf8') };
  })();
}

function expectNoToken(r: RunnerRun, token: string) {
  expect(r.stdout).not.toContain(token);
  expect(r.stderr).not.toContain(token);
  expect(r.termination).not.toContain(token);
}

describe('agent runner through the lane router', () => {
  it('reads a file, is refused a command, answers: Succeeded with counts, transcript lines and termination message', async () => {
    const { token } = await f.issueToken(f.ns.private, 'runner-ok');
    const before = f.ollama.requests.length;
    const r = await startRunner('runner-ok', token, { model: 'chat', task: 'runner-e2e: check the notes and report.', limits: { maxTurns: 10, maxTokens: 100_000, timeoutSeconds: 120 } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l.type)).toEqual(['start', 'assistant', 'tool_call', 'tool_result', 'tool_call', 'tool_result', 'assistant', 'end']);
    expect(r.lines[0]).toMatchObject({ type: 'start', turn: 0, model: 'chat', tools: ['read_file', 'list_directory', 'write_file', 'delete_path', 'run_command'] });
    expect(r.lines[0]).not.toHaveProperty('task'); // prompts only with includePrompts
    expect(r.stdout).not.toContain('check the notes');
    expect(r.lines[3]).toMatchObject({ type: 'tool_result', turn: 1, name: 'read_file', ok: true, output: expect.stringContaining('backup: nightly at 02:00') });
    expect(r.lines[5]).toMatchObject({ type: 'tool_result', turn: 2, name: 'run_command', ok: false, error: { code: 'Forbidden', message: expect.stringContaining('cat') } });
    expect(r.lines[7]).toMatchObject({ type: 'end', outcome: 'Succeeded', turns: 3, toolCalls: 2, toolErrors: 1 });
    const term = JSON.parse(r.termination);
    expect(term).toMatchObject({ outcome: 'Succeeded', reason: 'Completed', turns: 3, toolCalls: 2, toolErrors: 1 });
    expect(term.result).toMatch(/^The notes say the backup runs nightly\. The command was refused: .*Forbidden/);
    // The model really got the tool results, through the router, in Ollama's API.
    const chats = f.ollama.requests.slice(before).filter((q) => q.path === '/api/chat');
    expect(chats).toHaveLength(3);
    const last = JSON.parse(chats[2].body) as { messages: { role: string; content: string }[]; tools: unknown[] };
    expect(last.messages.filter((m) => m.role === 'tool').map((m) => m.content).join('\n')).toContain('backup: nightly');
    expect(last.tools).toHaveLength(5);
    for (const q of chats) expect(JSON.stringify(q.headers)).not.toContain(token); // the router's key, not the run's, goes upstream
    expectNoToken(r, token);
  }, 60_000);

  it('prints the task and system prompt only when transcript.includePrompts is true', async () => {
    const { token } = await f.issueToken(f.ns.private, 'runner-prompts');
    const r = await startRunner('runner-prompts', token, { model: 'chat', task: 'Say hello.', systemPrompt: 'Be brief.', limits: { maxTurns: 2 }, transcript: { includePrompts: true } });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({ type: 'start', task: 'Say hello.', systemPrompt: 'Be brief.' });
    expect(JSON.parse(r.termination)).toMatchObject({ outcome: 'Succeeded', turns: 1, toolCalls: 0 });
  }, 60_000);

  it('stops at maxTurns: LimitExceeded, exit 2', async () => {
    const { token } = await f.issueToken(f.ns.private, 'runner-turns');
    const r = await startRunner('runner-turns', token, { model: 'chat', task: 'runner-e2e: loop', limits: { maxTurns: 2 } });
    expect(r.code).toBe(2);
    expect(r.lines.at(-2)).toMatchObject({ type: 'limit', reason: 'MaxTurns' });
    expect(JSON.parse(r.termination)).toMatchObject({ outcome: 'LimitExceeded', reason: 'MaxTurns', turns: 2, toolCalls: 2 });
  }, 60_000);

  it("maps the router's 429 for the run's token limit (the Secret's max-tokens) to LimitExceeded/MaxTokens", async () => {
    const { token } = await f.issueToken(f.ns.private, 'runner-tokens', { 'agentlab.dev/max-tokens': '500' });
    const r = await startRunner('runner-tokens', token, { model: 'chat', task: 'runner-e2e: loop', limits: { maxTokens: 100_000 } });
    expect(r.code).toBe(2);
    const term = JSON.parse(r.termination);
    expect(term).toMatchObject({ outcome: 'LimitExceeded', reason: 'MaxTokens', turns: 1, toolCalls: 0 });
    expect(term.message).toMatch(/token budget exhausted/);
    expectNoToken(r, token);
  }, 60_000);

  it('a token the router does not know ends the run as Failed/Unauthorized, exit 1, without the token anywhere', async () => {
    const r = await startRunner('runner-badtoken', 'not-a-token-the-router-knows-1234', { model: 'chat', task: 'Say hello.' });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.termination)).toMatchObject({ outcome: 'Failed', reason: 'Unauthorized', turns: 1 });
    expectNoToken(r, 'not-a-token-the-router-knows-1234');
  }, 60_000);

  it('SIGTERM during a model call: Failed/Cancelled, exit 143, the lines so far kept', async () => {
    const { token } = await f.issueToken(f.ns.private, 'runner-term');
    f.ollama.setFaults({ firstTokenDelayMs: 8_000 });
    try {
      const r = await startRunner('runner-term', token, { model: 'chat', task: 'Say hello slowly.' }, (e, kill) => {
        if (e.type === 'start') setTimeout(() => kill('SIGTERM'), 300);
      });
      expect(r.code).toBe(143);
      expect(r.lines.map((l) => l.type)).toEqual(['start', 'error', 'end']);
      expect(JSON.parse(r.termination)).toMatchObject({ outcome: 'Failed', reason: 'Cancelled', turns: 1 });
    } finally {
      f.ollama.setFaults({});
    }
  }, 60_000);

  it.runIf(cluster.nodeSimulator)('runs as a pod of the agent-runner image: config and workspace from volumes, token from a Secret, JSON lines in kubectl logs, the termination message in the pod status', async () => {
    const ns = f.ns.private;
    const name = 'runner-pod';
    const { token, secret } = await f.issueToken(ns, name);
    const run = { run: { namespace: ns, name, uid: 'uid-pod' }, model: 'chat', task: 'Triage issue #142: read what the workspace holds and answer.', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 10, maxTokens: 100_000, timeoutSeconds: 300 }, transcript: { includePrompts: false } };
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `${name}-config` }, data: { 'run.json': JSON.stringify(run) } } });
    await cluster.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: `${name}-agent`, labels: { 'agentlab.dev/run': name } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'agent',
            image: 'ghcr.io/agentlab/agent-runner:dev',
            env: [
              { name: 'AGENTLAB_ROUTER_URL', value: f.router.url },
              { name: 'AGENTLAB_ROUTER_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'token' } } },
              { name: 'AGENTLAB_RUN_CONFIG', value: '/agentlab/run/run.json' },
              { name: 'AGENTLAB_WORKSPACE', value: '/workspace' },
            ],
            volumeMounts: [{ name: 'config', mountPath: '/agentlab/run', readOnly: true }, { name: 'workspace', mountPath: '/workspace' }],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            terminationMessagePolicy: 'File',
          }],
          volumes: [{ name: 'config', configMap: { name: `${name}-config` } }, { name: 'workspace', emptyDir: {} }],
        },
      },
    });
    const pod = await cluster.waitFor(async () => {
      const p = await cluster.core.readNamespacedPod({ namespace: ns, name: `${name}-agent` });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    }, { what: 'the agent pod to finish', timeoutMs: 60_000 });
    const terminated = pod.status?.containerStatuses?.[0].state?.terminated;
    expect(terminated?.exitCode, terminated?.message).toBe(0);
    const term = JSON.parse(terminated!.message!);
    // The built-in triage script of the fakes: lists the workspace, fails to read ISSUE.md, answers.
    expect(term).toMatchObject({ outcome: 'Succeeded', reason: 'Completed', turns: 3, toolCalls: 2, toolErrors: 1 });
    expect(term.result).toMatch(/^Summary: .*Last tool result: .*NotFound/);
    const logs = await cluster.kubectl(['-n', ns, 'logs', `${name}-agent`]);
    const events = logs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; name?: string; ok?: boolean; error?: { code: string } });
    expect(events.map((e) => e.type)).toEqual(['start', 'assistant', 'tool_call', 'tool_result', 'tool_call', 'tool_result', 'assistant', 'end']);
    expect(events[5]).toMatchObject({ name: 'read_file', ok: false, error: { code: 'NotFound' } });
    expect(logs.stdout).not.toContain(token);
    expect(terminated!.message).not.toContain(token);
  }, 90_000);

  it('a config it cannot use fails with the file and field named', async () => {
    const r = await startRunner('runner-badconfig', 'tok-irrelevant-0000', { model: 'chat', task: 'x', limits: { maxTurns: 0 } });
    expect(r.code).toBe(1);
    const term = JSON.parse(r.termination);
    expect(term).toMatchObject({ outcome: 'Failed', reason: 'ConfigError', turns: 0 });
    expect(term.message).toMatch(/run\.json: limits\.maxTurns: must be a positive integer, got 0/);
  }, 60_000);
});
