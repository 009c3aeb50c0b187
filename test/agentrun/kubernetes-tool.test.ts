// The runner's kubernetes tool as the run's ServiceAccount would use it: what it reads is decided
// by RBAC on the API server (a Role bound to the caller), not by the runner.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolRegistry, toolsForRun } from '../../operators/agentrun/runner/tools/registry.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';

const cluster = useCluster();
let ns: string;
let other: string;
let workspace: string;
let registry: ToolRegistry;

describe.runIf(cluster.tokenUsers.length > 0)('kubernetes tool (RBAC-enforced reads)', () => {
  beforeAll(async () => {
    const user = cluster.tokenUsers[cluster.tokenUsers.length - 1];
    ns = await cluster.newNamespace('ktool');
    other = await cluster.newNamespace('ktool-other');
    workspace = await mkdtemp(path.join(os.tmpdir(), 'ktool-'));
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'app-config', labels: { app: 'web' } }, data: { mode: 'blue' } } });
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'app-secret' }, data: { password: Buffer.from('hunter22').toString('base64') } } });
    // What the AgentRun controller creates for `resources: [configmaps, secrets]`: get/list on exactly those.
    await cluster.request({ method: 'POST', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'agent' }, rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }] } });
    await cluster.request({ method: 'POST', path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'agent' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user.name }] } });
    const server = cluster.kc.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [server], users: [{ name: user.name, token: user.token }], contexts: [{ name: 'agent', cluster: server.name, user: user.name }], currentContext: 'agent' });
    // The run's spec lists more than RBAC grants (deployments.apps, another namespace): the API server decides.
    const { tools } = await toolsForRun([{ name: 'kubernetes', kubernetes: { resources: ['configmaps', 'secrets', 'deployments.apps'], namespaces: [ns, other] } }], { workspace, kubernetes: { api: new KubeClient(kc), namespace: ns } });
    registry = new ToolRegistry(tools);
    // RBAC changes reach the authorizer through its watch: wait until the binding is effective.
    await cluster.waitFor(async () => (await registry.call('kubernetes_read', { resource: 'configmaps' })).ok, { what: 'the RoleBinding to take effect', timeoutMs: 60_000 });
  });
  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('gets and lists what the Role allows, without managedFields', async () => {
    const one = await registry.call('kubernetes_read', { resource: 'configmaps', name: 'app-config' });
    expect(one).toMatchObject({ ok: true, result: { metadata: { name: 'app-config', namespace: ns }, data: { mode: 'blue' } } });
    expect(JSON.stringify(one)).not.toContain('managedFields');
    const list = await registry.call('kubernetes_read', { resource: 'configmaps', labelSelector: 'app=web' });
    expect(list).toMatchObject({ ok: true, result: { kind: 'ConfigMapList', items: [{ metadata: { name: 'app-config' } }] } });
  });

  it('never shows Secret values, even where RBAC allows reading Secrets', async () => {
    const r = await registry.call('kubernetes_read', { resource: 'secrets', name: 'app-secret' });
    expect(r).toMatchObject({ ok: true, result: { data: { password: '<redacted: 8 bytes>' } } });
    expect(JSON.stringify(r)).not.toContain(Buffer.from('hunter22').toString('base64'));
  });

  it("is refused by the API server for a resource or namespace the Role does not grant, with the server's message", async () => {
    const deployments = await registry.call('kubernetes_read', { resource: 'deployments.apps' });
    expect(deployments).toMatchObject({ ok: false, error: { code: 'Forbidden', message: expect.stringMatching(/deployments\.apps is forbidden: User ".*" cannot list resource "deployments" in API group "apps" in the namespace/) } });
    const elsewhere = await registry.call('kubernetes_read', { resource: 'configmaps', namespace: other });
    expect(elsewhere).toMatchObject({ ok: false, error: { code: 'Forbidden', message: expect.stringContaining('cannot list resource "configmaps"') } });
  });

  it('answers NotFound for a missing object and refuses arguments outside the lists before calling', async () => {
    expect(await registry.call('kubernetes_read', { resource: 'configmaps', name: 'nope' })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
    expect(await registry.call('kubernetes_read', { resource: 'pods' })).toMatchObject({ ok: false, error: { code: 'InvalidArguments' } });
    expect(await registry.call('kubernetes_read', { resource: 'configmaps', namespace: 'kube-system' })).toMatchObject({ ok: false, error: { code: 'InvalidArguments' } });
  });
});
