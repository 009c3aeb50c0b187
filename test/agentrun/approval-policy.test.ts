import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../operators/cli/main.js';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm } from '../gitops/chart.js';

// The chart's agentlab-approvals policy on a real (or the embedded) API server: a decision counts
// only when decidedBy is the requesting user, who holds `approve` on agentruns/approval
// (the agentlab-approver ClusterRole). People are impersonated from the admin (kubectl --as), so
// this holds on any cluster. The policy and role are what the chart installs and stay installed.
const cluster = useCluster();

const suffix = Math.random().toString(36).slice(2, 8);
const alice = `agentlab-test-alice-${suffix}`;
const bob = `agentlab-test-bob-${suffix}`;

function run(name: string, approval: Record<string, unknown> = { required: true }): string {
  return JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name },
    spec: { task: 'Summarise the README.', model: 'default', approval } });
}

const decision = (d: string, by: string) => JSON.stringify({ spec: { approval: { decision: d, decidedBy: by } } });

describe('approval policy (charts/agentlab/templates/approval-policy.yaml)', () => {
  let ns: string;

  beforeAll(async () => {
    ns = await cluster.newNamespace('approvals');
    const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
    expect(rendered.code, rendered.stderr).toBe(0);
    await cluster.applyYaml(rendered.stdout);
    const rb = (name: string, roleKind: string, role: string, user: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
    // Bob may edit runs (RBAC lets his patch through) but holds no approve verb.
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'run-editor', namespace: ns },
      rules: [{ apiGroups: ['agentlab.dev'], resources: ['agentruns'], verbs: ['get', 'list', 'patch'] }] }));
    await cluster.applyYaml(JSON.stringify(rb('alice-approves', 'ClusterRole', 'agentlab-approver', alice)));
    await cluster.applyYaml(JSON.stringify(rb('bob-edits', 'Role', 'run-editor', bob)));
    for (const name of ['by-alice', 'by-bob', 'claimed', 'by-cli']) await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input: run(name) });
    // A real server loads policies and RBAC asynchronously: wait until bob's decision is refused by the policy.
    await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'by-bob', '--type=merge', '--dry-run=server', `--as=${bob}`, '-p', decision('Approved', bob)], { allowFailure: true });
      return r.code !== 0 && r.stderr.includes("ValidatingAdmissionPolicy 'agentlab-approvals'");
    }, { what: 'the agentlab-approvals policy and the RoleBindings to take effect', timeoutMs: 30_000 });
  });

  it('alice, bound to agentlab-approver, approves with kubectl --as=alice patch', async () => {
    await cluster.waitFor(async () => (await cluster.kubectl(['-n', ns, 'auth', 'can-i', 'approve', 'agentruns', '--subresource=approval', `--as=${alice}`], { allowFailure: true })).stdout.trim() === 'yes',
      { what: 'alice\'s RoleBinding to take effect' });
    await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'by-alice', '--type=merge', `--as=${alice}`, '-p', decision('Approved', alice)]);
    const got = JSON.parse((await cluster.kubectl(['-n', ns, 'get', 'agentrun', 'by-alice', '-o', 'json'])).stdout);
    expect(got.spec.approval).toMatchObject({ decision: 'Approved', decidedBy: alice });
  });

  it('bob, without the approve verb, is refused with the policy\'s message', async () => {
    const r = await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'by-bob', '--type=merge', `--as=${bob}`, '-p', decision('Approved', bob)], { allowFailure: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`agentruns.agentlab.dev "by-bob" is forbidden: ValidatingAdmissionPolicy 'agentlab-approvals' with binding 'agentlab-approvals' denied request: ` +
      `user ${bob} may not approve agentruns/by-bob: it needs the RBAC verb approve on agentruns/approval in namespace ${ns} (bind the ClusterRole agentlab-approver)`);
  });

  it('alice claiming decidedBy=bob is refused', async () => {
    const r = await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'claimed', '--type=merge', `--as=${alice}`, '-p', decision('Approved', bob)], { allowFailure: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`denied request: spec.approval.decidedBy must be the user making the request (${alice})`);
  });

  it('an approver not among spec.approval.approvers is refused', async () => {
    await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input: run('listed', { required: true, approvers: ['user:someone-else', 'group:agentlab-test-leads'] }) });
    const refused = await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'listed', '--type=merge', `--as=${alice}`, '-p', decision('Approved', alice)], { allowFailure: true });
    expect(refused.stderr).toContain(`denied request: user ${alice} is not one of spec.approval.approvers of agentruns/listed`);
    await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'listed', '--type=merge', `--as=${alice}`, '--as-group=agentlab-test-leads', '-p', decision('Approved', alice)]);
  });

  it('agentlab approve as alice sets decision, decidedBy and reason in one patch', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, cwd: process.cwd() };
    const code = await main(['approve', 'agentrun/by-cli', '-n', ns, '--reason', 'looks fine', '--kubeconfig', cluster.kubeconfigPath, '--as', alice], io);
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toBe(`agentrun.agentlab.dev/by-cli approved by ${alice}\n`);
    const got = JSON.parse((await cluster.kubectl(['-n', ns, 'get', 'agentrun', 'by-cli', '-o', 'json'])).stdout);
    expect(got.spec.approval).toEqual({ required: true, decision: 'Approved', decidedBy: alice, reason: 'looks fine' });

    const again = await main(['reject', 'agentrun/by-cli', '-n', ns, '--kubeconfig', cluster.kubeconfigPath, '--as', alice], { ...io, stderr: (t) => void err.push(t) });
    expect(again).toBe(1);
    expect(err.join('')).toContain(`agentrun/by-cli is already Approved by ${alice}; a decision cannot be changed`);
  });

  it('agentlab reject as bob explains what to ask for', async () => {
    const err: string[] = [];
    const io = { stdout: () => {}, stderr: (t: string) => void err.push(t), isTTY: false, cwd: process.cwd() };
    const code = await main(['reject', 'agentrun/by-bob', '-n', ns, '--kubeconfig', cluster.kubeconfigPath, '--as', bob], io);
    expect(code).toBe(1);
    expect(err.join('')).toContain(`agentlab reject: you (${bob}) are not allowed to approve agentrun/by-bob: ask for the agentlab-approver role in namespace ${ns}`);
  });
});
