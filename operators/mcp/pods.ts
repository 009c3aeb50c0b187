import type { KubeObject } from '../runtime/kube.js';

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  };
}
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** Why a pod does not run or serve, in kubectl describe's words; empty for a healthy pod. */
export function podProblems(pod: KubeObject): { reason: string; message: string }[] {
  const st = (pod.status ?? {}) as PodStatus;
  const out: { reason: string; message: string }[] = [];
  const scheduled = st.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') out.push({ reason: scheduled.reason ?? 'Unschedulable', message: `pod not scheduled (${scheduled.reason ?? 'Unschedulable'}): ${scheduled.message ?? ''}` });
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w && w.reason && w.reason !== 'ContainerCreating' && w.reason !== 'PodInitializing') {
      out.push({ reason: w.reason, message: `container ${c.name} waiting (${w.reason})${w.message ? `: ${w.message}` : ''}${c.restartCount ? `, ${c.restartCount} restarts` : ''}` });
    }
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0) {
      out.push({ reason: t.reason ?? 'Error', message: `container ${c.name} terminated (${t.reason ?? 'Error'}, exit code ${t.exitCode ?? '?'})${t.message ? `: ${t.message.slice(0, 500)}` : ''}` });
    }
  }
  if (st.phase === 'Failed' && out.length === 0) out.push({ reason: st.reason ?? 'Failed', message: `pod failed${st.reason ? ` (${st.reason})` : ''}${st.message ? `: ${st.message}` : ''}` });
  return out;
}
