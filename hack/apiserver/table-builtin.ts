/**
 * Default columns for built-in resources, following the printers in
 * kubernetes/pkg/printers/internalversion so `kubectl get` looks as it does on a cluster.
 */
import { humanDuration } from './duration.js';
import { getPath, isRecord, type KObject } from './types.js';

export interface ColumnDefinition { name: string; type: string; format: string; description: string; priority: number }
export type Cell = string | number | boolean | null;
export interface BuiltinPrinter { columns: ColumnDefinition[]; row(obj: KObject, now: number): Cell[] }

const col = (name: string, type = 'string', priority = 0, format = '', description = ''): ColumnDefinition =>
  ({ name, type, format, description, priority });
const NAME = col('Name', 'string', 0, 'name', 'Name must be unique within a namespace.');
const AGE = col('Age', 'string', 0, '', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export function age(obj: KObject, now: number): string {
  const ts = obj.metadata?.creationTimestamp;
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const name = (o: KObject): string => o.metadata?.name ?? '';

function podStatus(pod: KObject): { ready: string; status: string; restarts: string } {
  const containers = arr(getPath(pod, 'spec.containers'));
  const statuses = arr(getPath(pod, 'status.containerStatuses')).map(rec);
  let reason = str(getPath(pod, 'status.reason')) || str(getPath(pod, 'status.phase'));
  let restarts = 0; let ready = 0;
  let lastRestart = 0;
  for (const cs of [...statuses].reverse()) {
    restarts += Number(cs.restartCount ?? 0);
    const finishedAt = str(getPath(cs, 'lastState.terminated.finishedAt'));
    if (finishedAt) lastRestart = Math.max(lastRestart, Date.parse(finishedAt));
    const waiting = str(getPath(cs, 'state.waiting.reason'));
    const term = rec(getPath(cs, 'state.terminated'));
    if (waiting) reason = waiting;
    else if (Object.keys(term).length) {
      reason = str(term.reason) || (term.signal ? `Signal:${str(term.signal)}` : `ExitCode:${str(term.exitCode)}`);
    } else if (cs.ready && getPath(cs, 'state.running')) ready++;
  }
  if (pod.metadata?.deletionTimestamp && reason !== 'NodeLost') reason = 'Terminating';
  let restartStr = String(restarts);
  if (restarts > 0 && lastRestart > 0) restartStr += ` (${humanDuration(Date.now() - lastRestart)} ago)`;
  return { ready: `${ready}/${containers.length}`, status: reason, restarts: restartStr };
}

function servicePorts(svc: KObject): string {
  const ports = arr(getPath(svc, 'spec.ports')).map(rec);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${str(p.port)}${p.nodePort ? `:${str(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`).join(',');
}

function selectorString(sel: unknown): string {
  const s = rec(sel);
  const parts = Object.entries(rec(s.matchLabels ?? (s.matchExpressions ? {} : s))).map(([k, v]) => `${k}=${str(v)}`);
  for (const e of arr(s.matchExpressions).map(rec)) {
    const vals = arr(e.values).map(str).join(',');
    parts.push(e.operator === 'Exists' ? str(e.key) : e.operator === 'DoesNotExist' ? `!${str(e.key)}` : `${str(e.key)} ${str(e.operator).toLowerCase()} (${vals})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function condition(obj: KObject, type: string): Record<string, unknown> | undefined {
  return arr(getPath(obj, 'status.conditions')).map(rec).find((c) => c.type === type);
}

function jobStatus(job: KObject): string {
  if (condition(job, 'Complete')?.status === 'True') return 'Complete';
  if (condition(job, 'Failed')?.status === 'True') return 'Failed';
  if (condition(job, 'Suspended')?.status === 'True') return 'Suspended';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  return 'Running';
}

function jobDuration(job: KObject, now: number): string {
  const start = str(getPath(job, 'status.startTime'));
  if (!start) return '';
  const end = str(getPath(job, 'status.completionTime'));
  return humanDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

function nodeStatus(node: KObject): string {
  const ready = condition(node, 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return getPath(node, 'spec.unschedulable') ? `${s},SchedulingDisabled` : s;
}

function nodeRoles(node: KObject): string {
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(node: KObject, type: string): string {
  return str(arr(getPath(node, 'status.addresses')).map(rec).find((a) => a.type === type)?.address) || '<none>';
}

function endpointsString(ep: KObject): string {
  const out: string[] = [];
  for (const subset of arr(ep.subsets).map(rec)) {
    const ports = arr(subset.ports).map(rec);
    for (const a of arr(subset.addresses).map(rec)) {
      if (ports.length === 0) out.push(str(a.ip));
      for (const p of ports) out.push(`${str(a.ip)}:${str(p.port)}`);
    }
  }
  if (out.length === 0) return '<none>';
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

function containersOf(obj: KObject, path: string): Record<string, unknown>[] {
  return arr(getPath(obj, path)).map(rec);
}

function eventObject(ev: KObject): string {
  const io = rec(ev.involvedObject ?? ev.regarding);
  return `${str(io.kind).toLowerCase()}/${str(io.name)}`;
}

function eventLastSeen(ev: KObject, now: number): string {
  const t = str(ev.lastTimestamp ?? ev.deprecatedLastTimestamp) || str(ev.eventTime) || str(ev.metadata?.creationTimestamp);
  return t ? humanDuration(now - Date.parse(t)) : '<unknown>';
}

export const BUILTIN_PRINTERS: Record<string, BuiltinPrinter> = {
  'pods.': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1),
      col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: (o, now) => {
      const s = podStatus(o);
      const gates = arr(getPath(o, 'spec.readinessGates'));
      return [name(o), s.ready, s.status, s.restarts, age(o, now), str(getPath(o, 'status.podIP')) || '<none>',
        str(getPath(o, 'spec.nodeName')) || '<none>', str(getPath(o, 'status.nominatedNodeName')) || '<none>',
        gates.length ? `0/${gates.length}` : '<none>'];
    },
  },
  'namespaces.': { columns: [NAME, col('Status'), AGE], row: (o, now) => [name(o), str(getPath(o, 'status.phase')), age(o, now)] },
  'services.': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    row: (o, now) => {
      const ext = arr(getPath(o, 'status.loadBalancer.ingress')).map((i) => str(rec(i).ip || rec(i).hostname));
      const type = str(getPath(o, 'spec.type')) || 'ClusterIP';
      const external = ext.length ? ext.join(',') : type === 'LoadBalancer' ? '<pending>' : type === 'ExternalName' ? str(getPath(o, 'spec.externalName')) : '<none>';
      const sel = rec(getPath(o, 'spec.selector'));
      return [name(o), type, str(getPath(o, 'spec.clusterIP')) || '<none>', external, servicePorts(o), age(o, now),
        Object.keys(sel).length ? Object.entries(sel).map(([k, v]) => `${k}=${str(v)}`).join(',') : '<none>'];
    },
  },
  'endpoints.': { columns: [NAME, col('Endpoints'), AGE], row: (o, now) => [name(o), endpointsString(o), age(o, now)] },
  'configmaps.': {
    columns: [NAME, col('Data', 'integer'), AGE],
    row: (o, now) => [name(o), Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length, age(o, now)],
  },
  'secrets.': {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    row: (o, now) => [name(o), str(o.type) || 'Opaque', Object.keys(rec(o.data)).length, age(o, now)],
  },
  'serviceaccounts.': { columns: [NAME, col('Secrets', 'integer'), AGE], row: (o, now) => [name(o), arr(o.secrets).length, age(o, now)] },
  'events.': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1),
      col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1, 'name')],
    // Core events and events.k8s.io events (regarding/note/deprecated*) print alike.
    row: (o, now) => [eventLastSeen(o, now), str(o.type), str(o.reason), eventObject(o),
      str(getPath(o, 'involvedObject.fieldPath') ?? getPath(o, 'regarding.fieldPath')),
      str(getPath(o, 'source.component') ?? getPath(o, 'deprecatedSource.component')) || str(o.reportingComponent ?? o.reportingController),
      str(o.message ?? o.note),
      (o.firstTimestamp ?? o.deprecatedFirstTimestamp) ? humanDuration(now - Date.parse(str(o.firstTimestamp ?? o.deprecatedFirstTimestamp))) : '<unknown>',
      str(o.count ?? o.deprecatedCount ?? 1), name(o)],
  },
  'persistentvolumeclaims.': {
    columns: [NAME, col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), col('VolumeAttributesClass'), AGE,
      col('VolumeMode', 'string', 1)],
    row: (o, now) => [name(o), str(getPath(o, 'status.phase')) || 'Pending', str(getPath(o, 'spec.volumeName')),
      str(getPath(o, 'status.capacity.storage')), arr(getPath(o, 'status.accessModes')).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' } as Record<string, string>)[str(m)] ?? str(m)).join(','),
      str(getPath(o, 'spec.storageClassName')), str(getPath(o, 'spec.volumeAttributesClassName')) || '<unset>', age(o, now),
      str(getPath(o, 'spec.volumeMode')) || 'Filesystem'],
  },
  'nodes.': {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: (o, now) => [name(o), nodeStatus(o), nodeRoles(o), age(o, now), str(getPath(o, 'status.nodeInfo.kubeletVersion')),
      nodeAddress(o, 'InternalIP'), nodeAddress(o, 'ExternalIP'), str(getPath(o, 'status.nodeInfo.osImage')) || '<unknown>',
      str(getPath(o, 'status.nodeInfo.kernelVersion')) || '<unknown>', str(getPath(o, 'status.nodeInfo.containerRuntimeVersion')) || '<unknown>'],
  },
  'deployments.apps': {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE,
      col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: (o, now) => {
      const cs = containersOf(o, 'spec.template.spec.containers');
      return [name(o), `${Number(getPath(o, 'status.readyReplicas') ?? 0)}/${Number(getPath(o, 'spec.replicas') ?? 0)}`,
        Number(getPath(o, 'status.updatedReplicas') ?? 0), Number(getPath(o, 'status.availableReplicas') ?? 0), age(o, now),
        cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(','), selectorString(getPath(o, 'spec.selector'))];
    },
  },
  'jobs.batch': {
    columns: [NAME, col('Status'), col('Completions'), col('Duration'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1),
      col('Selector', 'string', 1)],
    row: (o, now) => {
      const cs = containersOf(o, 'spec.template.spec.containers');
      const completions = getPath(o, 'spec.completions');
      return [name(o), jobStatus(o), `${Number(getPath(o, 'status.succeeded') ?? 0)}/${completions === undefined ? 1 : str(completions)}`,
        jobDuration(o, now), age(o, now), cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(','),
        selectorString(getPath(o, 'spec.selector'))];
    },
  },
  'leases.coordination.k8s.io': {
    columns: [NAME, col('Holder'), AGE], row: (o, now) => [name(o), str(getPath(o, 'spec.holderIdentity')), age(o, now)],
  },
  'networkpolicies.networking.k8s.io': {
    columns: [NAME, col('Pod-Selector'), AGE],
    row: (o, now) => { const s = selectorString(getPath(o, 'spec.podSelector')); return [name(o), s === '<none>' ? '' : s, age(o, now)]; },
  },
  'customresourcedefinitions.apiextensions.k8s.io': {
    columns: [NAME, col('Created At', 'date')], row: (o) => [name(o), o.metadata?.creationTimestamp ?? null],
  },
  'rolebindings.rbac.authorization.k8s.io': {
    columns: [NAME, col('Role'), AGE], row: (o, now) => [name(o), `${str(getPath(o, 'roleRef.kind'))}/${str(getPath(o, 'roleRef.name'))}`, age(o, now)],
  },
  'clusterrolebindings.rbac.authorization.k8s.io': {
    columns: [NAME, col('Role'), AGE], row: (o, now) => [name(o), `${str(getPath(o, 'roleRef.kind'))}/${str(getPath(o, 'roleRef.name'))}`, age(o, now)],
  },
  'roles.rbac.authorization.k8s.io': { columns: [NAME, col('Created At', 'date')], row: (o) => [name(o), o.metadata?.creationTimestamp ?? null] },
  'clusterroles.rbac.authorization.k8s.io': { columns: [NAME, col('Created At', 'date')], row: (o) => [name(o), o.metadata?.creationTimestamp ?? null] },
};
BUILTIN_PRINTERS['events.events.k8s.io'] = BUILTIN_PRINTERS['events.']!;

export const DEFAULT_PRINTER: BuiltinPrinter = { columns: [NAME, AGE], row: (o, now) => [name(o), age(o, now)] };
