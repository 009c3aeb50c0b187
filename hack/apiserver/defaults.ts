/**
 * The defaults kube-apiserver applies to the built-in fields controllers and kubectl read
 * (the defaults.go of each pkg/apis group), and the status a new object starts with.
 */
import { qosClass } from './qos.js';
import { isRecord, type KObject } from './types.js';

type Obj = Record<string, unknown>;
const obj = (parent: Obj, key: string): Obj => {
  if (!isRecord(parent[key])) parent[key] = {};
  return parent[key] as Obj;
};
const setDefault = (o: Obj, key: string, v: unknown): void => { if (o[key] === undefined) o[key] = v; };

function defaultContainer(c: Obj): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = typeof c.image === 'string' ? c.image : '';
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  setDefault(c, 'imagePullPolicy', tagged || image.includes('@') ? 'IfNotPresent' : 'Always');
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (isRecord(p)) setDefault(p, 'protocol', 'TCP');
  if (!isRecord(c.resources)) c.resources = {};
}

const containersOf = (spec: Obj): Obj[] => ['containers', 'initContainers']
  .flatMap((list) => (Array.isArray(spec[list]) ? spec[list] as unknown[] : [])).filter(isRecord);

/**
 * SetDefaults_PodSpec and SetDefaults_Container (pkg/apis/core/v1/defaults.go): what every pod
 * spec gets, a Pod's and the pod templates of Deployments, Jobs and the like alike. The
 * deprecated serviceAccount mirrors serviceAccountName (their v1 conversion).
 */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  if (!spec.serviceAccountName && typeof spec.serviceAccount === 'string' && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of containersOf(spec)) defaultContainer(c);
}

/**
 * What only a Pod gets: SetDefaults_Pod (requests from limits, enableServiceLinks) and the default
 * admission plugins (Priority: priority and preemptionPolicy; ServiceAccount: the `default`
 * account; DefaultTolerationSeconds: 300 s not-ready/unreachable tolerations). Pod templates get none.
 */
export function defaultPod(spec: Obj): void {
  defaultPodSpec(spec);
  for (const c of containersOf(spec)) {
    const r = c.resources;
    if (!isRecord(r) || !isRecord(r.limits)) continue;
    const requests = isRecord(r.requests) ? r.requests : (r.requests = {}) as Obj;
    for (const [k, v] of Object.entries(r.limits)) setDefault(requests, k, v);
  }
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setDefault(spec, 'priority', 0);
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations as Obj[] : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

function defaultPodTemplate(spec: Obj): void {
  const tpl = obj(spec, 'template');
  obj(tpl, 'metadata');
  defaultPodSpec(obj(tpl, 'spec'));
}

/** Applies built-in defaults in place; `groupResource` is `resource.group`. */
export function applyBuiltinDefaults(groupResource: string, o: KObject): void {
  const spec = (): Obj => obj(o as Obj, 'spec');
  switch (groupResource) {
    case 'pods.': defaultPod(spec()); break;
    case 'services.': {
      const s = spec();
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      if (s.type !== 'ExternalName') {
        setDefault(s, 'internalTrafficPolicy', 'Cluster');
        setDefault(s, 'ipFamilyPolicy', 'SingleStack');
        setDefault(s, 'ipFamilies', ['IPv4']);
      }
      for (const p of Array.isArray(s.ports) ? s.ports : []) {
        if (!isRecord(p)) continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p.port);
      }
      break;
    }
    case 'deployments.apps': {
      const s = spec();
      setDefault(s, 'replicas', 1);
      setDefault(s, 'revisionHistoryLimit', 10);
      setDefault(s, 'progressDeadlineSeconds', 600);
      const strategy = obj(s, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
      defaultPodTemplate(s);
      break;
    }
    case 'jobs.batch': {
      const s = spec();
      setDefault(s, 'parallelism', 1);
      setDefault(s, 'backoffLimit', 6);
      setDefault(s, 'completionMode', 'NonIndexed');
      setDefault(s, 'suspend', false);
      setDefault(s, 'podReplacementPolicy', 'TerminatingOrFailed');
      if (s.completions === undefined && s.parallelism === 1) s.completions = 1;
      // The template's restartPolicy defaults to Always like any pod spec's, which Job validation
      // then refuses: a Job must say OnFailure or Never.
      defaultPodTemplate(s);
      break;
    }
    case 'persistentvolumeclaims.': setDefault(spec(), 'volumeMode', 'Filesystem'); break;
    case 'secrets.': {
      setDefault(o as Obj, 'type', 'Opaque');
      // stringData is write-only: merged into data (base64) and never stored.
      if (isRecord(o.stringData)) {
        const data = isRecord(o.data) ? o.data : {};
        for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        o.data = data;
      }
      delete o.stringData;
      break;
    }
    case 'namespaces.': {
      setDefault(spec(), 'finalizers', ['kubernetes']);
      // The NamespaceAutoProvision-independent label every namespace carries since 1.21.
      const meta = (o.metadata ??= {});
      if (meta.name) meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': meta.name };
      break;
    }
    case 'customresourcedefinitions.apiextensions.k8s.io': {
      const s = spec();
      setDefault(obj(s, 'conversion'), 'strategy', 'None');
      const names = obj(s, 'names');
      if (typeof names.kind === 'string') setDefault(names, 'listKind', `${names.kind}List`);
      if (typeof names.plural === 'string' && names.singular === undefined && typeof names.kind === 'string') names.singular = names.kind.toLowerCase();
      break;
    }
    default:
  }
}

/** The finalizers the StorageObjectInUseProtection admission plugin puts on every new claim and volume. */
const STORAGE_PROTECTION: Record<string, string> = {
  'persistentvolumeclaims.': 'kubernetes.io/pvc-protection',
  'persistentvolumes.': 'kubernetes.io/pv-protection',
};

/**
 * What kube-apiserver's default admission plugins add to a new object: StorageObjectInUseProtection's
 * finalizers, which kube-controller-manager (here the node simulator) removes once nothing uses the storage.
 */
export function admitOnCreate(groupResource: string, o: KObject): void {
  const finalizer = STORAGE_PROTECTION[groupResource];
  if (!finalizer) return;
  const meta = o.metadata ?? (o.metadata = {});
  const finalizers = meta.finalizers ?? [];
  if (!finalizers.includes(finalizer)) meta.finalizers = [...finalizers, finalizer];
}

/** The status an object starts with when its resource has a status subresource. */
export function initialStatus(groupResource: string, o: KObject): unknown {
  switch (groupResource) {
    case 'pods.': return { phase: 'Pending', qosClass: qosClass(isRecord(o.spec) ? o.spec : {}) };
    case 'namespaces.': return { phase: 'Active' };
    case 'persistentvolumeclaims.': return { phase: 'Pending' };
    case 'persistentvolumes.': return { phase: 'Pending' };
    case 'services.': return { loadBalancer: {} };
    case 'customresourcedefinitions.apiextensions.k8s.io': return undefined;
    default: return groupResource.endsWith('.') || !groupResource.includes('.') ? undefined : {};
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Secret data must be base64, as Go's []byte decoding requires; anything else is a 400 decode error. */
export function invalidSecretData(o: KObject): string | undefined {
  for (const [k, v] of Object.entries(isRecord(o.data) ? o.data : {})) {
    if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) {
      return `Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data[${JSON.stringify(k)}]`;
    }
  }
  return undefined;
}

/**
 * The Job controller's selector and pod labels, set at creation like the Job REST strategy does
 * (unless spec.manualSelector): both name the job's uid.
 */
export function applyJobSelector(job: KObject, uid: string, name: string): void {
  const spec = isRecord(job.spec) ? job.spec : (job.spec = {}) as Obj;
  if (spec.manualSelector === true) return;
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const tpl = obj(spec, 'template');
  const meta = obj(tpl, 'metadata');
  meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), ...labels };
}
