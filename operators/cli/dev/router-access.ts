import { randomBytes } from 'node:crypto';
import { DEFAULT_ROUTER } from '../../lanepolicy/desiredNetworkPolicy.js';
import type { ControllerDeps } from '../../manager.js';
import { RUN_LABEL, TOKEN_LABEL, TOKEN_SECRET_TYPE } from '../../router/tokens.js';
import type { Manifest } from './apply-order.js';

/** The lane `agentlab dev` hands a token for: local models only, so it works with no API keys. */
export const DEV_LANE = 'private';
export const DEV_TOKEN_SECRET = 'dev-router-token';
const LANE_LABEL = 'agentlab.dev/lane';

/** Where `agentlab dev` runs its router: usage ConfigMaps live there, as in a cluster. */
export const DEV_ROUTER_NAMESPACE = 'agentlab-system';

/**
 * Pure: the operator's dependencies that point it at the router `agentlab dev` started (a local
 * process on 127.0.0.1, not a pod): lanes allow egress to its port, the Flow controller's model
 * nodes and AgentRun pods (local processes too) call its URL.
 */
export function devRouterDeps(routerUrl: string): Pick<ControllerDeps, 'router' | 'routerUrl'> {
  return { router: { ...DEFAULT_ROUTER, namespace: DEV_ROUTER_NAMESPACE, port: Number(new URL(routerUrl).port) }, routerUrl };
}

/** Pure: the first applied Namespace bound to the private lane (homelab-private in the examples). */
export function devTokenNamespace(manifests: Manifest[]): string | undefined {
  const ns = manifests.find((m) => m.object.apiVersion === 'v1' && m.object.kind === 'Namespace'
    && (m.object.metadata as { labels?: Record<string, string> }).labels?.[LANE_LABEL] === DEV_LANE);
  return ns?.object.metadata.name;
}

/** A router token Secret as ADR 0013 describes (what the AgentRun controller will issue per run). */
export function devTokenSecret(namespace: string, token = randomBytes(32).toString('hex')) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: TOKEN_SECRET_TYPE,
    metadata: {
      name: DEV_TOKEN_SECRET,
      namespace,
      labels: { [TOKEN_LABEL]: 'true', [RUN_LABEL]: 'dev' },
    },
    data: { token: Buffer.from(token).toString('base64') },
  };
}

/**
 * Pure: the lines that tell a person how to talk to the router. The token is not printed: it is
 * read from its Secret with kubectl, as a person would read any router token.
 */
export function routerIntro(routerUrl: string, namespace: string | undefined): string[] {
  if (!namespace) {
    return [`The lane router listens on ${routerUrl} (no namespace of the ${DEV_LANE} lane was applied, so no token was made).`];
  }
  return [
    `Talk to the lane router (lane ${DEV_LANE}, namespace ${namespace}):`,
    `  export AGENTLAB_ROUTER_URL=${routerUrl}`,
    `  export AGENTLAB_ROUTER_TOKEN=$(kubectl -n ${namespace} get secret ${DEV_TOKEN_SECRET} -o jsonpath='{.data.token}' | base64 -d)`,
    `  curl -s "$AGENTLAB_ROUTER_URL/v1/chat/completions" -H "Authorization: Bearer $AGENTLAB_ROUTER_TOKEN" -H 'Content-Type: application/json' -d '{"model":"fast","messages":[{"role":"user","content":"Say hello"}]}'`,
  ];
}
