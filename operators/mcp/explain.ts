/**
 * explain_not_ready: why an object is not Ready, as a chain of causes read from its conditions,
 * status, events and children, and from the objects it depends on (a lane's ModelServers and
 * Secrets). Pure: the tool gathers a Snapshot with API reads, this turns it into words.
 */
import type { Condition } from '../runtime/conditions.js';
import type { KubeObject } from '../runtime/kube.js';
import { podProblems } from './pods.js';

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** What the tool read about one object. */
export interface Snapshot {
  object: KubeObject;
  events?: EventLike[];
  /** Objects with a controller ownerReference to this one (pods of its Deployment included). */
  children?: KubeObject[];
  /** Secrets the object references, by namespace/name: whether they exist (never their data). */
  secrets?: Record<string, 'found' | 'missing' | 'forbidden' | 'missingKey'>;
  /** Objects this one depends on (a lane's ModelServers), each explained in turn. */
  related?: Snapshot[];
}

export interface Cause {
  /** Kind/namespace/name (Kind/name for cluster-scoped objects) the cause is about. */
  object: string;
  source: 'condition' | 'status' | 'event' | 'child' | 'reference' | 'controller';
  reason: string;
  message: string;
  /** 0 for the object asked about, 1 for what it depends on, and so on. */
  depth: number;
}

export interface Explanation {
  object: string;
  ready: 'True' | 'False' | 'Unknown';
  /** One sentence: the deepest, most specific cause. */
  summary: string;
  causes: Cause[];
  /** What a person can do, most specific first. */
  suggestions: string[];
}

type Status = {
  observedGeneration?: number;
  conditions?: Condition[];
  phase?: string;
  [k: string]: unknown;
};

export function objectLabel(o: KubeObject): string {
  const m = o.metadata ?? {};
  return `${o.kind ?? 'Object'}/${m.namespace ? `${m.namespace}/` : ''}${m.name ?? ''}`;
}

const statusOf = (o: KubeObject): Status => (o.status ?? {}) as Status;
const cond = (o: KubeObject, type: string) => statusOf(o).conditions?.find((c) => c.type === type);

const MAX_DEPTH = 2;

/** Explains one object; ready objects get a one-cause answer saying so. */
export function explainNotReady(s: Snapshot): Explanation {
  const causes: Cause[] = [];
  const suggestions: string[] = [];
  collect(s, 0, causes, suggestions);
  const ready = cond(s.object, 'Ready');
  const label = objectLabel(s.object);
  const state = ready?.status ?? 'Unknown';
  if (causes.length === 0) {
    causes.push(state === 'True'
      ? { object: label, source: 'condition', reason: ready?.reason ?? 'Ready', message: `${label} is Ready${ready?.message ? `: ${ready.message}` : ''}`, depth: 0 }
      : { object: label, source: 'condition', reason: ready?.reason ?? 'NoReadyCondition', message: `${label} has no Ready condition and no recorded cause${ready?.message ? `: ${ready.message}` : ''}`, depth: 0 });
  }
  // The deepest cause is the most specific one: "GPU has 8 GiB" rather than "lane not ready".
  const deepest = causes.reduce((a, c) => (c.depth > a.depth ? c : a), causes[0]);
  const summary = state === 'True' ? causes[0].message : deepest.depth > 0 ? `${label} is not Ready because ${deepest.message}` : causes[0].message;
  return { object: label, ready: state, summary, causes, suggestions: [...new Set(suggestions)] };
}

function collect(s: Snapshot, depth: number, causes: Cause[], suggestions: string[]): void {
  const o = s.object;
  const label = objectLabel(o);
  const st = statusOf(o);
  const add = (source: Cause['source'], reason: string, message: string) => causes.push({ object: label, source, reason, message, depth });
  const gen = o.metadata?.generation;

  if (o.metadata?.deletionTimestamp) {
    add('status', 'Deleting', `${label} is being deleted (finalizers: ${(o.metadata.finalizers ?? []).join(', ') || 'none'})`);
  }
  if (!o.status || (gen !== undefined && (st.observedGeneration ?? 0) < gen && !st.conditions?.length)) {
    add('controller', 'NotReconciled', `${label} has no status for generation ${gen ?? 1}: the operator has not reconciled it; check that \`agentlab run\` (or the Helm chart's operator) is running and watches namespace ${o.metadata?.namespace ?? '(cluster-scoped)'}`);
    suggestions.push('start the operator: agentlab run --kubeconfig <file>, or install the Helm chart');
    return;
  }
  if (gen !== undefined && st.observedGeneration !== undefined && st.observedGeneration < gen) {
    add('controller', 'Stale', `${label}'s status describes generation ${st.observedGeneration}, the spec is at generation ${gen}: the operator has not caught up yet`);
  }

  switch (o.kind) {
    case 'ModelServer': modelServer(s, depth, add, suggestions); break;
    case 'LanePolicy': lanePolicy(s, depth, causes, suggestions); break;
    case 'AgentRun': agentRun(s, add, suggestions); break;
    case 'HardwareTask': hardwareTask(s, add, suggestions); break;
    default: break;
  }
  const ready = cond(o, 'Ready');
  const stalled = cond(o, 'Stalled');
  if (stalled?.status === 'True' && !causes.some((c) => c.object === label && c.message === stalled.message)) add('condition', stalled.reason, `Stalled (${stalled.reason}): ${stalled.message}`);
  if (ready && ready.status !== 'True' && !causes.some((c) => c.object === label)) add('condition', ready.reason, `Ready is ${ready.status} (${ready.reason}): ${ready.message}`);
  // Other False conditions the kind did not already explain.
  for (const c of st.conditions ?? []) {
    if (['Ready', 'Stalled', 'Reconciling'].includes(c.type) || c.status !== 'False' || causes.some((x) => x.object === label && x.message.includes(c.message))) continue;
    if (['BudgetExceeded', 'BudgetWarning', 'ApprovalRequired'].includes(c.type)) continue;
    add('condition', c.reason, `${c.type} is False (${c.reason}): ${c.message}`);
  }
  if (ready?.status !== 'True') {
    for (const child of s.children ?? []) {
      for (const p of childProblems(child)) causes.push({ object: objectLabel(child), source: 'child', reason: p.reason, message: p.message, depth: depth + 1 });
    }
    for (const e of recentWarnings(s.events ?? [])) {
      if (causes.some((c) => c.message.includes(e.message ?? ''))) continue;
      add('event', e.reason ?? 'Warning', `event ${e.reason}${e.count && e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`);
    }
  }
}

type Add = (source: Cause['source'], reason: string, message: string) => void;

interface ModelServerStatus extends Status {
  placement?: { suggestion?: string; candidates?: { node: string; fits?: boolean; reason?: string }[] };
  models?: { name: string; present?: boolean; message?: string; progress?: number }[];
}

function modelServer(s: Snapshot, _depth: number, add: Add, suggestions: string[]): void {
  const st = statusOf(s.object) as ModelServerStatus;
  const scheduled = cond(s.object, 'Scheduled');
  const ready = cond(s.object, 'Ready');
  if (ready?.status === 'True' && ready.reason === 'Stopped') {
    add('status', 'Stopped', `${objectLabel(s.object)} is stopped (spec.replicas is 0): it serves nothing until replicas is 1`);
    return;
  }
  if (scheduled?.status === 'False') {
    const nodes = (st.placement?.candidates ?? []).filter((c) => !c.fits).map((c) => `${c.node}: ${c.reason ?? 'does not fit'}`);
    add('status', scheduled.reason || 'Unschedulable', `no node fits: ${st.placement?.suggestion ?? scheduled.message}${nodes.length ? ` (${nodes.join('; ')})` : ''}`);
    if (st.placement?.suggestion) suggestions.push(st.placement.suggestion);
  }
  const models = cond(s.object, 'ModelsReady');
  if (models?.status === 'False') {
    const missing = (st.models ?? []).filter((m) => !m.present).map((m) => `${m.name}: ${m.message ?? (m.progress !== undefined ? `pulling, ${m.progress}%` : 'not present')}`);
    add('status', models.reason, `models not ready (${models.reason}): ${missing.length ? missing.join('; ') : models.message}`);
    if (models.reason === 'PullFailed') suggestions.push('check the model name and tag in spec.models (ollama pull <name> must work) and the node\'s network');
  }
}

interface LaneStatus extends Status {
  providers?: { name: string; locality?: string; ready?: boolean; endpoint?: string; lastError?: string }[];
  conflictingNamespaces?: string[];
}
interface LaneSpecLike {
  providers?: { name: string; modelServerRef?: { name: string; namespace: string }; cloud?: { provider?: string; secretRef?: { name: string; namespace: string; key?: string } } }[];
}

function lanePolicy(s: Snapshot, depth: number, causes: Cause[], suggestions: string[]): void {
  const label = objectLabel(s.object);
  const st = statusOf(s.object) as LaneStatus;
  const spec = (s.object.spec ?? {}) as LaneSpecLike;
  const add: Add = (source, reason, message) => causes.push({ object: label, source, reason, message, depth });
  for (const p of spec.providers ?? []) {
    const health = st.providers?.find((h) => h.name === p.name);
    if (health?.ready !== false) continue;
    const where = p.modelServerRef ? `ModelServer ${p.modelServerRef.namespace}/${p.modelServerRef.name}` : `${p.cloud?.provider ?? 'cloud'} at ${health.endpoint ?? 'its default endpoint'}`;
    add('status', 'ProviderNotReady', `provider ${p.name} (${health.locality ?? (p.modelServerRef ? 'local' : 'cloud')}, ${where}) is not ready: ${health.lastError ?? 'no error recorded'}`);
    const ref = p.cloud?.secretRef;
    if (ref) {
      const key = `${ref.namespace}/${ref.name}`;
      const found = s.secrets?.[key];
      if (found === 'missing') {
        causes.push({ object: `Secret/${key}`, source: 'reference', reason: 'SecretNotFound', message: `Secret ${key} (the API key of provider ${p.name}) does not exist`, depth: depth + 1 });
        suggestions.push(`kubectl create secret generic ${ref.name} -n ${ref.namespace} --from-literal=${ref.key ?? 'apiKey'}=<your ${p.cloud?.provider ?? 'provider'} API key>`);
      } else if (found === 'missingKey') {
        causes.push({ object: `Secret/${key}`, source: 'reference', reason: 'SecretKeyMissing', message: `Secret ${key} has no key "${ref.key ?? 'apiKey'}" (the API key of provider ${p.name})`, depth: depth + 1 });
      } else if (found === 'forbidden') {
        causes.push({ object: `Secret/${key}`, source: 'reference', reason: 'Forbidden', message: `you may not read Secret ${key}, so whether it exists is unknown`, depth: depth + 1 });
      }
    }
    if (p.modelServerRef && depth < MAX_DEPTH) {
      const rel = s.related?.find((r) => r.object.kind === 'ModelServer' && r.object.metadata?.name === p.modelServerRef!.name && r.object.metadata?.namespace === p.modelServerRef!.namespace);
      if (rel) collect(rel, depth + 1, causes, suggestions);
      else causes.push({ object: `ModelServer/${p.modelServerRef.namespace}/${p.modelServerRef.name}`, source: 'reference', reason: 'NotFound', message: `ModelServer ${p.modelServerRef.namespace}/${p.modelServerRef.name} (provider ${p.name}) does not exist`, depth: depth + 1 });
    }
  }
  if (st.conflictingNamespaces?.length) {
    add('status', 'NamespaceConflict', `namespaces ${st.conflictingNamespaces.join(', ')} are selected by this lane and another one, so they are in no lane until one selector changes`);
  }
  const budget = cond(s.object, 'BudgetExceeded');
  if (budget?.status === 'True') add('condition', budget.reason, `budget exceeded: ${budget.message}`);
}

interface RunSpecLike { approval?: { required?: boolean; approvers?: string[]; decision?: string }; cancel?: boolean }

function agentRun(s: Snapshot, add: Add, suggestions: string[]): void {
  const o = s.object;
  const st = statusOf(o);
  const spec = (o.spec ?? {}) as RunSpecLike;
  const name = o.metadata?.name ?? '';
  const ns = o.metadata?.namespace ?? '';
  const waiting = cond(o, 'ApprovalRequired');
  if (st.phase === 'AwaitingApproval' || waiting?.status === 'True') {
    const who = spec.approval?.approvers?.length
      ? `one of ${spec.approval.approvers.join(', ')} (each also needs the approve verb on agentruns/approval in ${ns}, which the chart's agentlab-approver role grants)`
      : `anyone allowed the approve verb on agentruns/approval in namespace ${ns} (the chart's agentlab-approver role grants it)`;
    add('status', 'AwaitingApproval', `waiting for an approval decision by ${who}${waiting?.message ? `; ${waiting.message}` : ''}`);
    suggestions.push(`approve: the MCP tool approve {kind: AgentRun, namespace: ${ns}, name: ${name}}, or agentlab approve agentrun/${name} -n ${ns}`);
  }
  if (st.phase === 'Cancelled' || st.phase === 'Failed' || st.phase === 'Succeeded') {
    const ready = cond(o, 'Ready');
    add('status', ready?.reason ?? st.phase, `the run ended ${st.phase}${ready?.message ? `: ${ready.message}` : ''}${typeof st.result === 'string' && st.result ? ` (result: ${st.result})` : ''}`);
  }
}

interface TaskStatusLike extends Status { steps?: { name: string; phase?: string }[] }

/** A HardwareTask waiting for a person: the step, its instructions and how to mark it done (from WaitingForHuman). */
function hardwareTask(s: Snapshot, add: Add, suggestions: string[]): void {
  const o = s.object;
  const waiting = cond(o, 'WaitingForHuman');
  if (waiting?.status !== 'True') return;
  const st = statusOf(o) as TaskStatusLike;
  const step = st.steps?.find((x) => x.phase === 'WaitingForHuman')?.name;
  add('condition', 'WaitingForHuman', `waiting for a person to do ${waiting.message}`);
  if (step) suggestions.push(`when the work is done: the MCP tool complete_step {namespace: ${o.metadata?.namespace}, name: ${o.metadata?.name}, step: ${step}}, which records you as completedBy`);
}

/** What is wrong with a child: a pod that does not run, a Deployment that is not available. */
export function childProblems(child: KubeObject): { reason: string; message: string }[] {
  if (child.kind === 'Pod') return podProblems(child);
  if (child.kind === 'Deployment') {
    const conds = ((child.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string }[] }).conditions ?? [];
    return conds
      .filter((c) => (c.type === 'Available' || c.type === 'Progressing' || c.type === 'ReplicaFailure') && (c.type === 'ReplicaFailure' ? c.status === 'True' : c.status === 'False'))
      .map((c) => ({ reason: c.reason ?? c.type, message: `${c.type} is ${c.status} (${c.reason ?? ''}): ${c.message ?? ''}` }));
  }
  return [];
}

/** Warning events, newest first, at most five. */
export function recentWarnings(events: EventLike[]): EventLike[] {
  const time = (e: EventLike) => Date.parse(e.lastTimestamp ?? e.eventTime ?? '') || 0;
  return events.filter((e) => e.type === 'Warning').sort((a, b) => time(b) - time(a)).slice(0, 5);
}
