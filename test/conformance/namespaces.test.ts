import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// Namespaced objects need an existing namespace; a deleted namespace is Terminating until its
// contents are gone and accepts no new objects meanwhile (NamespaceLifecycle admission).
const cluster = useCluster();

describe('namespaces', () => {
  it('creating in a namespace that does not exist is 404 NotFound for the namespace', async () => {
    for (const path of [configMapsPath('no-such-namespace-x1'), widgetsPath('no-such-namespace-x1')]) {
      const body = path.includes('widgets') ? widget('orphan') : configMap('orphan');
      const res = await cluster.request({ method: 'POST', path, body });
      expectStatus(res, 404);
      const status = statusOf(res);
      expect(status.reason).toBe('NotFound');
      expect(status.details?.kind).toBe('namespaces');
      expect(status.details?.name).toBe('no-such-namespace-x1');
    }
  });

  it('a new namespace is Active and carries the kubernetes finalizer', async () => {
    const name = await cluster.newNamespace('ns-active');
    const got = ok(await cluster.request({ path: `/api/v1/namespaces/${name}` }));
    expect(got.status.phase).toBe('Active');
    expect(got.spec.finalizers).toEqual(['kubernetes']);
  });

  it('an invalid namespace name is 422', async () => {
    const res = await cluster.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Not_Valid' } } });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'metadata.name')).toBe(true);
  });

  it('a deleted namespace is Terminating and refuses new objects', async () => {
    const name = await deletedNamespaceWithContent('ns-delete');
    const terminating = ok(await cluster.request({ path: `/api/v1/namespaces/${name}` }));
    expect(terminating.metadata.deletionTimestamp).toBeTruthy();
    expect(terminating.status.phase).toBe('Terminating');

    const refused = await cluster.request({ method: 'POST', path: configMapsPath(name), body: configMap('late') });
    expectStatus(refused, 403);
    expect(statusOf(refused).reason).toBe('Forbidden');
    // Updates are still allowed; releasing the finalizer lets a cluster with a namespace
    // controller finish the deletion instead of keeping the namespace Terminating for good.
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(name, 'held'), body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' }));
  });

  // The namespace controller runs in kube-controller-manager, which envtest does not start:
  // there a deleted namespace stays Terminating for good.
  it.runIf(cluster.controllers)('the namespace controller empties a deleted namespace, which then goes away (needs kube-controller-manager)', async () => {
    const name = await deletedNamespaceWithContent('ns-empty');
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(name, 'plain') })).status === 404, {
      what: `ConfigMap ${name}/plain to be deleted by the namespace controller`,
    });
    const held = await cluster.waitFor(
      async () => {
        const cm = ok(await cluster.request({ path: configMapsPath(name, 'held') }));
        return cm.metadata.deletionTimestamp ? cm : undefined;
      },
      { what: `ConfigMap ${name}/held to be marked for deletion` },
    );
    expect(held.metadata.name).toBe('held');
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(name, 'held'), body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' }));
    await cluster.waitFor(async () => (await cluster.request({ path: `/api/v1/namespaces/${name}` })).status === 404, {
      what: `namespace ${name} to disappear`,
      timeoutMs: 45_000,
    });
  });
});

/**
 * A namespace holding ConfigMap `plain` and ConfigMap `held` (with a finalizer, so the namespace
 * stays Terminating long enough to observe), deleted before it is returned.
 */
async function deletedNamespaceWithContent(prefix: string): Promise<string> {
  const name = await cluster.newNamespace(prefix);
  ok(await cluster.request({ method: 'POST', path: configMapsPath(name), body: configMap('held', {}, { finalizers: ['conformance.agentlab.dev/hold'] }) }));
  ok(await cluster.request({ method: 'POST', path: configMapsPath(name), body: configMap('plain') }));
  const del = await cluster.request({ method: 'DELETE', path: `/api/v1/namespaces/${name}` });
  expect(del.status).toBe(200);
  return name;
}
