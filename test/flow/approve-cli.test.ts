// `agentlab approve|reject flow/<name>` with the chart's agentlab-approvals policy: the plan gate
// (decided on the digest in status), then the waiting approval node; a rejected approval node
// fails the flow and skips what depends on it; a user without the approve verb is told what to ask for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../operators/cli/main.js';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm } from '../gitops/chart.js';
import { condition, startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;
const suffix = Math.random().toString(36).slice(2, 8);
const alice = `agentlab-flowcli-alice-${suffix}`;
const bob = `agentlab-flowcli-bob-${suffix}`;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, '-n', f.ns, '--kubeconfig', cluster.kubeconfigPath], { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, cwd: process.cwd() });
  return { code, out: out.join(''), err: err.join('') };
}

beforeAll(async () => {
  f = await startFlowFixture(cluster);
  const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
  expect(rendered.code, rendered.stderr).toBe(0);
  await cluster.applyYaml(rendered.stdout);
  const rb = (name: string, roleKind: string, role: string, user: string) => JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: f.ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
  await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'flow-editor', namespace: f.ns },
    rules: [{ apiGroups: ['agentlab.dev'], resources: ['flows'], verbs: ['get', 'list', 'patch'] }] }));
  await cluster.applyYaml(rb('alice-approves', 'ClusterRole', 'agentlab-approver', alice));
  await cluster.applyYaml(rb('bob-edits', 'Role', 'flow-editor', bob));
  await cluster.waitFor(async () => (await cluster.kubectl(['-n', f.ns, 'auth', 'can-i', 'approve', 'flows', '--subresource=approval', `--as=${alice}`], { allowFailure: true })).stdout.trim() === 'yes',
    { what: "alice's RoleBinding to take effect" });
});
afterAll(async () => {
  await f?.stop();
});

describe('agentlab approve|reject flow/<name>', () => {
  it.runIf(cluster.nodeSimulator)('approves the plan gate on the digest in status, then the waiting approval node, and the flow runs', async () => {
    await f.applyFlow('cli-gated', {
      approval: { required: true },
      nodes: [
        { id: 'ok', type: 'approval', approval: { message: 'Run the cleanup?' } },
        { id: 'after', type: 'tool', dependsOn: ['ok'], tool: { image: STEP, args: ['true'] } },
      ],
    });
    const waiting = await f.waitForPhase('cli-gated', ['AwaitingApproval'], 30_000);
    const digest = waiting.status!.planDigest!;
    // Admission may take a moment to load the policy on a real server.
    let refused = { code: 0, out: '', err: '' };
    await cluster.waitFor(async () => {
      refused = await cli(['approve', 'flow/cli-gated', '--as', bob]);
      return refused.code !== 0 && refused.err.includes('not allowed to approve') ? true : undefined;
    }, { what: 'the policy to refuse bob', timeoutMs: 30_000 });
    expect(refused.err).toContain(`agentlab approve: you (${bob}) are not allowed to approve flow/cli-gated: ask for the agentlab-approver role in namespace ${f.ns}`);

    const gate = await cli(['approve', 'flow/cli-gated', '--as', alice, '--reason', 'plan reviewed']);
    expect(gate, gate.err).toMatchObject({ code: 0, out: `flow.agentlab.dev/cli-gated plan ${digest} approved by ${alice}\n` });
    const atNode = await cluster.waitFor(async () => {
      const fl = await f.getFlow('cli-gated');
      return fl.status?.nodes?.[0]?.phase === 'AwaitingApproval' ? fl : undefined;
    }, { what: 'the approval node to wait' });
    expect(condition(atNode, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved' });

    const node = await cli(['approve', 'flow/cli-gated', '--as', alice, '--reason', 'checked']);
    expect(node, node.err).toMatchObject({ code: 0, out: `flow.agentlab.dev/cli-gated node ok approved by ${alice}\n` });
    const done = await f.waitForPhase('cli-gated', ['Succeeded', 'Failed'], 60_000);
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect(done.status?.nodes?.[0]).toMatchObject({ id: 'ok', phase: 'Succeeded', decidedBy: alice });

    const again = await cli(['reject', 'flow/cli-gated', '--as', alice, '--node', 'ok']);
    expect(again).toMatchObject({ code: 1, err: `agentlab reject: node "ok" of flow/cli-gated is already Approved by ${alice}; a decision cannot be changed\n` });
  }, 120_000);

  it('a rejected approval node fails the flow with who and why, and skips what depends on it', async () => {
    await f.applyFlow('cli-rejected', {
      nodes: [
        { id: 'ok', type: 'approval', approval: { message: 'Delete the old VMs?' } },
        { id: 'delete', type: 'tool', dependsOn: ['ok'], tool: { image: STEP, args: ['true'] } },
      ],
    });
    await cluster.waitFor(async () => ((await f.getFlow('cli-rejected')).status?.nodes?.[0]?.phase === 'AwaitingApproval' ? true : undefined), { what: 'the approval node to wait' });
    let r = { code: 1, out: '', err: '' };
    await cluster.waitFor(async () => {
      r = await cli(['reject', 'flow/cli-rejected', '--node', 'ok', '--as', alice, '--reason', 'wrong VMs']);
      return r.code === 0 || !r.err.includes('not allowed') ? true : undefined;
    }, { what: 'the policy to let alice decide', timeoutMs: 30_000 });
    expect(r, r.err).toMatchObject({ code: 0, out: `flow.agentlab.dev/cli-rejected node ok rejected by ${alice}\n` });
    const done = await f.waitForPhase('cli-rejected', ['Failed', 'Succeeded'], 30_000);
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.nodes?.map((n) => [n.id, n.phase])).toEqual([['ok', 'Failed'], ['delete', 'Skipped']]);
    expect(done.status?.nodes?.[0]).toMatchObject({ decidedBy: alice, message: expect.stringMatching(new RegExp(`rejected by ${alice}: wrong VMs`)) });
    expect(condition(done, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed' });
    const pods = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods?labelSelector=agentlab.dev%2Fflow%3Dcli-rejected` })).json() as { items: unknown[] };
    expect(pods.items).toHaveLength(0);
  }, 90_000);
});
