import { DEFAULT_ROUTER, type RouterLocation } from './desiredNetworkPolicy.js';

// Label keys and values as Kubernetes accepts them (qualified name; value up to 63 chars).
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Where the lane router runs, from the environment the Helm chart sets
 * (AGENTLAB_ROUTER_NAMESPACE, AGENTLAB_ROUTER_POD_LABELS "k=v,k2=v2", AGENTLAB_ROUTER_PORT).
 * A malformed value is an error naming the variable: these values end up in every lane's
 * NetworkPolicy, so guessing would open or close egress silently.
 */
export function routerLocationFromEnv(env: Record<string, string | undefined>): RouterLocation {
  const namespace = env.AGENTLAB_ROUTER_NAMESPACE ?? DEFAULT_ROUTER.namespace;
  if (!DNS_LABEL.test(namespace)) {
    throw new Error(`AGENTLAB_ROUTER_NAMESPACE=${JSON.stringify(namespace)} is not a valid namespace name (lowercase letters, digits and '-', at most 63)`);
  }
  let podLabels = DEFAULT_ROUTER.podLabels;
  if (env.AGENTLAB_ROUTER_POD_LABELS !== undefined) {
    podLabels = {};
    for (const pair of env.AGENTLAB_ROUTER_POD_LABELS.split(',')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? '' : pair.slice(0, eq).trim();
      const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
      if (eq < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
        throw new Error(`AGENTLAB_ROUTER_POD_LABELS: ${JSON.stringify(pair)} is not a label "key=value"; expected a comma-separated list such as "app.kubernetes.io/name=agentlab,app.kubernetes.io/component=router"`);
      }
      podLabels[key] = value;
    }
    if (Object.keys(podLabels).length === 0) throw new Error('AGENTLAB_ROUTER_POD_LABELS is empty; it must select the router pods');
  }
  let port = DEFAULT_ROUTER.port;
  if (env.AGENTLAB_ROUTER_PORT !== undefined) {
    port = Number(env.AGENTLAB_ROUTER_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`AGENTLAB_ROUTER_PORT=${JSON.stringify(env.AGENTLAB_ROUTER_PORT)} is not a port number (1-65535)`);
    }
  }
  return { namespace, podLabels, port };
}
