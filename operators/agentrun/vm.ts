import type { AgentRunSpec } from '../api/generated/agentrun.js';
import { KUBEVIRT_INSTALL } from './kubevirt.js';

export const DEFAULT_RUNTIME_CLASS = 'kata';
const KATA_INSTALL = 'install Kata Containers on the nodes and its RuntimeClass (e.g. kata-deploy: https://github.com/kata-containers/kata-containers/tree/main/tools/packaging/kata-deploy), or name an installed one in spec.runtime.vm.runtimeClassName';

/** What the cluster serves that decides a vm run's engine. */
export interface VmCluster {
  /** Whether the RuntimeClass named by the run exists. */
  runtimeClass: boolean;
  /** Whether KubeVirt's VirtualMachineInstance API (kubevirt.io/v1) is served. */
  kubevirt: boolean;
}

export interface RuntimeChoice { type: 'pod' | 'vm'; engine?: 'kata' | 'kubevirt'; runtimeClassName?: string; reason: string }

export type RuntimeVerdict = { ok: true; runtime: RuntimeChoice } | { ok: false; reason: string; message: string };

export const runtimeClassNameOf = (spec: AgentRunSpec): string => spec.runtime?.vm?.runtimeClassName || DEFAULT_RUNTIME_CLASS;

/**
 * How a run is isolated. A pod run is a pod. A vm run with engine kata is the same pod under the
 * RuntimeClass (the API server's RuntimeClass admission adds its overhead); without that
 * RuntimeClass it waits, saying what to install, and never becomes a plain pod. With engine
 * kubevirt it is a VirtualMachineInstance (kubevirt.ts), waiting while the cluster does not serve
 * KubeVirt's API. Without an engine, the cluster decides: the RuntimeClass, else KubeVirt.
 */
export function runtimeVerdict(spec: AgentRunSpec, cluster: VmCluster): RuntimeVerdict {
  if (spec.runtime?.type !== 'vm') return { ok: true, runtime: { type: 'pod', reason: 'spec.runtime.type is pod' } };
  const rc = runtimeClassNameOf(spec);
  const named = spec.runtime.vm?.engine;
  let engine: 'kata' | 'kubevirt';
  let why: string;
  if (named) {
    engine = named;
    why = `spec.runtime.vm.engine is ${named}`;
  } else if (cluster.runtimeClass) {
    engine = 'kata';
    why = `spec.runtime.vm.engine is unset and the cluster serves RuntimeClass ${rc}`;
  } else if (cluster.kubevirt) {
    engine = 'kubevirt';
    why = `spec.runtime.vm.engine is unset, the cluster has no RuntimeClass ${rc} and serves KubeVirt's VirtualMachineInstance API`;
  } else {
    return { ok: false, reason: 'VMRuntimeNotFound', message: `spec.runtime.type: vm needs Kata Containers or KubeVirt, and the cluster serves neither: no RuntimeClass ${rc} (node.k8s.io/v1) and no VirtualMachineInstance API (kubevirt.io/v1); ${KATA_INSTALL}; or ${KUBEVIRT_INSTALL}` };
  }
  if (engine === 'kubevirt') {
    if (!cluster.kubevirt) {
      return { ok: false, reason: 'KubeVirtNotInstalled', message: `spec.runtime.vm.engine: kubevirt needs KubeVirt, and the cluster does not serve its VirtualMachineInstance API (kubevirt.io/v1); the run is not started as a plain pod: ${KUBEVIRT_INSTALL}` };
    }
    return { ok: true, runtime: { type: 'vm', engine: 'kubevirt', reason: why } };
  }
  if (!cluster.runtimeClass) {
    return { ok: false, reason: 'RuntimeClassNotFound', message: `spec.runtime.vm.runtimeClassName: RuntimeClass ${JSON.stringify(rc)} not found (node.k8s.io/v1); engine kata needs it, and the run is not started as a plain pod: ${KATA_INSTALL}` };
  }
  return { ok: true, runtime: { type: 'vm', engine: 'kata', runtimeClassName: rc, reason: why } };
}
