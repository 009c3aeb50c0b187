import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary, runKubectl } from './harness/kubectl.js';
import { npmStart, type NpmStart } from './harness/npm-start.js';
import { waitFor } from './harness/wait.js';

// The README's "Run an agent" as a person does it: `npm start` (the real package.json script,
// its own embedded control plane, a fresh --state-dir), then the README's commands in a shell,
// with the KUBECONFIG line npm start printed: approve the triage example as yourself, wait for
// Succeeded, read the result and the transcript.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN = 'triage-portal-login';
const NS = 'msp-clients';

/** The fenced sh block under a README heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README.md has a "${heading}" section`).toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, `a sh block under "${heading}"`).not.toBeNull();
  return block![1];
}

interface Run {
  status?: {
    phase?: string; result?: string; lane?: string;
    approval?: { decision?: string; decidedBy?: string; via?: string; reason?: string };
    transcriptRef?: { configMapName?: string; key?: string };
    usage?: { totalTokens?: number; provider?: string; toolCalls?: number; toolErrors?: number };
    issue?: { provider?: string; number?: number; url?: string };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

describe('npm start: the triage example runs end to end once approved', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-dev-agentrun-'));
  const stateDir = path.join(dir, 'state');
  const target = { kubeconfigPath: path.join(stateDir, 'kubeconfig'), cacheDir: path.join(dir, 'kubectl-cache') };
  const getRun = async (name: string): Promise<Run> => JSON.parse((await runKubectl(target, ['-n', NS, 'get', 'agentrun', name, '-o', 'json'])).stdout) as Run;
  let dev: NpmStart;

  beforeAll(async () => {
    dev = await npmStart(['--state-dir', stateDir, '--interval', '1', '--log-level', 'warn']);
  });

  afterAll(() => {
    dev?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs the chart\'s approval policy, so the run waits for a person instead of being Stalled', async () => {
    expect(dev.stderr()).not.toContain('approval policy agentlab-approvals is not installed');
    const run = await waitFor(async () => {
      const r = await getRun(RUN);
      return r.status?.phase === 'AwaitingApproval' ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: `${RUN} to await approval` });
    expect(run.status?.conditions?.find((c) => c.type === 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval' });
    const policies = await runKubectl(target, ['get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-o', 'name']);
    expect(policies.stdout).toContain('validatingadmissionpolicy.admissionregistration.k8s.io/agentlab-approvals');
    expect(policies.stdout).toContain('validatingadmissionpolicybinding.admissionregistration.k8s.io/agentlab-approvals');
  }, 90_000);

  it('runs the README\'s commands: approve as yourself, Succeeded, result and transcript', async () => {
    const block = readmeBlock('### Run an agent');
    const printed = dev.stdout().split('\n').map((l) => l.trim()).find((l) => l.startsWith('export KUBECONFIG='));
    expect(printed, 'npm start prints export KUBECONFIG=...').toBe(`export KUBECONFIG=${target.kubeconfigPath}`);
    // The README's export line, as a person copies the one npm start printed.
    const script = ['set -e', ...block.split('\n').map((l) => (l.startsWith('export KUBECONFIG=') ? printed! : l))].join('\n');
    const kubectlDir = path.dirname(kubectlBinary());
    const env = { ...process.env, PATH: kubectlDir === '.' ? process.env.PATH : `${kubectlDir}:${process.env.PATH}` };
    const sh = spawnSync('sh', ['-c', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
    expect(sh.status, `${sh.stdout}\n${sh.stderr}`).toBe(0);
    expect(sh.stdout).toMatch(new RegExp(`${RUN}\\s+AwaitingApproval`));
    expect(sh.stdout).toContain(`agentrun.agentlab.dev/${RUN} approved by admin`);
    expect(sh.stdout).toContain(`agentrun.agentlab.dev/${RUN} condition met`);

    const run = await getRun(RUN);
    expect(run.status).toMatchObject({
      phase: 'Succeeded', lane: 'enterprise',
      approval: { decision: 'Approved', decidedBy: 'admin', via: 'kubectl', reason: 'read-only, ok' },
      transcriptRef: { configMapName: `${RUN}-transcript`, key: 'transcript.jsonl' },
    });
    expect(run.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    // The result the README prints is the runner's summary; the transcript is its JSON lines.
    expect(run.status?.result).toMatch(/Priority: P\d/);
    expect(sh.stdout).toContain(run.status!.result!);
    const lines = sh.stdout.split('\n').filter((l) => l.startsWith('{"type":')).map((l) => JSON.parse(l) as { type: string; name?: string; ok?: boolean; outcome?: string });
    expect(lines[0].type).toBe('start');
    expect(lines).toContainEqual(expect.objectContaining({ type: 'tool_result', name: 'list_directory', ok: true }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'tool_result', name: 'read_file', ok: false }));
    expect(lines.at(-1)).toMatchObject({ type: 'end', outcome: 'Succeeded' });
  }, 240_000);

  it('shows the router\'s count of the run\'s tokens in kubectl get', async () => {
    const run = await waitFor(async () => {
      const r = await getRun(RUN);
      return (r.status?.usage?.totalTokens ?? 0) > 0 ? r : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1000, what: `${RUN}'s usage from the router` });
    expect(run.status?.usage).toMatchObject({ provider: 'local-llama', toolCalls: 2, toolErrors: 1 });
    // status.usage follows the router's flushes, late ones included: the table is compared with
    // the status read right after it, until no flush lands between the two reads.
    const seen = await waitFor(async () => {
      const table = await runKubectl(target, ['-n', NS, 'get', 'agentrun', RUN]);
      const tokens = (await getRun(RUN)).status?.usage?.totalTokens;
      return table.stdout.includes(`${RUN} `) && new RegExp(`${RUN}\\s+Succeeded\\s+default\\s+${tokens}\\s`).test(table.stdout) ? { table: table.stdout, tokens } : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1000, what: `kubectl get agentrun ${RUN} to show the status.usage read with it` });
    expect(seen.tokens).toBeGreaterThan(0);
  }, 150_000);

  it('offers the github triage example its github tool: it waits for a person\'s approval, not Stalled', async () => {
    const run = await waitFor(async () => {
      const r = await getRun('triage-issue-142');
      return r.status?.phase === 'AwaitingApproval' ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'triage-issue-142 to await approval' });
    expect(run.status?.conditions?.find((c) => c.type === 'Stalled')?.status ?? 'False').toBe('False');
    expect(run.status?.conditions?.find((c) => c.type === 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval' });
    // The issue workflow links issue #142 on the dev fake GitHub (README "Run an agent").
    const linked = await waitFor(async () => {
      const r = await getRun('triage-issue-142');
      return r.status?.issue?.url ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'triage-issue-142 to record its issue' });
    expect(linked.status?.issue).toMatchObject({ provider: 'github', number: 142, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/acme-msp\/client-portal\/issues\/142$/) });
  }, 150_000);
});
