import type { KubeObject } from '../runtime/kube.js';
import { parseQuantity } from '../runtime/quantity.js';
import { DEFAULT_IMAGES, type ModelServer, RUNTIME_PORTS, gpuCountOf, replicasOf, runtimeOf } from './types.js';

/** Label selecting a ModelServer's pods; the Deployment selector is immutable, so it is this one label only. */
export const SERVER_LABEL = 'agentlab.dev/modelserver';
export const MODELS_MOUNT = '/models';
export const DEFAULT_CACHE_SIZE = '20Gi';

export const pvcName = (ms: ModelServer): string => `${ms.metadata!.name}-cache`;
export const serviceName = (ms: ModelServer): string => ms.metadata!.name!;
export const deploymentName = (ms: ModelServer): string => ms.metadata!.name!;

function labels(ms: ModelServer): Record<string, string> {
  return {
    'app.kubernetes.io/name': runtimeOf(ms.spec),
    'app.kubernetes.io/instance': ms.metadata!.name!,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/part-of': 'agentlab',
    [SERVER_LABEL]: ms.metadata!.name!,
  };
}

/** The in-cluster URL of the server (status.endpoint). */
export function endpointOf(ms: ModelServer): string {
  const port = RUNTIME_PORTS[runtimeOf(ms.spec)].port;
  return `http://${serviceName(ms)}.${ms.metadata!.namespace}.svc:${port}`;
}

/** Kubernetes stores quantities as strings; numbers from int-or-string fields are written that way too. */
function quantities(q: Record<string, string | number | undefined> | undefined): Record<string, string> | undefined {
  if (!q) return undefined;
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}

/** The size last requested for the cache volume, kept on the PVC because the cache holds no child specs. */
export const REQUESTED_STORAGE_ANNOTATION = 'agentlab.dev/requested-storage';

/**
 * The model cache. A PVC's request may grow but never shrink (the API server rejects it), so the
 * request is the largest of the spec, what was requested before and what is provisioned.
 */
export function desiredPVC(ms: ModelServer, live?: KubeObject): KubeObject {
  const wanted = ms.spec.cache?.size ?? DEFAULT_CACHE_SIZE;
  const before = live?.metadata?.annotations?.[REQUESTED_STORAGE_ANNOTATION];
  const provisioned = (live?.status as { capacity?: { storage?: string } } | undefined)?.capacity?.storage;
  let size = wanted;
  for (const q of [before, provisioned]) if (q && parseQuantity(q) > parseQuantity(size)) size = q;
  const spec: Record<string, unknown> = {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: size } },
  };
  if (ms.spec.cache?.storageClassName) spec.storageClassName = ms.spec.cache.storageClassName;
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: pvcName(ms), namespace: ms.metadata!.namespace, labels: labels(ms), annotations: { [REQUESTED_STORAGE_ANNOTATION]: size } },
    spec,
  };
}

export function desiredService(ms: ModelServer): KubeObject {
  const port = RUNTIME_PORTS[runtimeOf(ms.spec)].port;
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: serviceName(ms), namespace: ms.metadata!.namespace, labels: labels(ms) },
    spec: {
      type: 'ClusterIP',
      selector: { [SERVER_LABEL]: ms.metadata!.name! },
      ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

function runtimeEnv(ms: ModelServer): { name: string; value?: string; valueFrom?: unknown }[] {
  const spec = ms.spec;
  const env: { name: string; value?: string; valueFrom?: unknown }[] = [];
  if (runtimeOf(spec) === 'ollama') {
    env.push({ name: 'OLLAMA_HOST', value: `0.0.0.0:${RUNTIME_PORTS.ollama.port}` });
    env.push({ name: 'OLLAMA_MODELS', value: MODELS_MOUNT });
    if (spec.ollama?.keepAlive) env.push({ name: 'OLLAMA_KEEP_ALIVE', value: spec.ollama.keepAlive });
    if (spec.ollama?.numParallel) env.push({ name: 'OLLAMA_NUM_PARALLEL', value: String(spec.ollama.numParallel) });
    if (spec.ollama?.maxLoadedModels) env.push({ name: 'OLLAMA_MAX_LOADED_MODELS', value: String(spec.ollama.maxLoadedModels) });
  } else {
    // Hugging Face downloads land on the cache volume; HOME must be writable for a non-root user.
    env.push({ name: 'HF_HOME', value: `${MODELS_MOUNT}/huggingface` });
    env.push({ name: 'HOME', value: '/tmp' });
  }
  // User entries override the operator's of the same name (last one wins when building the map).
  const byName = new Map(env.map((e) => [e.name, e]));
  for (const e of spec.env ?? []) {
    byName.set(e.name, e.secretKeyRef
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secretKeyRef.name, key: e.secretKeyRef.key } } }
      : { name: e.name, value: e.value ?? '' });
  }
  return [...byName.values()];
}

function vllmArgs(ms: ModelServer): string[] {
  const spec = ms.spec;
  const model = spec.models[0];
  const args = ['--model', model.name, '--served-model-name', model.name, '--port', String(RUNTIME_PORTS.vllm.port), '--download-dir', `${MODELS_MOUNT}/huggingface`];
  if (model.revision) args.push('--revision', model.revision);
  if (spec.vllm?.maxModelLen) args.push('--max-model-len', String(spec.vllm.maxModelLen));
  if (spec.vllm?.gpuMemoryUtilization) args.push('--gpu-memory-utilization', spec.vllm.gpuMemoryUtilization);
  if (spec.vllm?.dtype) args.push('--dtype', spec.vllm.dtype);
  if (gpuCountOf(spec) > 1) args.push('--tensor-parallel-size', String(gpuCountOf(spec)));
  args.push(...(spec.vllm?.extraArgs ?? []));
  return args;
}

/**
 * The server Deployment. `node` is the placement decision (undefined: not placed, e.g. stopped
 * before it was ever scheduled). Recreate, not RollingUpdate: a surge pod would need a second GPU
 * and the ReadWriteOnce cache volume.
 */
export function desiredDeployment(ms: ModelServer, node: string | undefined): KubeObject {
  const spec = ms.spec;
  const runtime = runtimeOf(spec);
  const { port, health } = RUNTIME_PORTS[runtime];
  const gpus = gpuCountOf(spec);
  const resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  const requests = quantities(spec.resources?.requests);
  const limits = quantities(spec.resources?.limits) ?? {};
  if (gpus > 0) limits['nvidia.com/gpu'] = String(gpus);
  if (requests) resources.requests = requests;
  if (Object.keys(limits).length) resources.limits = limits;

  const httpGet = { path: health, port: 'http' };
  const container: Record<string, unknown> = {
    name: runtime,
    image: spec.image ?? DEFAULT_IMAGES[runtime],
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: runtimeEnv(ms),
    resources,
    volumeMounts: [{ name: 'models', mountPath: MODELS_MOUNT }],
    readinessProbe: { httpGet, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { httpGet, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
    // Loading weights can take minutes; the startup probe holds liveness off until then.
    startupProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: runtime === 'vllm' ? 90 : 30 },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      // The official Ollama image runs as root (its data lives under /root/.ollama); vLLM runs fine as any user.
      ...(runtime === 'vllm' ? { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 } : {}),
    },
  };
  if (runtime === 'vllm') {
    container.args = vllmArgs(ms);
    (container.volumeMounts as unknown[]).push({ name: 'shm', mountPath: '/dev/shm' }, { name: 'tmp', mountPath: '/tmp' });
  }
  const volumes: unknown[] = [{ name: 'models', persistentVolumeClaim: { claimName: pvcName(ms) } }];
  if (runtime === 'vllm') {
    // PyTorch workers share tensors through /dev/shm; the container default of 64 MiB is too small.
    volumes.push({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }, { name: 'tmp', emptyDir: {} });
  }
  const podSpec: Record<string, unknown> = {
    containers: [container],
    volumes,
    securityContext: {
      seccompProfile: { type: 'RuntimeDefault' },
      ...(runtime === 'vllm' ? { runAsNonRoot: true, fsGroup: 1000 } : {}),
    },
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
  };
  if (node) {
    podSpec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }],
        },
      },
    };
  }
  if (gpus > 0) podSpec.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
  const podLabels = labels(ms);
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: deploymentName(ms), namespace: ms.metadata!.namespace, labels: podLabels },
    spec: {
      replicas: replicasOf(spec),
      selector: { matchLabels: { [SERVER_LABEL]: ms.metadata!.name! } },
      strategy: { type: 'Recreate' },
      template: { metadata: { labels: podLabels }, spec: podSpec },
    },
  };
}
