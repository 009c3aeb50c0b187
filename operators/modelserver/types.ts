import type { ModelServerSpec as GeneratedSpec, ModelServerStatus as GeneratedStatus } from '../api/generated/modelserver.js';
import type { KubeObject, ResourceRef } from '../runtime/kube.js';
import { API_VERSION, GROUP, KINDS, VERSION } from '../api/constants.js';

/** spec and status as crds/modelservers.agentlab.dev.yaml defines them (generated types). */
export type ModelServerSpec = GeneratedSpec;
export type ModelServerStatus = GeneratedStatus;
export type PlacementStatus = NonNullable<ModelServerStatus['placement']>;
export type PlacementCandidate = NonNullable<PlacementStatus['candidates']>[number];
export type ModelStatus = NonNullable<ModelServerStatus['models']>[number];

/** A ModelServer as the runtime caches it. */
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

/** The port each runtime listens on and its health endpoint (shared with the lane model). */
export { RUNTIME_PORTS } from '../model/modelserver/runtime.js';

export const runtimeOf = (spec: ModelServerSpec): 'ollama' | 'vllm' => spec.runtime ?? 'ollama';
export const replicasOf = (spec: ModelServerSpec): number => spec.replicas ?? 1;
/** GPUs per pod: 0 when the gpu block is absent, 1 when it is present without a count. */
export const gpuCountOf = (spec: ModelServerSpec): number => (spec.gpu ? spec.gpu.count ?? 1 : 0);
