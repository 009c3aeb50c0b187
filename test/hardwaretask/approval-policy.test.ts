import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm } from '../gitops/chart.js';

// The chart's agentlab-approvals policy for HardwareTasks on a real (or the embedded) API server:
// a human step counts as done only under the name of the user who marks it, who holds `complete`
// on hardwaretasks/steps (agentlab-technician); a step approval only from a user with `approve` on
// hardwaretasks/approval (agentlab-approver). People are impersonated from the admin (kubectl --as).
const cluster = useCluster();

const suffix = Math.random().toString(36).slice(2, 8);
const tech = `agentlab-test-tech-${suffix}`;
const editor = `agentlab-test-editor-${suffix}`;
const boss = `agentlab-test-boss-${suffix}`;

function task(name: string): string {
  return JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name }, spec: { node: 'chief-horse', steps: [
    { name: 'fit-disk', type: 'human', human: { instructions: 'Fit the disk.' } },
    { name: 'expand', type: 'command', dependsOn: ['fit-disk'], approval: { required: true, approvers: [boss] }, command: { hostAccess: true, commands: ['zpool add tank /dev/sdb'] } },
  ] } });
}
const complete = (by: string) => JSON.stringify([
  { op: 'replace', path: '/spec/steps/0/human/completed', value: true },
  { op: 'add', path: '/spec/steps/0/human/completedBy', value: by },
  { op: 'add', path: '/spec/steps/0/human/notes', value: 'serial WD-NEWDISK' },
]);
const approve = (by: string) => JSON.stringify([{ op: 'add', path: '/spec/steps/1/approval/decision', value: 'Approved' }, { op: 'add', path: '/spec/steps/1/approval/decidedBy', value: by }]);
const DENIED = "ValidatingAdmissionPolicy 'agentlab-approvals' with binding 'agentlab-approvals' denied request: ";

describe('approval policy for HardwareTask steps (charts/agentlab/templates/approval-policy.yaml)', () => {
  let ns: string;

  beforeAll(async () => {
    ns = await cluster.newNamespace('hwt-approvals');
    const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
    expect(rendered.code, rendered.stderr).toBe(0);
    await cluster.applyYaml(rendered.stdout);
    const rb = (name: string, roleKind: string, role: string, user: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'task-editor', namespace: ns },
      rules: [{ apiGroups: ['agentlab.dev'], resources: ['hardwaretasks'], verbs: ['get', 'list', 'patch'] }] }));
    await cluster.applyYaml(JSON.stringify(rb('tech-completes', 'ClusterRole', 'agentlab-technician', tech)));
    await cluster.applyYaml(JSON.stringify(rb('editor-edits', 'Role', 'task-editor', editor)));
    await cluster.applyYaml(JSON.stringify(rb('boss-approves', 'ClusterRole', 'agentlab-approver', boss)));
    for (const name of ['by-tech', 'by-editor', 'claimed', 'annotated', 'approvals']) await cluster.kubectl(['-n', ns, 'create', '-f', '-'], { input: task(name) });
    await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'by-editor', '--type=json', '--dry-run=server', `--as=${editor}`, '-p', complete(editor)], { allowFailure: true });
      return r.code !== 0 && r.stderr.includes(DENIED);
    }, { what: 'the agentlab-approvals policy and the RoleBindings to take effect', timeoutMs: 30_000 });
    await cluster.waitFor(async () => (await cluster.kubectl(['-n', ns, 'auth', 'can-i', 'complete', 'hardwaretasks', '--subresource=steps', `--as=${tech}`], { allowFailure: true })).stdout.trim() === 'yes',
      { what: 'the technician\'s RoleBinding to take effect' });
  });

  it('a technician (agentlab-technician) marks a human step done under their own name', async () => {
    await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'by-tech', '--type=json', `--as=${tech}`, '-p', complete(tech)]);
    const got = JSON.parse((await cluster.kubectl(['-n', ns, 'get', 'hardwaretask', 'by-tech', '-o', 'json'])).stdout);
    expect(got.spec.steps[0].human).toMatchObject({ completed: true, completedBy: tech, notes: 'serial WD-NEWDISK' });
  });

  it('a user who may edit the task but lacks the complete verb is refused, with what to bind', async () => {
    const r = await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'by-editor', '--type=json', `--as=${editor}`, '-p', complete(editor)], { allowFailure: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`hardwaretasks.agentlab.dev "by-editor" is forbidden: ${DENIED}user ${editor} may not complete steps of hardwaretasks/by-editor: it needs the RBAC verb complete on hardwaretasks/steps in namespace ${ns} (bind the ClusterRole agentlab-technician)`);
  });

  it('completedBy naming someone else is refused', async () => {
    const r = await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'claimed', '--type=json', `--as=${tech}`, '-p', complete(editor)], { allowFailure: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${DENIED}spec.steps[].human.completedBy must be the user making the request (${tech})`);
  });

  it('the annotations complete-step + completed-by are verified the same way', async () => {
    const refused = await cluster.kubectl(['-n', ns, 'annotate', 'hardwaretask', 'annotated', `--as=${tech}`, 'agentlab.dev/complete-step=fit-disk', `agentlab.dev/completed-by=${editor}`], { allowFailure: true });
    expect(refused.stderr).toContain(`${DENIED}the annotation agentlab.dev/completed-by must be the user making the request (${tech})`);
    const byEditor = await cluster.kubectl(['-n', ns, 'annotate', 'hardwaretask', 'annotated', `--as=${editor}`, 'agentlab.dev/complete-step=fit-disk', `agentlab.dev/completed-by=${editor}`], { allowFailure: true });
    expect(byEditor.stderr).toContain(`user ${editor} may not complete steps of hardwaretasks/annotated`);
    await cluster.kubectl(['-n', ns, 'annotate', 'hardwaretask', 'annotated', `--as=${tech}`, 'agentlab.dev/complete-step=fit-disk', `agentlab.dev/completed-by=${tech}`]);
  });

  it('a step approval needs the approve verb, decidedBy = the user, and a listed approver', async () => {
    const byTech = await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'approvals', '--type=json', `--as=${tech}`, '-p', approve(tech)], { allowFailure: true });
    expect(byTech.stderr).toContain(`${DENIED}user ${tech} may not approve hardwaretasks/approvals: it needs the RBAC verb approve on hardwaretasks/approval in namespace ${ns} (bind the ClusterRole agentlab-approver)`);
    const claimed = await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'approvals', '--type=json', `--as=${boss}`, '-p', approve(tech)], { allowFailure: true });
    expect(claimed.stderr).toContain(`${DENIED}spec.steps[].approval.decidedBy must be the user making the request (${boss})`);
    await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'approvals', '--type=json', `--as=${boss}`, '-p', approve(boss)]);
    const got = JSON.parse((await cluster.kubectl(['-n', ns, 'get', 'hardwaretask', 'approvals', '-o', 'json'])).stdout);
    expect(got.spec.steps[1].approval).toMatchObject({ decision: 'Approved', decidedBy: boss });
  });

  it('leaves other edits of a task alone (no completion or decision changed)', async () => {
    await cluster.kubectl(['-n', ns, 'label', 'hardwaretask', 'by-editor', `--as=${editor}`, 'team=storage']);
  });
});
