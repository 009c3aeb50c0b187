/**
 * What the operator and the lane router may do on the API server: the single list the chart's
 * RBAC is checked against (rbac.test.ts). Controllers' declared kinds (for / owns / watches) are
 * turned into rules; calls a controller declaration does not show are listed by hand below, each
 * with the file that makes it, and a scan of operators/ proves the hand-written list complete
 * and current.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GROUP, KINDS } from '../../operators/api/constants.js';
import type { Controller } from '../../operators/runtime/controller.js';
import type { KubeObject } from '../../operators/runtime/kube.js';
import { ROOT, type Obj } from './chart.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'bind' | 'escalate' | 'impersonate';
export interface Rule { apiGroup: string; resource: string; verbs: Verb[] }
/** Cluster-wide rules (ClusterRole) and rules in the release namespace (Role). */
export interface Access { cluster: Rule[]; releaseNamespace: Rule[] }
export interface DirectCall extends Rule { scope: 'cluster' | 'releaseNamespace'; file: string }

/** Rules a controller's declaration implies, as the runtime uses them (operators/runtime/runtime.ts). */
export function controllerRules(controllers: Controller<KubeObject>[]): Rule[] {
  const rules: Rule[] = [];
  for (const c of controllers) {
    // Informer, status replace, and finalizer merge patches when the controller has one.
    rules.push({ apiGroup: c.for.group, resource: c.for.plural, verbs: c.finalizer ? ['list', 'watch', 'patch'] : ['list', 'watch'] });
    // A kind cached cut down is read live for each reconcile (Controller.cacheFields).
    if (c.cacheFields !== undefined) rules.push({ apiGroup: c.for.group, resource: c.for.plural, verbs: ['get'] });
    rules.push({ apiGroup: c.for.group, resource: `${c.for.plural}/status`, verbs: ['update'] });
    // Children: server-side apply, deleteChild, and their informer.
    for (const o of c.owns ?? []) rules.push({ apiGroup: o.group, resource: o.plural, verbs: ['list', 'watch', 'patch', 'delete'] });
    for (const w of c.watches ?? []) rules.push({ apiGroup: w.resource.group, resource: w.resource.plural, verbs: ['list', 'watch'] });
  }
  return rules;
}

/** Operator API calls outside the controller declarations. */
export const OPERATOR_DIRECT_CALLS: DirectCall[] = [
  { apiGroup: '', resource: 'events', verbs: ['create'], scope: 'cluster', file: 'operators/runtime/events.ts' },
  { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], scope: 'releaseNamespace', file: 'operators/runtime/leader.ts' },
  { apiGroup: '', resource: 'secrets', verbs: ['get'], scope: 'cluster', file: 'operators/lanepolicy/controller.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['get'], scope: 'releaseNamespace', file: 'operators/lanepolicy/controller.ts' },
  // AgentRun: the token Secret is created once (never applied), taskFrom and run usage ConfigMaps
  // are read, the pod is read live when the cache has not seen it, its log becomes the transcript,
  // and the approval policy is read on demand.
  { apiGroup: 'agentlab.dev', resource: 'agentruns', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: '', resource: 'secrets', verbs: ['create'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: '', resource: 'pods', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  { apiGroup: 'node.k8s.io', resource: 'runtimeclasses', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  // Engine kubevirt: the run's VirtualMachineInstance is created once, read while it runs and
  // deleted to stop it (not watched: a cluster may not serve the API); KubeVirt's configuration is
  // listed for a run with GPUs (permittedHostDevices); the runner's report is read from, and
  // deleted in, the router's namespace.
  { apiGroup: 'kubevirt.io', resource: 'virtualmachineinstances', verbs: ['create', 'get', 'delete'], scope: 'cluster', file: 'operators/agentrun/kubevirt-run.ts' },
  { apiGroup: 'kubevirt.io', resource: 'kubevirts', verbs: ['list'], scope: 'cluster', file: 'operators/agentrun/kubevirt-run.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['get', 'delete'], scope: 'cluster', file: 'operators/agentrun/kubevirt-run.ts' },
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/controller.ts' },
  // The sweep of the router's per-run ConfigMaps (usage, reports; ADR 0016): listed and deleted in
  // the router's namespace once the run they record answers 404 (or another UID) to a GET, or,
  // recording none, once no router token Secret of the run is listed in its namespace.
  { apiGroup: '', resource: 'configmaps', verbs: ['list', 'delete'], scope: 'cluster', file: 'operators/agentrun/run-configmap-sweep.ts' },
  { apiGroup: '', resource: 'secrets', verbs: ['list'], scope: 'cluster', file: 'operators/agentrun/run-configmap-sweep.ts' },
  { apiGroup: 'agentlab.dev', resource: 'agentruns', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/run-configmap-sweep.ts' },
  { apiGroup: 'agentlab.dev', resource: 'flows', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/run-configmap-sweep.ts' },
  { apiGroup: 'agentlab.dev', resource: 'hardwaretasks', verbs: ['get'], scope: 'cluster', file: 'operators/agentrun/run-configmap-sweep.ts' },
  // Flow: its router token is read back for model calls and revocation; outputs larger than status
  // holds are read from the producing node's ConfigMap.
  { apiGroup: '', resource: 'secrets', verbs: ['get'], scope: 'cluster', file: 'operators/flow/controller.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['get'], scope: 'cluster', file: 'operators/flow/controller.ts' },
  // Flow: the approval policy is read when a plan gate or an approval node is decided.
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', verbs: ['get'], scope: 'cluster', file: 'operators/flow/controller.ts' },
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', verbs: ['get'], scope: 'cluster', file: 'operators/flow/controller.ts' },
  // HardwareTask: the approval policy is read when a step is marked done or decided; its router
  // token is read back for analysis steps and revocation.
  { apiGroup: '', resource: 'secrets', verbs: ['get'], scope: 'cluster', file: 'operators/hardwaretask/controller.ts' },
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', verbs: ['get'], scope: 'cluster', file: 'operators/hardwaretask/controller.ts' },
  { apiGroup: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', verbs: ['get'], scope: 'cluster', file: 'operators/hardwaretask/controller.ts' },
];

/**
 * Permissions the API server checks that are not API calls of their own: the AgentRun controller
 * writes Roles granting get/list on what a run's kubernetes tool lists (escalate: without holding
 * those permissions itself) and binds them to the run's ServiceAccount (bind).
 */
export const OPERATOR_PERMISSION_VERBS: Rule[] = [
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', verbs: ['bind', 'escalate'] },
  // HardwareTask kubernetes steps act as the task's spec.serviceAccountName (Impersonate-User),
  // never as the operator (operators/hardwaretask/kubernetes-step.ts).
  { apiGroup: '', resource: 'serviceaccounts', verbs: ['impersonate'] },
];

/** Every API call of the lane router (operators/router): it declares no controllers. */
export const ROUTER_CALLS: DirectCall[] = [
  { apiGroup: GROUP, resource: 'lanepolicies', verbs: ['list', 'watch'], scope: 'cluster', file: 'operators/router/state.ts' },
  { apiGroup: GROUP, resource: 'modelservers', verbs: ['list', 'watch'], scope: 'cluster', file: 'operators/router/state.ts' },
  { apiGroup: '', resource: 'namespaces', verbs: ['list', 'watch'], scope: 'cluster', file: 'operators/router/state.ts' },
  { apiGroup: '', resource: 'secrets', verbs: ['list', 'watch'], scope: 'cluster', file: 'operators/router/state.ts' },
  { apiGroup: '', resource: 'secrets', verbs: ['get'], scope: 'cluster', file: 'operators/router/targets.ts' },
  // The agent github tool: the forge token Secret a run's issue tracker names, in the run's namespace.
  { apiGroup: '', resource: 'secrets', verbs: ['get'], scope: 'cluster', file: 'operators/router/github-tool.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['list', 'watch'], scope: 'releaseNamespace', file: 'operators/router/state.ts' },
  { apiGroup: '', resource: 'configmaps', verbs: ['get', 'create', 'update'], scope: 'releaseNamespace', file: 'operators/router/usage-writer.ts' },
  // The report of a runner in a KubeVirt VM, stored once per run.
  { apiGroup: '', resource: 'configmaps', verbs: ['create'], scope: 'releaseNamespace', file: 'operators/router/report.ts' },
];

/** Merges rules per (group, resource) with sorted verbs, sorted: the shape the comparisons use. */
export function normalize(rules: Rule[]): Rule[] {
  const byKey = new Map<string, Rule>();
  for (const r of rules) {
    const key = `${r.apiGroup}/${r.resource}`;
    const cur = byKey.get(key) ?? { apiGroup: r.apiGroup, resource: r.resource, verbs: [] };
    cur.verbs = [...new Set([...cur.verbs, ...r.verbs])].sort();
    byKey.set(key, cur);
  }
  return [...byKey.values()].sort((a, b) => `${a.apiGroup}/${a.resource}`.localeCompare(`${b.apiGroup}/${b.resource}`));
}

export function operatorAccess(controllers: Controller<KubeObject>[]): Access {
  return {
    cluster: normalize([...controllerRules(controllers), ...OPERATOR_DIRECT_CALLS.filter((c) => c.scope === 'cluster'), ...OPERATOR_PERMISSION_VERBS]),
    releaseNamespace: normalize(OPERATOR_DIRECT_CALLS.filter((c) => c.scope === 'releaseNamespace')),
  };
}

export function routerAccess(): Access {
  return {
    cluster: normalize(ROUTER_CALLS.filter((c) => c.scope === 'cluster')),
    releaseNamespace: normalize(ROUTER_CALLS.filter((c) => c.scope === 'releaseNamespace')),
  };
}

interface RbacRule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }

/** A ClusterRole's or Role's rules flattened to (group, resource, verbs). */
export function rulesOf(role: Obj): Rule[] {
  const rules = (role as unknown as { rules?: RbacRule[] }).rules ?? [];
  return normalize(rules.flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).map((res) => ({ apiGroup: g, resource: res, verbs: (r.verbs ?? []) as Verb[] })))));
}

// ---- source scan -----------------------------------------------------------------------------

const METHOD_VERBS: Record<string, Verb> = { get: 'get', list: 'list', create: 'create', replace: 'update', apply: 'patch', mergePatch: 'patch', jsonPatch: 'patch', delete: 'delete', deleteChild: 'delete' };

export interface FoundCall { file: string; line: number; apiGroup: string; resource: string; verb: Verb }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === 'generated' ? [] : sourceFiles(p);
    return f.endsWith('.ts') && !f.endsWith('.test.ts') ? [p] : [];
  });
}

/**
 * API calls made with a named ResourceRef constant anywhere in operators/ (the embedded dev
 * cluster and the CLI's offline commands excluded): `client.<method>(CONST, ...)`,
 * `ctx.apply(CONST, ...)` and informers built on a constant. Calls on a controller's own `for` resource go through
 * variables and are covered by controllerRules.
 */
export function scanApiCalls(root = ROOT): FoundCall[] {
  const files = sourceFiles(path.join(root, 'operators')).filter((f) => !f.includes(`${path.sep}cli${path.sep}`) && !f.includes(`${path.sep}schema${path.sep}`));
  const refs = new Map<string, { apiGroup: string; resource: string }>();
  const refDecl = /\b([A-Z][A-Z0-9_]*)\s*:\s*ResourceRef\s*=\s*\{\s*group:\s*([^,]+),\s*version:\s*[^,]+,\s*plural:\s*([^,]+),/g;
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  for (const text of texts.values()) {
    for (const m of text.matchAll(refDecl)) {
      const group = m[2].trim() === 'GROUP' ? GROUP : m[2].trim().replace(/^['"]|['"]$/g, '');
      const pluralExpr = m[3].trim();
      const k = /^KINDS\.(\w+)\.plural$/.exec(pluralExpr);
      const plural = k ? KINDS[k[1] as keyof typeof KINDS].plural : pluralExpr.replace(/^['"]|['"]$/g, '');
      refs.set(m[1], { apiGroup: group, resource: plural });
    }
  }
  const found: FoundCall[] = [];
  // A client call, or a ReconcileContext call that writes (ctx.cache reads stay in memory).
  const call = /\b(?:client|ctx)\.(get|list|create|replace|apply|mergePatch|jsonPatch|delete|deleteChild)(?:<.*?>)?\(\s*([A-Z][A-Z0-9_]*)\b/g;
  const informer = /\b(?:mk|new Informer)\(\s*(?:\{[^}]*resource:\s*)?([A-Z][A-Z0-9_]*)\b/g;
  // A subresource read through the raw client: client.raw(resourcePath(PODS, ns, name, 'log'), ...).
  const subresourceRead = /\bclient\.raw\(\s*resourcePath\(\s*([A-Z][A-Z0-9_]*)\s*,[^)]*,\s*'([a-z]+)'\s*\)/g;
  for (const [file, text] of texts) {
    const rel = path.relative(root, file);
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(call)) {
        const ref = refs.get(m[2]);
        if (ref) found.push({ file: rel, line: i + 1, ...ref, verb: METHOD_VERBS[m[1]] });
      }
      for (const m of line.matchAll(subresourceRead)) {
        const ref = refs.get(m[1]);
        if (ref) found.push({ file: rel, line: i + 1, apiGroup: ref.apiGroup, resource: `${ref.resource}/${m[2]}`, verb: 'get' });
      }
      for (const m of line.matchAll(informer)) {
        const ref = refs.get(m[1]);
        if (ref) for (const verb of ['list', 'watch'] as const) found.push({ file: rel, line: i + 1, ...ref, verb });
      }
    });
  }
  return found;
}
