// Flow approvals with the chart's agentlab-approvals policy: an approval node and the plan gate
// wait for a person; a user without the approve verb on flows/approval is refused by admission;
// an approver (impersonated, kubectl --as) decides; a plan approval of a stale digest is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm } from '../gitops/chart.js';
import { condition, startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;
const suffix = Math.random().toString(36).slice(2, 8);
const alice = `agentlab-flow-alice-${suffix}`;
const bob = `agentlab-flow-bob-${suffix}`;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';
const nodeDecision = (index: number, decision: string, by: string) => JSON.stringify([
  { op: 'add', path: `/spec/nodes/${index}/approval/decision`, value: decision },
  { op: 'add', path: `/spec/nodes/${index}/approval/decidedBy`, value: by },
]);
const gateDecision = (digest: string, decision: string, by: string) => JSON.stringify({ spec: { approval: { planDigest: digest, decision, decidedBy: by } } });

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

describe.runIf(cluster.nodeSimulator)('Flow approvals', () => {
  it('an approval node waits (node and flow AwaitingApproval); bob without the verb is refused; alice approves and the flow runs on', async () => {
    await f.applyFlow('gated-node', {
      nodes: [
        { id: 'count', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo 3 > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
        { id: 'ok', type: 'approval', dependsOn: ['count'], approval: { message: 'Delete ${nodes.count.outputs.n} VMs?' } },
        { id: 'after', type: 'tool', dependsOn: ['ok'], tool: { image: STEP, args: ['true'] } },
      ],
    });
    const waiting = await f.waitForPhase('gated-node', ['AwaitingApproval'], 60_000);
    expect(waiting.status?.nodes?.map((n) => n.phase)).toEqual(['Succeeded', 'AwaitingApproval', 'Pending']);
    expect(waiting.status?.nodes?.[1].message).toContain('Delete 3 VMs?');
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'WaitingForApproval' });

    // Admission may take a moment to load the policy on a real server.
    let refusal = '';
    await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-node', '--type=json', `--as=${bob}`, '-p', nodeDecision(1, 'Approved', bob)], { allowFailure: true });
      refusal = r.stderr;
      return r.code !== 0 && r.stderr.includes("ValidatingAdmissionPolicy 'agentlab-approvals'");
    }, { what: 'the policy to refuse bob', timeoutMs: 30_000 });
    expect(refusal).toContain(`user ${bob} may not approve flows/gated-node: it needs the RBAC verb approve on flows/approval in namespace ${f.ns}`);
    // alice may not write someone else's name.
    const forged = await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-node', '--type=json', `--as=${alice}`, '-p', nodeDecision(1, 'Approved', bob)], { allowFailure: true });
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain(`decidedBy must be the user making the request (${alice})`);

    await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-node', '--type=json', `--as=${alice}`, '-p', nodeDecision(1, 'Approved', alice)]);
    const done = await f.waitForPhase('gated-node', ['Succeeded', 'Failed'], 60_000);
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect(done.status?.nodes?.[1]).toMatchObject({ phase: 'Succeeded', decidedBy: alice });
  }, 120_000);

  it('the plan gate: nothing runs before approval; an approval of a stale digest is refused; the current digest starts the run', async () => {
    const spec = (n: string) => ({ approval: { required: true }, params: [{ name: 'n', value: n }], nodes: [{ id: 'a', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo ${params.n}'] } }] });
    await f.applyFlow('gated-plan', spec('1'));
    const first = await f.waitForPhase('gated-plan', ['AwaitingApproval'], 30_000);
    const stale = first.status!.planDigest!;
    expect(condition(first, 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval', message: expect.stringContaining(stale) });
    const pods = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods?labelSelector=agentlab.dev%2Fflow%3Dgated-plan` })).json() as { items: unknown[] };
    expect(pods.items).toHaveLength(0);
    const bobTry = await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-plan', '--type=merge', `--as=${bob}`, '-p', gateDecision(stale, 'Approved', bob)], { allowFailure: true });
    expect(bobTry.code).not.toBe(0);
    expect(bobTry.stderr).toContain(`may not approve flows/gated-plan`);

    // The spec changes after alice looked; she approves the digest she saw.
    await f.applyFlow('gated-plan', spec('2'));
    const changed = await cluster.waitFor(async () => {
      const fl = await f.getFlow('gated-plan');
      return fl.status?.planDigest && fl.status.planDigest !== stale ? fl : undefined;
    }, { what: 'the new plan digest' });
    const current = changed.status!.planDigest!;
    await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-plan', '--type=merge', `--as=${alice}`, '-p', gateDecision(stale, 'Approved', alice)]);
    const refused = await cluster.waitFor(async () => {
      const fl = await f.getFlow('gated-plan');
      return condition(fl, 'ApprovalRequired')?.reason === 'ApprovalRefused' ? fl : undefined;
    }, { what: 'the stale approval to be refused' });
    expect(refused.status?.phase).toBe('AwaitingApproval');
    expect(condition(refused, 'ApprovalRequired')!.message).toContain(`the approval by ${alice} is for plan ${stale}, but the plan is now ${current} (the spec changed since): refused`);
    // The event is written beside the condition, not before it: waited for, not read once.
    const events = await cluster.waitFor(async () => {
      const e = await cluster.kubectl(['-n', f.ns, 'get', 'events', '--field-selector', 'involvedObject.kind=Flow,involvedObject.name=gated-plan', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
      return e.stdout.split('\n').includes('ApprovalRefused') ? e : undefined;
    }, { what: 'the ApprovalRefused event of gated-plan', intervalMs: 300 });
    expect(events.stdout.split('\n')).toContain('ApprovalRefused');

    await cluster.kubectl(['-n', f.ns, 'patch', 'flow', 'gated-plan', '--type=merge', `--as=${alice}`, '-p', gateDecision(current, 'Approved', alice)]);
    const done = await f.waitForPhase('gated-plan', ['Succeeded', 'Failed'], 60_000);
    expect(done.status?.phase, JSON.stringify(done.status)).toBe('Succeeded');
    expect((done.status as { approval?: unknown }).approval).toMatchObject({ decision: 'Approved', decidedBy: alice, planDigest: current });
    expect(condition(done, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved' });
  }, 120_000);
});
