import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';

// status.qosClass is set when a pod is created, from cpu and memory only (pkg/apis/core/helper/qos).
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('qos');
});

async function qos(name: string, resources: { requests?: Record<string, string>; limits?: Record<string, string> }): Promise<string | undefined> {
  const pod = await cluster.core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name },
    // Unschedulable on purpose: the class is the server's, not a kubelet's.
    spec: { nodeSelector: { 'agentlab.dev/no-such-node': 'true' }, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources }] },
  } });
  return pod.status?.qosClass;
}

describe('pod QoS class', () => {
  it.each([
    ['gpu-only', { limits: { 'nvidia.com/gpu': '1' } }, 'BestEffort'],
    ['none', {}, 'BestEffort'],
    ['limits-only', { limits: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    ['equal-as-quantities', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } }, 'Guaranteed'],
    ['gpu-and-cpu-request', { requests: { cpu: '100m' }, limits: { 'nvidia.com/gpu': '1' } }, 'Burstable'],
    ['cpu-limit-only', { limits: { cpu: '1' } }, 'Burstable'],
  ])('%s', async (name, resources, expected) => {
    expect(await qos(name, resources)).toBe(expected);
  });
});
