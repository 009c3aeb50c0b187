/**
 * The checks of kube-apiserver's built-in validation (pkg/apis/<group>/validation) that objects
 * written by controllers most often trip over, so a mistake fails here as it would on a cluster.
 * Not exhaustive: see docs/embedded-apiserver.md.
 */
import { fieldCause, type StatusCause } from './errors.js';
import { validateDns1123Label } from './names.js';
import { fromMetaLabelSelector, matchesLabels, type MetaLabelSelector } from './selectors.js';
import { isRecord, jsonEqual, type KObject } from './types.js';

type Obj = Record<string, unknown>;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Obj => (isRecord(v) ? v : {});

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIG_BYTES = 1024 * 1024;

function configKeys(path: string, data: unknown, causes: StatusCause[]): void {
  for (const k of Object.keys(rec(data))) {
    if (!CONFIG_KEY.test(k) || k.length > 253) {
      causes.push(fieldCause('FieldValueInvalid', path, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')", k));
    }
  }
}

function containers(path: string, list: unknown, required: boolean, causes: StatusCause[]): void {
  const cs = arr(list);
  if (required && cs.length === 0) { causes.push(fieldCause('FieldValueRequired', path, '')); return; }
  const seen = new Set<string>();
  cs.forEach((c, i) => {
    const cc = rec(c);
    const p = `${path}[${i}]`;
    const name = typeof cc.name === 'string' ? cc.name : '';
    if (!name) causes.push(fieldCause('FieldValueRequired', `${p}.name`, ''));
    else {
      for (const e of validateDns1123Label(name)) causes.push(fieldCause('FieldValueInvalid', `${p}.name`, e, name));
      if (seen.has(name)) causes.push(fieldCause('FieldValueDuplicate', `${p}.name`, '', name));
      seen.add(name);
    }
    if (typeof cc.image !== 'string' || cc.image.trim() === '') causes.push(fieldCause('FieldValueRequired', `${p}.image`, ''));
    arr(cc.ports).forEach((port, j) => {
      const n = rec(port).containerPort;
      if (typeof n !== 'number' || n < 1 || n > 65535) causes.push(fieldCause('FieldValueInvalid', `${p}.ports[${j}].containerPort`, 'must be between 1 and 65535, inclusive', n ?? 0));
    });
  });
}

function podSpec(path: string, spec: unknown, causes: StatusCause[], allowedRestart?: string[]): void {
  const s = rec(spec);
  containers(`${path}.containers`, s.containers, true, causes);
  containers(`${path}.initContainers`, s.initContainers, false, causes);
  const rp = s.restartPolicy;
  const allowed = allowedRestart ?? ['Always', 'OnFailure', 'Never'];
  if (rp !== undefined && !allowed.includes(String(rp))) {
    causes.push({ reason: 'FieldValueNotSupported', field: `${path}.restartPolicy`, message: `Unsupported value: ${JSON.stringify(rp)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}` });
  }
}

function templateMatchesSelector(spec: Obj, causes: StatusCause[]): void {
  const selector = spec.selector;
  if (!isRecord(selector)) { causes.push(fieldCause('FieldValueRequired', 'spec.selector', '')); return; }
  const reqs = fromMetaLabelSelector(selector as MetaLabelSelector);
  if (reqs.length === 0) { causes.push(fieldCause('FieldValueInvalid', 'spec.selector', 'empty selector is invalid for deployment', selector)); return; }
  const labels = rec(rec(rec(spec.template).metadata).labels) as Record<string, string>;
  if (!matchesLabels(reqs, labels)) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.template.metadata.labels', '`selector` does not match template `labels`', labels));
  }
}

function servicePorts(spec: Obj, causes: StatusCause[]): void {
  const type = spec.type ?? 'ClusterIP';
  const ports = arr(spec.ports);
  if (type !== 'ExternalName' && spec.clusterIP !== 'None' && ports.length === 0) causes.push(fieldCause('FieldValueRequired', 'spec.ports', ''));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = rec(port);
    const n = p.port;
    if (typeof n !== 'number' || n < 1 || n > 65535) causes.push(fieldCause('FieldValueInvalid', `spec.ports[${i}].port`, 'must be between 1 and 65535, inclusive', n ?? 0));
    const name = typeof p.name === 'string' ? p.name : '';
    if (ports.length > 1 && !name) causes.push(fieldCause('FieldValueRequired', `spec.ports[${i}].name`, ''));
    if (name) {
      for (const e of validateDns1123Label(name)) causes.push(fieldCause('FieldValueInvalid', `spec.ports[${i}].name`, e, name));
      if (names.has(name)) causes.push(fieldCause('FieldValueDuplicate', `spec.ports[${i}].name`, '', name));
      names.add(name);
    }
  });
}

const POD_UPDATE_FORBIDDEN = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** A pod spec with the fields an update may change blanked out (ValidatePodUpdate). */
function podSpecForUpdateCheck(spec: Obj, bindingFrom: Obj): Obj {
  const mask = (list: unknown): unknown[] => arr(list).map((c) => ({ ...rec(c), image: undefined }));
  const out: Obj = { ...spec, containers: mask(spec.containers), initContainers: mask(spec.initContainers),
    activeDeadlineSeconds: undefined, tolerations: undefined, terminationGracePeriodSeconds: undefined,
    // Checked on their own: gates may only be removed.
    schedulingGates: undefined };
  // The binding subresource sets nodeName on an unbound pod.
  if (!bindingFrom.nodeName) out.nodeName = undefined;
  return out;
}

/**
 * ValidateJobSpecUpdate (pkg/apis/batch/validation): selector, completion mode and pod template are
 * immutable, except that a suspended Job that never started may change its template's labels,
 * annotations, node selector, tolerations, scheduling gates and node affinity.
 */
function jobSpecUpdate(spec: Obj, old: KObject, causes: StatusCause[]): void {
  const oldSpec = rec(old.spec);
  for (const f of ['selector', 'completionMode']) {
    if (!jsonEqual(spec[f], oldSpec[f])) causes.push(fieldCause('FieldValueInvalid', `spec.${f}`, 'field is immutable', spec[f]));
  }
  const template = rec(spec.template);
  let oldTemplate = rec(oldSpec.template);
  const mutableScheduling = oldSpec.suspend === true && rec(old.status).startTime === undefined;
  if (mutableScheduling) {
    const tSpec = rec(template.spec);
    const oSpec: Obj = { ...rec(oldTemplate.spec) };
    for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) oSpec[f] = tSpec[f];
    const affinity = isRecord(tSpec.affinity) ? tSpec.affinity : undefined;
    const oldAffinity = isRecord(oSpec.affinity) ? { ...oSpec.affinity } : undefined;
    if (affinity) oSpec.affinity = { ...(oldAffinity ?? {}), nodeAffinity: affinity.nodeAffinity };
    else if (oldAffinity) {
      delete oldAffinity.nodeAffinity;
      oSpec.affinity = Object.values(oldAffinity).some((v) => v !== undefined) ? oldAffinity : undefined;
    }
    const meta = rec(template.metadata);
    oldTemplate = { ...oldTemplate, metadata: { ...rec(oldTemplate.metadata), labels: meta.labels, annotations: meta.annotations }, spec: oSpec };
  }
  if (!jsonEqual(normalize(template), normalize(oldTemplate))) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.template', 'field is immutable', spec.template));
  }
}

/** Drops undefined members so two objects compare as their JSON does. */
const normalize = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null));

/** Validation for a built-in object (stored form); `old` is set on updates. */
export function validateBuiltin(storage: string, obj: KObject, old: KObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = rec(obj.spec);
  switch (storage) {
    case 'pods.':
      podSpec('spec', obj.spec, causes);
      if (old) {
        const oldGates = new Set(arr(rec(old.spec).schedulingGates).map((g) => rec(g).name));
        for (const g of arr(spec.schedulingGates)) {
          const name = rec(g).name;
          if (!oldGates.has(name)) causes.push(fieldCause('FieldValueForbidden', 'spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${String(name)}'`));
        }
      }
      if (old && !jsonEqual(podSpecForUpdateCheck(spec, rec(old.spec)), podSpecForUpdateCheck(rec(old.spec), rec(old.spec)))) {
        causes.push(fieldCause('FieldValueForbidden', 'spec', POD_UPDATE_FORBIDDEN));
      }
      break;
    case 'deployments.apps': case 'replicasets.apps': case 'statefulsets.apps': case 'daemonsets.apps':
      templateMatchesSelector(spec, causes);
      podSpec('spec.template.spec', rec(spec.template).spec, causes, ['Always']);
      if (typeof spec.replicas === 'number' && spec.replicas < 0) causes.push(fieldCause('FieldValueInvalid', 'spec.replicas', 'must be greater than or equal to 0', spec.replicas));
      if (old && storage === 'deployments.apps' && !jsonEqual(rec(old.spec).selector, spec.selector)) {
        causes.push(fieldCause('FieldValueInvalid', 'spec.selector', 'field is immutable', spec.selector));
      }
      break;
    case 'jobs.batch':
      podSpec('spec.template.spec', rec(spec.template).spec, causes, ['OnFailure', 'Never']);
      if (old) jobSpecUpdate(spec, old, causes);
      break;
    case 'services.': servicePorts(spec, causes); break;
    case 'persistentvolumeclaims.':
      if (arr(spec.accessModes).length === 0) causes.push(fieldCause('FieldValueRequired', 'spec.accessModes', 'at least 1 access mode is required'));
      if (rec(rec(spec.resources).requests).storage === undefined) causes.push(fieldCause('FieldValueRequired', 'spec.resources[storage]', ''));
      break;
    case 'configmaps.': case 'secrets.': {
      configKeys('data', obj.data, causes);
      if (storage === 'configmaps.') configKeys('binaryData', obj.binaryData, causes);
      const size = JSON.stringify(obj.data ?? {}).length + JSON.stringify(obj.binaryData ?? {}).length;
      if (size > MAX_CONFIG_BYTES) causes.push({ reason: 'FieldValueTooLong', field: 'data', message: `Too long: may not be more than ${MAX_CONFIG_BYTES} bytes` });
      if (old && rec(old).immutable === true) {
        if (!jsonEqual(old.data ?? {}, obj.data ?? {}) || !jsonEqual(old.binaryData ?? {}, obj.binaryData ?? {})) {
          causes.push(fieldCause('FieldValueForbidden', 'data', 'field is immutable when `immutable` is set'));
        }
        if (obj.immutable !== true) causes.push(fieldCause('FieldValueForbidden', 'immutable', 'field is immutable when `immutable` is set'));
      }
      break;
    }
    default:
  }
  return causes;
}
