import { beforeAll, describe, expect, it } from 'vitest';
import { loadControllers } from '../../operators/manager.js';
import { type Access, OPERATOR_DIRECT_CALLS, operatorAccess, ROUTER_CALLS, routerAccess, rulesOf, scanApiCalls } from './access.js';
import { find, type Obj, podSpec, renderChart } from './chart.js';

const objects = renderChart({ release: 'agentlab', namespace: 'agentlab-system' });
const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');

function chartAccess(component: 'operator' | 'router'): Access {
  return { cluster: rulesOf(find(objects, 'ClusterRole', `-${component}`)), releaseNamespace: rulesOf(find(objects, 'Role', `-${component}`)) };
}

describe('chart RBAC is least privilege', () => {
  let expectedOperator: Access;
  beforeAll(async () => {
    expectedOperator = operatorAccess(await loadControllers());
  });

  it('uses no wildcards and no non-resource URLs', () => {
    // operator and router (ClusterRole + Role each), and the agentlab-approver and agentlab-technician ClusterRoles people are bound to.
    expect(roles.length).toBe(6);
    for (const role of roles) {
      for (const rule of (role as unknown as { rules: Record<string, string[]>[] }).rules) {
        for (const field of ['apiGroups', 'resources', 'verbs']) expect(rule[field], `${role.kind} ${role.metadata.name} ${field}`).not.toContain('*');
        expect(rule.nonResourceURLs).toBeUndefined();
      }
    }
  });

  it('grants the operator exactly what its controllers and runtime use', () => {
    expect(chartAccess('operator')).toEqual(expectedOperator);
  });

  it('grants the router exactly what it uses', () => {
    expect(chartAccess('router')).toEqual(routerAccess());
  });

  it('covers every API call found in operators/ (the hand-written list is complete)', () => {
    const operator = [...expectedOperator.cluster, ...expectedOperator.releaseNamespace];
    const router = [...routerAccess().cluster, ...routerAccess().releaseNamespace];
    const missing = scanApiCalls().filter((c) => {
      const granted = c.file.startsWith('operators/router/') ? router : operator;
      return !granted.some((r) => r.apiGroup === c.apiGroup && r.resource === c.resource && r.verbs.includes(c.verb));
    });
    expect(missing.map((c) => `${c.file}:${c.line} ${c.verb} ${c.apiGroup || 'core'}/${c.resource}`)).toEqual([]);
  });

  it('lists no call the code does not make (the hand-written list is current)', () => {
    const found = scanApiCalls();
    const stale = [...OPERATOR_DIRECT_CALLS, ...ROUTER_CALLS].flatMap((c) => c.verbs
      .filter((v) => !found.some((f) => f.file === c.file && f.apiGroup === c.apiGroup && f.resource === c.resource && f.verb === v))
      .map((v) => `${c.file}: ${v} ${c.apiGroup || 'core'}/${c.resource}`));
    expect(stale).toEqual([]);
  });

  it('binds each role to the ServiceAccount its Deployment runs as', () => {
    for (const component of ['operator', 'router'] as const) {
      const sa = podSpec(find(objects, 'Deployment', `-${component}`)).serviceAccountName;
      for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
        const b = find(objects, kind, `-${component}`) as Obj & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
        expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: `agentlab-${component}` });
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: 'agentlab-system' }]);
      }
      expect(find(objects, 'ServiceAccount', `-${component}`).metadata.name).toBe(sa);
    }
  });
});
