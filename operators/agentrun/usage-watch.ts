import type { Logger } from 'pino';
import { Informer } from '../runtime/informer.js';
import type { KubeClient, KubeObject } from '../runtime/kube.js';
import { RUN_KEY, RUN_NAMESPACE_KEY, RUN_USAGE_LABEL, runKindOfConfigMap } from '../model/agentrun/usage.js';
import { CONFIGMAPS } from './resources.js';

/** The runs' usage ConfigMaps the router writes in its namespace (operators/model/agentrun/usage.ts). */
export const RUN_USAGE_SELECTOR = `${RUN_USAGE_LABEL}=true`;

/**
 * The AgentRun (namespace/name key) a run usage ConfigMap counts for, from its annotations (the
 * label has no room for long names); undefined when it names none, or another kind's run (a Flow
 * or HardwareTask of the same name has its own ConfigMap).
 */
export function runKeyOfUsageConfigMap(cm: KubeObject): string | undefined {
  const namespace = cm.metadata?.annotations?.[RUN_NAMESPACE_KEY];
  const run = cm.metadata?.annotations?.[RUN_KEY];
  return namespace && run && runKindOfConfigMap(cm.metadata?.annotations) === 'AgentRun' ? `${namespace}/${run}` : undefined;
}

/** Only the identity and annotations are kept: the figures are read from the API server when the run is reconciled. */
const metadataOnly = (cm: KubeObject): KubeObject => {
  const m = cm.metadata ?? {};
  return { apiVersion: cm.apiVersion, kind: cm.kind, metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, annotations: m.annotations } };
};

export interface RunUsageWatchOptions {
  client: KubeClient;
  log: Logger;
  routerNamespace: string;
  /** Queues the run a written ConfigMap counts for (a Flow's or a run outside the operator's scope finds nothing to reconcile). */
  enqueue(key: string): void;
}

/**
 * Watches the run usage ConfigMaps in the router's namespace and queues the run each write counts
 * for (controller-runtime's Watches with EnqueueRequestsFromMapFunc, on a label-selected cache of
 * its own): a run's status.usage follows the router's flush instead of waiting for the periodic
 * refresh. Returns the stop.
 */
export function watchRunUsage(opts: RunUsageWatchOptions): () => Promise<void> {
  const informer = new Informer({
    client: opts.client, resource: CONFIGMAPS, namespaces: [opts.routerNamespace], labelSelector: RUN_USAGE_SELECTOR,
    logger: opts.log, resyncPeriodMs: 0, transform: metadataOnly,
  });
  informer.addHandler((type, obj, old) => {
    // A deletion (the sweep, a run gone) changes no run's usage; nor does a replay of the same version.
    if (type === 'delete' || (type === 'update' && old?.metadata?.resourceVersion === obj.metadata?.resourceVersion)) return;
    const key = runKeyOfUsageConfigMap(obj);
    if (key) opts.enqueue(key);
  });
  informer.start();
  return () => informer.stop();
}
