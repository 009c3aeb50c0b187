// The AgentRun approval gate with the chart's agentlab-approvals policy: the run waits, a user
// without the approve verb is refused by admission, an approver's decision is copied to status
// and starts the run, a rejection ends it Cancelled. People are impersonated (kubectl --as).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm } from '../gitops/chart.js';
import { condition, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;
const suffix = Math.random().toString(36).slice(2, 8);
const alice = `agentlab-run-alice-${suffix}`;
const bob = `agentlab-run-bob-${suffix}`;
const decision = (d: string, by: string, reason?: string) => JSON.stringify({ spec: { approval: { decision: d, decidedBy: by, ...(reason ? { reason } : {}) } } });
const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
  const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
  expect(rendered.code, rendered.stderr).toBe(0);
  await cluster.applyYaml(rendered.stdout);
  const rb = (name: string, roleKind: string, role: string, user: string) => JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: f.ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
  await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'run-editor', namespace: f.ns },
    rules: [{ apiGroups: ['agentlab.dev'], resources: ['agentruns'], verbs: ['get', 'list', 'patch'] }] }));
  await cluster.applyYaml(rb('alice-approves', 'ClusterRole', 'agentlab-approver', alice));
  await cluster.applyYaml(rb('bob-edits', 'Role', 'run-editor', bob));
});

describe.runIf(cluster.nodeSimulator)('AgentRun approval', () => {
  it('waits in AwaitingApproval; bob is refused; alice approves; the verified decision is in status and the run succeeds', async () => {
    await f.apply('gated', { task: TRIAGE, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], approval: { required: true } });
    const waiting = await f.waitForPhase('gated', ['AwaitingApproval']);
    expect(condition(waiting, 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval' });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'WaitingForApproval' });
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/gated-agent` })).status).toBe(404);

    // Admission may take a moment to load the policy and the bindings on a real server.
    await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun', 'gated', '--type=merge', '--dry-run=server', `--as=${bob}`, '-p', decision('Approved', bob)], { allowFailure: true });
      return r.code !== 0 && r.stderr.includes("ValidatingAdmissionPolicy 'agentlab-approvals'");
    }, { what: 'the policy to refuse bob', timeoutMs: 30_000 });
    await cluster.waitFor(async () => (await cluster.kubectl(['-n', f.ns, 'auth', 'can-i', 'approve', 'agentruns', '--subresource=approval', `--as=${alice}`], { allowFailure: true })).stdout.trim() === 'yes',
      { what: "alice's RoleBinding to take effect" });
    await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun', 'gated', '--type=merge', `--as=${alice}`, '-p', decision('Approved', alice, 'scope is fine')]);
    const done = await f.waitForPhase('gated', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect(done.status?.approval).toMatchObject({ decision: 'Approved', decidedBy: alice, via: 'kubectl', reason: 'scope is fine', decidedAt: expect.any(String) });
    expect(condition(done, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved' });
  }, 150_000);

  it('a rejection ends the run Cancelled without starting it', async () => {
    await f.apply('rejected', { task: 'Say hello.', model: 'chat', approval: { required: true } });
    await f.waitForPhase('rejected', ['AwaitingApproval']);
    await cluster.waitFor(async () => (await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun', 'rejected', '--type=merge', `--as=${alice}`, '-p', decision('Rejected', alice, 'not now')], { allowFailure: true })).code === 0,
      { what: 'alice to be allowed to decide', timeoutMs: 30_000 });
    const run = await f.waitForPhase('rejected', ['Cancelled', 'Succeeded', 'Failed']);
    expect(run.status?.phase).toBe('Cancelled');
    expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Rejected', message: `rejected by ${alice}: not now` });
    expect(run.status?.approval).toMatchObject({ decision: 'Rejected', decidedBy: alice });
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/rejected-agent` })).status).toBe(404);
  }, 90_000);
});
