import { beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { useCluster } from '../harness/cluster.js';

// kubectl cordon marks a node unschedulable; kubectl drain evicts its pods through the pods/eviction
// subresource (protobuf Eviction bodies) and waits for them to go; the Deployment's replacement
// lands on another node; kubectl uncordon makes the node schedulable again. --pod-selector keeps
// the drain to this file's pods, since other test files share the nodes.
const cluster = useCluster();
let ns: string;
const SELECTOR = 'app=drain-me';

const deployment = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: drain-me
  namespace: ${namespace}
spec:
  replicas: 1
  selector:
    matchLabels: { app: drain-me }
  template:
    metadata:
      labels: { app: drain-me }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: pause
          image: registry.k8s.io/pause:3.10
`;

async function runningPods(): Promise<V1Pod[]> {
  const list = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: SELECTOR });
  return list.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
}

async function unschedulable(node: string): Promise<boolean> {
  return (await cluster.core.readNode({ name: node })).spec?.unschedulable === true;
}

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-drain');
});

describe('kubectl cordon, drain, uncordon', () => {
  it.runIf(cluster.nodeSimulator)('evicts the pod and the Deployment reschedules it on another node', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: deployment(ns) });
    const [first] = await cluster.waitFor(async () => { const pods = await runningPods(); return pods.length === 1 && pods; }, { timeoutMs: 60_000 });
    const node = first!.spec!.nodeName!;

    const cordon = await cluster.kubectl(['cordon', node]);
    expect(cordon.stdout.trim()).toBe(`node/${node} cordoned`);
    expect(await unschedulable(node)).toBe(true);
    try {
      const drain = await cluster.kubectl(['drain', node, '--ignore-daemonsets', '--force', `--pod-selector=${SELECTOR}`, '--timeout=90s']);
      expect(drain.stdout).toContain(`node/${node} already cordoned`);
      expect(drain.stdout).toContain(`pod/${first!.metadata!.name} evicted`);
      expect(drain.stdout).toContain(`node/${node} drained`);

      const [replacement] = await cluster.waitFor(async () => { const pods = await runningPods(); return pods.length === 1 && pods; }, { timeoutMs: 60_000 });
      expect(replacement!.metadata!.name).not.toBe(first!.metadata!.name);
      expect(replacement!.spec!.nodeName).not.toBe(node);
    } finally {
      const uncordon = await cluster.kubectl(['uncordon', node]);
      expect(uncordon.stdout.trim()).toBe(`node/${node} uncordoned`);
    }
    expect(await unschedulable(node)).toBe(false);
  });

  it('an eviction that would break a PodDisruptionBudget is refused with 429', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: keep-one, namespace: ${ns} }
spec:
  minAvailable: 1
  selector: { matchLabels: { app: guarded } }
---
apiVersion: v1
kind: Pod
metadata: { name: guarded, namespace: ${ns}, labels: { app: guarded } }
spec:
  containers: [{ name: pause, image: registry.k8s.io/pause:3.10 }]
` });
    // Only running pods are protected; with no scheduler or kubelet at all (envtest) the test plays kubelet.
    if (!cluster.nodeSimulator && !cluster.controllers) {
      await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}/pods/guarded/status`,
        contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
    }
    await cluster.waitFor(async () => (await cluster.core.readNamespacedPod({ namespace: ns, name: 'guarded' })).status?.phase === 'Running', { timeoutMs: 60_000 });
    const res = await cluster.request({
      method: 'POST', path: `/api/v1/namespaces/${ns}/pods/guarded/eviction`,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'guarded', namespace: ns } },
    });
    expect(res.status).toBe(429);
    const status = res.json<{ reason?: string; message?: string; details?: { causes?: { reason?: string }[] } }>();
    expect(status.reason).toBe('TooManyRequests');
    expect(status.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(status.details?.causes?.[0]?.reason).toBe('DisruptionBudget');
    expect((await cluster.core.readNamespacedPod({ namespace: ns, name: 'guarded' })).metadata?.deletionTimestamp).toBeUndefined();
  });
});
