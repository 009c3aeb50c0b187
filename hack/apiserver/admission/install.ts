/** Wires validating admission policies into the write path, reading policies, bindings and params from the store. */
import type { Authorizer } from '../auth/authorizer.js';
import type { ServerContext } from '../context.js';
import { fieldCause, type StatusCause } from '../errors.js';
import type { AdmissionAttributes, ObjectService } from '../objects.js';
import { NAMESPACE_GR } from '../objects.js';
import { storageKey } from '../registry.js';
import { isRecord, type KObject } from '../types.js';
import { compileExpression } from './compile.js';
import { BINDINGS_KEY, POLICIES_KEY, VAP_GROUP, type ValidatingAdmissionPolicy, type ValidatingAdmissionPolicyBinding } from './policy-types.js';
import { admitValidatingPolicies, type PolicySource } from './validating-admission.js';

/** Requests on admission configuration itself are never subject to policies (IsExemptAdmissionConfigurationResource). */
const EXEMPT = new Set(['validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations']);

function storeSource(ctx: ServerContext): PolicySource {
  const parse = <T>(json: string): T => JSON.parse(json) as T;
  return {
    policies: () => ctx.store.list(POLICIES_KEY).map((e) => parse<ValidatingAdmissionPolicy>(e.json)),
    bindings: () => ctx.store.list(BINDINGS_KEY).map((e) => parse<ValidatingAdmissionPolicyBinding>(e.json)),
    params: (apiVersion, kind) => {
      const r = ctx.registry.all().find((x) => `${x.group ? `${x.group}/` : ''}${x.version}` === apiVersion && x.kind === kind);
      if (!r) return undefined;
      return { namespaced: r.namespaced, objects: ctx.store.list(storageKey(r)).map((e) => parse<KObject>(e.json)) };
    },
  };
}

export function installValidatingAdmissionPolicies(ctx: ServerContext, svc: ObjectService, authorize: Authorizer): void {
  const src = storeSource(ctx);
  svc.admission = (a: AdmissionAttributes) => {
    if (a.r.group === VAP_GROUP && EXEMPT.has(a.r.resource)) return [];
    const namespaceObject = a.namespace ? ctx.store.get(NAMESPACE_GR, '', a.namespace) : undefined;
    return admitValidatingPolicies(src, authorize, {
      operation: a.operation, group: a.r.group, version: a.r.version, resource: a.r.resource, kind: a.r.kind,
      subresource: a.subresource, namespace: a.r.namespaced ? a.namespace : '', name: a.name,
      object: a.object, oldObject: a.oldObject, user: a.user, dryRun: a.dryRun,
      namespaceLabels: namespaceObject?.metadata.labels ?? {}, namespaceObject,
    }).warnings;
  };
  // A policy acts only through a binding: without one, admission has nothing to evaluate.
  svc.admissionActive = () => ctx.store.count(BINDINGS_KEY) > 0;
  svc.addValidator(POLICIES_KEY, (obj) => validatePolicy(obj));
  svc.addValidator(BINDINGS_KEY, (obj) => validateBinding(obj));
}

function expressionCauses(list: unknown, path: string, field: string): StatusCause[] {
  if (!Array.isArray(list)) return [];
  const out: StatusCause[] = [];
  list.forEach((item, i) => {
    const src = isRecord(item) ? item[field] : undefined;
    if (typeof src !== 'string' || src.trim() === '') {
      out.push(fieldCause('FieldValueRequired', `${path}[${i}].${field}`, ''));
      return;
    }
    const c = compileExpression(src);
    if ('error' in c) out.push(fieldCause('FieldValueInvalid', `${path}[${i}].${field}`, c.error, src));
  });
  return out;
}

/** The checks of ValidateValidatingAdmissionPolicy that a user is likely to trip over. */
export function validatePolicy(obj: KObject): StatusCause[] {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  const mc = isRecord(spec.matchConstraints) ? spec.matchConstraints : undefined;
  if (!mc) out.push(fieldCause('FieldValueRequired', 'spec.matchConstraints', ''));
  else if (!Array.isArray(mc.resourceRules) || mc.resourceRules.length === 0) out.push(fieldCause('FieldValueRequired', 'spec.matchConstraints.resourceRules', ''));
  const fp = spec.failurePolicy;
  if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') {
    out.push({ reason: 'FieldValueNotSupported', field: 'spec.failurePolicy', message: `Unsupported value: ${JSON.stringify(fp)}: supported values: "Fail", "Ignore"` });
  }
  const validations = Array.isArray(spec.validations) ? spec.validations : [];
  const audits = Array.isArray(spec.auditAnnotations) ? spec.auditAnnotations : [];
  if (validations.length === 0 && audits.length === 0) {
    out.push(fieldCause('FieldValueRequired', 'spec.validations', 'validations or auditAnnotations must contain at least one item'));
  }
  out.push(...expressionCauses(spec.validations, 'spec.validations', 'expression'));
  out.push(...expressionCauses(spec.matchConditions, 'spec.matchConditions', 'expression'));
  out.push(...expressionCauses(spec.variables, 'spec.variables', 'expression'));
  return out;
}

export function validateBinding(obj: KObject): StatusCause[] {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const out: StatusCause[] = [];
  if (typeof spec.policyName !== 'string' || spec.policyName === '') out.push(fieldCause('FieldValueRequired', 'spec.policyName', ''));
  const actions = Array.isArray(spec.validationActions) ? spec.validationActions : [];
  if (actions.length === 0) out.push(fieldCause('FieldValueRequired', 'spec.validationActions', 'at least one validation action is required'));
  actions.forEach((a, i) => {
    if (a !== 'Deny' && a !== 'Warn' && a !== 'Audit') {
      out.push({ reason: 'FieldValueNotSupported', field: `spec.validationActions[${i}]`, message: `Unsupported value: ${JSON.stringify(a)}: supported values: "Audit", "Deny", "Warn"` });
    }
  });
  if (actions.includes('Deny') && actions.includes('Warn')) {
    out.push(fieldCause('FieldValueInvalid', 'spec.validationActions', 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)', actions));
  }
  return out;
}
