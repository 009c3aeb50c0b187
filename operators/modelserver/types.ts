import type { Condition } from '../runtime/conditions.js';
import type { KubeObject, ResourceRef } from '../runtime/kube.js';
import { API_VERSION, GROUP, KINDS, VERSION } from '../api/constants.js';

/** spec of a ModelServer, as crds/modelservers.agentlab.dev.yaml defines it (after defaulting). */
export interface ModelServerSpec {
  runtime?: 'ollama' | 'vllm';
  image?: string;
  models: { name: string; digest?: string; revision?: string }[];
  prune?: boolean;
  replicas?: number;
  gpu?: { count?: number; product?: string; minMemory?: string };
  placement?: {
    nodeSelector?: Record<string, string>;
    preferredNodes?: string[];
    weights?: { gpuMemory?: number; freeMemory?: number; preferred?: number };
  };
  cache?: { size?: string; storageClassName?: string };
  warmup?: { prompt: string; model?: string };
  ollama?: { keepAlive?: string; numParallel?: number; maxLoadedModels?: number };
  vllm?: { maxModelLen?: number; gpuMemoryUtilization?: string; dtype?: string; extraArgs?: string[] };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  env?: { name: string; value?: string; secretKeyRef?: { name: string; key: string } }[];
}

export interface PlacementCandidate { node: string; fits: boolean; score: number; reason: string }

export interface PlacementStatus {
  node?: string;
  score?: number;
  reason?: string;
  suggestion?: string;
  candidates?: PlacementCandidate[];
}

export interface ModelStatus {
  name: string;
  present?: boolean;
  digest?: string;
  sizeBytes?: number;
  pulledAt?: string;
  progress?: number;
  message?: string;
}

export interface ModelServerStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  endpoint?: string;
  node?: string;
  modelsReady?: string;
  placement?: PlacementStatus;
  models?: ModelStatus[];
  warmedUpAt?: string;
}

export interface ModelServer extends KubeObject {
  spec: ModelServerSpec;
  status?: ModelServerStatus;
}

export const MODELSERVERS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.ModelServer.plural, kind: 'ModelServer', namespaced: true };
export const MODELSERVER_API_VERSION = API_VERSION;

export const PVCS: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true };
export const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true };
export const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
export const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };

/** Images used when spec.image is empty: pinned so an upgrade is a deliberate operator release. */
export const DEFAULT_IMAGES = {
  ollama: 'ollama/ollama:0.12.6',
  vllm: 'vllm/vllm-openai:v0.11.0',
} as const;

/** The port each runtime listens on and its health endpoint. */
export const RUNTIME_PORTS = {
  ollama: { port: 11434, health: '/api/version' },
  vllm: { port: 8000, health: '/health' },
} as const;

export const runtimeOf = (spec: ModelServerSpec): 'ollama' | 'vllm' => spec.runtime ?? 'ollama';
export const replicasOf = (spec: ModelServerSpec): number => spec.replicas ?? 1;
/** GPUs per pod: 0 when the gpu block is absent, 1 when it is present without a count. */
export const gpuCountOf = (spec: ModelServerSpec): number => (spec.gpu ? spec.gpu.count ?? 1 : 0);
