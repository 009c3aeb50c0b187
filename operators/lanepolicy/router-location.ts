import { DEFAULT_ROUTER, type RouterLocation } from './desiredNetworkPolicy.js';

// Label keys and values as Kubernetes accepts them (qualified name; value up to 63 chars).
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The router location as given on the command line (`agentlab run --router-*`); unset = default. */
export interface RouterLocationFlags {
  'router-namespace'?: string;
  /** "k=v,k2=v2" */
  'router-pod-labels'?: string;
  'router-port'?: string;
}

/**
 * Where the lane router runs, from `agentlab run`'s flags (the Helm chart sets them to the
 * release's router). A malformed value is an error naming the flag: these values end up in
 * every lane's NetworkPolicy, so guessing would open or close egress silently.
 */
export function parseRouterLocation(flags: RouterLocationFlags): RouterLocation {
  const namespace = flags['router-namespace'] ?? DEFAULT_ROUTER.namespace;
  if (!DNS_LABEL.test(namespace)) {
    throw new Error(`--router-namespace ${JSON.stringify(namespace)} is not a valid namespace name (lowercase letters, digits and '-', at most 63)`);
  }
  let podLabels = DEFAULT_ROUTER.podLabels;
  const labels = flags['router-pod-labels'];
  if (labels !== undefined) {
    podLabels = {};
    for (const pair of labels.split(',')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? '' : pair.slice(0, eq).trim();
      const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
      if (eq < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
        throw new Error(`--router-pod-labels: ${JSON.stringify(pair)} is not a label "key=value"; expected a comma-separated list such as "app.kubernetes.io/name=agentlab,app.kubernetes.io/component=router"`);
      }
      podLabels[key] = value;
    }
    if (Object.keys(podLabels).length === 0) throw new Error('--router-pod-labels is empty; it must select the router pods');
  }
  let port = DEFAULT_ROUTER.port;
  const portFlag = flags['router-port'];
  if (portFlag !== undefined) {
    port = Number(portFlag);
    if (!/^\d+$/.test(portFlag) || port < 1 || port > 65535) {
      throw new Error(`--router-port ${JSON.stringify(portFlag)} is not a port number (1-65535)`);
    }
  }
  return { namespace, podLabels, port };
}
