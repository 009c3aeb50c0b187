import { checkConnect, checkHttpRequest, type HttpPolicy } from '../model/agentrun/http-policy.js';
import { EGRESS_ANNOTATION } from '../model/agentrun/egress.js';
import type { LaneEntry } from './state.js';
import type { Identity } from './tokens.js';

/** What the pod asks the proxy for: an http request in absolute form, or a CONNECT tunnel (https). */
export type EgressTarget = { kind: 'http'; url: string; method: string } | { kind: 'connect'; authority: string };

/** Metric outcomes of a refusal (bounded; never a host name). */
export type EgressRefusal = 'auth' | 'policy' | 'method' | 'host';

export type EgressDecision =
  | { allowed: true; identity: Identity; lane: string; policy: HttpPolicy; host: string; port: number; url?: URL; method?: string }
  | { allowed: false; status: 400 | 403 | 407 | 503; code: string; outcome: EgressRefusal; message: string; identity?: Identity; lane?: string };

export interface EgressInput {
  auth: { ok: true; identity: Identity } | { ok: false; reason: string };
  /** The caller's lane (state.laneFor of the token's namespace); unused when auth failed. */
  lane: (namespace: string) => { lane: LaneEntry } | { error: string };
  target: EgressTarget;
}

/**
 * The egress proxy's decision, pure: the run's token (Proxy-Authorization), its lane (a private
 * lane has no http egress), the run's policy from its token Secret (agentlab.dev/egress), then
 * the same checks as the runner's http tool (checkHttpRequest; checkConnect for a tunnel).
 */
export function decideEgress(input: EgressInput): EgressDecision {
  const { auth, target } = input;
  if (!auth.ok) return { allowed: false, status: 407, code: 'proxy_auth_required', outcome: 'auth', message: `${auth.reason.replace('Authorization: Bearer', 'Proxy-Authorization: Bearer')}` };
  const identity = auth.identity;
  const run = `run ${identity.namespace}/${identity.run}`;
  const r = input.lane(identity.namespace);
  if ('error' in r) return { allowed: false, status: 403, code: 'no_lane', outcome: 'policy', message: r.error, identity };
  if (!r.lane.ok) return { allowed: false, status: 503, code: 'lane_invalid', outcome: 'policy', message: `LanePolicy ${r.lane.name} is invalid; its namespaces get no egress until it is fixed`, identity, lane: r.lane.name };
  const lane = r.lane.lane;
  const refuse = (status: 400 | 403, code: string, outcome: EgressRefusal, message: string): EgressDecision => ({ allowed: false, status, code, outcome, message, identity, lane: lane.name });
  if (identity.lane && identity.lane !== lane.name) return refuse(403, 'lane_mismatch', 'policy', `${run} was issued for lane ${identity.lane}, but namespace ${identity.namespace} is in lane ${lane.name}`);
  // A private lane's data may not leave: an allowed host is still a way out, so there is none.
  if (!lane.allowCloud) return refuse(403, 'private_lane', 'policy', `lane ${lane.name} is private (allowCloud: false): http egress is refused for ${run}`);
  // Likewise a sensitive run where the lane keeps sensitive data local (its prompts may be in what it would send).
  if (identity.sensitive && lane.sensitiveData === 'LocalOnly') return refuse(403, 'sensitive_run', 'policy', `${run} is sensitive and lane ${lane.name} keeps sensitive data local (sensitiveData: LocalOnly): http egress is refused`);
  if (!identity.egress) return refuse(403, 'no_egress', 'policy', `${run} has no http egress (its token Secret has no ${EGRESS_ANNOTATION} annotation: the AgentRun lists no http tool)`);
  if (!identity.egress.ok) return refuse(403, 'egress_invalid', 'policy', `${run}: ${identity.egress.error}`);
  const policy = identity.egress.policy;
  if (target.kind === 'connect') {
    const v = checkConnect(policy, target.authority);
    if (!v.allowed) return refuse(403, 'host_not_allowed', 'host', `CONNECT refused: ${v.reason}`);
    return { allowed: true, identity, lane: lane.name, policy, host: v.host, port: v.port };
  }
  if (target.url.toLowerCase().startsWith('https:')) return refuse(400, 'use_connect', 'policy', 'https URLs go through CONNECT (a tunnel), not as an absolute-form request');
  const v = checkHttpRequest(policy, target.url, target.method);
  if (!v.allowed) return refuse(403, v.reason.startsWith('method ') ? 'method_not_allowed' : 'host_not_allowed', v.reason.startsWith('method ') ? 'method' : 'host', `${target.method.toUpperCase()} refused: ${v.reason}`);
  return { allowed: true, identity, lane: lane.name, policy, host: v.url.hostname, port: Number(v.url.port) || 80, url: v.url, method: v.method };
}
