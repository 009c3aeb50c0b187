// The simulated machines: Node objects with capacity, GPU feature-discovery labels and a Lease.
import { V1MicroTime, type V1Lease, type V1Node, type V1Taint } from '@kubernetes/client-node';

export interface SimNode {
  name: string;
  cpu: string;
  memory: string;
  gpus?: { count: number; product: string; memoryMiB: number };
  labels?: Record<string, string>;
  taints?: V1Taint[];
  /** Max pods (default 110, the kubelet default). */
  pods?: number;
}

/** The homelab the project is built for: two GPU nodes and one CPU-only node. */
export const HOMELAB_NODES: SimNode[] = [
  { name: 'chief-horse', cpu: '16', memory: '64Gi', gpus: { count: 1, product: 'NVIDIA-GeForce-RTX-3060', memoryMiB: 12288 } },
  { name: 'still-fawn', cpu: '12', memory: '32Gi', gpus: { count: 1, product: 'NVIDIA-GeForce-RTX-3070', memoryMiB: 8192 } },
  { name: 'pumped-piglet', cpu: '8', memory: '32Gi' },
];

export const SIM_LABEL = 'sim.agentlab.dev/node';
export const KUBELET_VERSION = 'v1.32.0-sim';

/** The Node a kubelet would register for this machine (status included; it is also written via /status). */
export function nodeManifest(sim: SimNode, address: string, now: Date, kubeletPort = 10250): V1Node {
  const gpuLabels: Record<string, string> = sim.gpus
    ? {
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.product': sim.gpus.product,
        'nvidia.com/gpu.memory': String(sim.gpus.memoryMiB),
        'nvidia.com/gpu.count': String(sim.gpus.count),
      }
    : {};
  const resources: Record<string, string> = {
    cpu: sim.cpu,
    memory: sim.memory,
    pods: String(sim.pods ?? 110),
    'ephemeral-storage': '500Gi',
    ...(sim.gpus ? { 'nvidia.com/gpu': String(sim.gpus.count) } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: sim.name,
      labels: {
        'kubernetes.io/hostname': sim.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        [SIM_LABEL]: 'true',
        ...gpuLabels,
        ...(sim.labels ?? {}),
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { ...(sim.taints?.length ? { taints: sim.taints } : {}) },
    status: nodeStatus(sim, address, now, resources, kubeletPort),
  };
}

function nodeStatus(sim: SimNode, address: string, now: Date, resources: Record<string, string>, kubeletPort: number): V1Node['status'] {
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now,
  });
  return {
    capacity: resources,
    allocatable: resources,
    // No Hostname address: kube-apiserver prefers it for kubelet connections and the node
    // name does not resolve; InternalIP is where the simulated kubelet listens.
    addresses: [{ type: 'InternalIP', address }],
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      architecture: 'amd64',
      bootID: `sim-${sim.name}`,
      containerRuntimeVersion: 'containerd://1.7.22-sim',
      kernelVersion: '6.8.0-sim',
      kubeProxyVersion: KUBELET_VERSION,
      kubeletVersion: KUBELET_VERSION,
      machineID: `sim-${sim.name}`,
      operatingSystem: 'linux',
      osImage: 'AgentLab node simulator',
      systemUUID: `sim-${sim.name}`,
    },
  };
}

/** The heartbeat Lease a kubelet renews in kube-node-lease (renewed every 10 s, valid 40 s). */
export function leaseManifest(nodeName: string, nodeUid: string | undefined, now: Date): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: new V1MicroTime(now.getTime()) },
  };
}
