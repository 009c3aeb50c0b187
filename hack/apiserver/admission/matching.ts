/**
 * Which requests a ValidatingAdmissionPolicy or binding applies to: matchConstraints / matchResources
 * (resourceRules with operations, apiGroups, apiVersions, resources incl. `*`, `*\/*`, `pods/*`,
 * `*\/scale`, resourceNames and scope; excludeResourceRules; namespaceSelector; objectSelector),
 * after k8s.io/apiserver/pkg/admission/plugin/policy/matching and webhook/predicates.
 */
import { fromMetaLabelSelector, matchesLabels, type MetaLabelSelector } from '../selectors.js';
import { isRecord, type KObject } from '../types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface RuleWithOperations {
  operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; resources?: string[]; scope?: string; resourceNames?: string[];
}

export interface MatchResources {
  namespaceSelector?: MetaLabelSelector;
  objectSelector?: MetaLabelSelector;
  resourceRules?: RuleWithOperations[];
  excludeResourceRules?: RuleWithOperations[];
  matchPolicy?: string;
}

/** What a request looks like to the matcher. */
export interface MatchRequest {
  operation: Operation;
  group: string; version: string; resource: string; subresource: string;
  namespace: string; name: string;
  object: KObject | null; oldObject: KObject | null;
  /** The labels of the request's namespace (undefined for cluster-scoped requests). */
  namespaceLabels?: Record<string, string>;
}

const listHas = (list: string[] | undefined, v: string): boolean => (list ?? []).some((x) => x === '*' || x === v);

export function ruleMatches(rule: RuleWithOperations, req: MatchRequest): boolean {
  if (!listHas(rule.operations, req.operation)) return false;
  if (!listHas(rule.apiGroups, req.group) || !listHas(rule.apiVersions, req.version)) return false;
  const resourceOk = (rule.resources ?? []).some((entry) => {
    const i = entry.indexOf('/');
    const res = i < 0 ? entry : entry.slice(0, i);
    const sub = i < 0 ? '' : entry.slice(i + 1);
    return (res === '*' || res === req.resource) && (sub === '*' || sub === req.subresource);
  });
  if (!resourceOk) return false;
  const scope = rule.scope ?? '*';
  const clusterScoped = req.namespace === '' || (req.group === '' && req.resource === 'namespaces');
  if (scope === 'Cluster' && !clusterScoped) return false;
  if (scope === 'Namespaced' && clusterScoped) return false;
  if ((rule.resourceNames ?? []).length > 0 && !rule.resourceNames!.includes(req.name)) return false;
  return true;
}

function labelsOf(o: KObject | null): Record<string, string> {
  return isRecord(o?.metadata?.labels) ? o!.metadata!.labels! : {};
}

function selectorEmpty(s: MetaLabelSelector | undefined): boolean {
  return !s || ((s.matchLabels === undefined || Object.keys(s.matchLabels).length === 0) && (s.matchExpressions ?? []).length === 0);
}

/**
 * The namespace selector applies to namespaced requests (and to Namespace objects themselves, by
 * their labels); other cluster-scoped objects always match it. The object selector matches the
 * new or the old object's labels.
 */
export function selectorsMatch(m: MatchResources, req: MatchRequest): boolean {
  if (!selectorEmpty(m.namespaceSelector)) {
    const sel = fromMetaLabelSelector(m.namespaceSelector);
    if (req.group === '' && req.resource === 'namespaces') {
      if (!matchesLabels(sel, labelsOf(req.object ?? req.oldObject))) return false;
    } else if (req.namespace !== '' && !matchesLabels(sel, req.namespaceLabels ?? {})) return false;
  }
  if (!selectorEmpty(m.objectSelector)) {
    const sel = fromMetaLabelSelector(m.objectSelector);
    const matchNew = req.object !== null && matchesLabels(sel, labelsOf(req.object));
    const matchOld = req.oldObject !== null && matchesLabels(sel, labelsOf(req.oldObject));
    if (!matchNew && !matchOld) return false;
  }
  return true;
}

/** A policy's matchConstraints: selectors, at least one resource rule, no exclude rule. */
export function constraintsMatch(m: MatchResources | undefined, req: MatchRequest): boolean {
  if (!m) return false;
  if (!selectorsMatch(m, req)) return false;
  if (!(m.resourceRules ?? []).some((r) => ruleMatches(r, req))) return false;
  return !(m.excludeResourceRules ?? []).some((r) => ruleMatches(r, req));
}

/** A binding's matchResources narrows the policy's: unset matches everything, unset resourceRules do not constrain. */
export function bindingMatches(m: MatchResources | undefined, req: MatchRequest): boolean {
  if (!m) return true;
  if (!selectorsMatch(m, req)) return false;
  if ((m.resourceRules ?? []).length > 0 && !m.resourceRules!.some((r) => ruleMatches(r, req))) return false;
  return !(m.excludeResourceRules ?? []).some((r) => ruleMatches(r, req));
}
