/**
 * The ValidatingAdmissionPolicy admission plugin (k8s.io/apiserver/pkg/admission/plugin/policy/validating):
 * for a create, update or delete, every policy whose matchConstraints and matchConditions match and
 * each of its bindings whose matchResources match evaluates its validations, once per param object.
 * A failed validation under `Deny` refuses the request with
 * `<resource> "<name>" is forbidden: ValidatingAdmissionPolicy '<p>' with binding '<b>' denied request: <message>`,
 * reason and code from the validation's `reason` (Invalid, 422, when unset); under `Warn` it becomes a
 * `Validation failed for ValidatingAdmissionPolicy ...` warning; `Audit` is accepted (no audit log here).
 * Errors (compilation, evaluation, missing params) follow the policy's failurePolicy (Fail by default).
 */
import { isCelError, type CelInput } from '@bufbuild/cel';
import { runtimeErrorText } from '../../../operators/schema/cel.js';
import { toCel } from '../../../operators/schema/cel-values.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { UserInfo } from '../auth/user.js';
import { ApiError, forbidden } from '../errors.js';
import { fromMetaLabelSelector, matchesLabels } from '../selectors.js';
import type { KObject } from '../types.js';
import { authorizerValue } from './cel-authorizer.js';
import { compileExpression, type Activation, type Program } from './compile.js';
import { bindingMatches, constraintsMatch, type MatchRequest } from './matching.js';
import type { ParamRef, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './policy-types.js';

export interface AdmissionRequest extends MatchRequest {
  kind: string;
  user: UserInfo;
  dryRun: boolean;
  namespaceObject?: KObject;
}

/** What the plugin reads from the cluster. */
export interface PolicySource {
  policies(): ValidatingAdmissionPolicy[];
  bindings(): ValidatingAdmissionPolicyBinding[];
  /** Param objects of a kind (`apiVersion`, `kind`): one by name, or all in a namespace ('' = every namespace / cluster-scoped). */
  params(apiVersion: string, kind: string, namespace: string): { objects: KObject[]; namespaced: boolean } | undefined;
}

interface Compiled<T> { program?: Program; error?: string; source: T }

interface CompiledPolicy {
  rv: string;
  validations: { v: NonNullable<ValidatingAdmissionPolicy['spec']>['validations'] extends (infer V)[] | undefined ? V : never; expr: Compiled<string>; message?: Compiled<string> }[];
  matchConditions: { name: string; expr: Compiled<string> }[];
  variables: { name: string; expr: Compiled<string> }[];
}

const compiledCache = new Map<string, CompiledPolicy>();

function compiled(src: string): Compiled<string> {
  const c = compileExpression(src);
  return 'error' in c ? { error: c.error, source: src } : { program: c.program, source: src };
}

function compilePolicy(p: ValidatingAdmissionPolicy): CompiledPolicy {
  const key = p.metadata.name;
  const rv = p.metadata.resourceVersion ?? '';
  const cached = compiledCache.get(key);
  if (cached && cached.rv === rv && rv !== '') return cached;
  const spec = p.spec ?? {};
  const out: CompiledPolicy = {
    rv,
    validations: (spec.validations ?? []).map((v) => ({ v, expr: compiled(v.expression),
      message: v.messageExpression ? compiled(v.messageExpression) : undefined })),
    matchConditions: (spec.matchConditions ?? []).map((m) => ({ name: m.name, expr: compiled(m.expression) })),
    variables: (spec.variables ?? []).map((m) => ({ name: m.name, expr: compiled(m.expression) })),
  };
  compiledCache.set(key, out);
  return out;
}

/** Kubernetes' reasonToCode. */
export function reasonToCode(reason: string): number {
  switch (reason) {
    case 'Forbidden': return 403;
    case 'Unauthorized': return 401;
    case 'RequestEntityTooLarge': return 413;
    default: return 422;
  }
}

function requestValue(req: AdmissionRequest): CelInput {
  const gvk = new Map<string, CelInput>([['group', req.group], ['version', req.version], ['kind', req.kind]]);
  const gvr = new Map<string, CelInput>([['group', req.group], ['version', req.version], ['resource', req.resource]]);
  const extra = new Map<string, CelInput>(Object.entries(req.user.extra ?? {}).map(([k, v]) => [k, v]));
  const userInfo = new Map<string, CelInput>([['username', req.user.username], ['uid', req.user.uid ?? ''], ['groups', req.user.groups], ['extra', extra]]);
  return new Map<string, CelInput>([
    ['kind', gvk], ['resource', gvr], ['subResource', req.subresource], ['requestKind', gvk], ['requestResource', gvr],
    ['requestSubResource', req.subresource], ['name', req.name], ['namespace', req.namespace], ['operation', req.operation],
    ['userInfo', userInfo], ['dryRun', req.dryRun],
  ]);
}

type Outcome = { kind: 'admit' } | { kind: 'deny'; message: string; reason: string } | { kind: 'error'; message: string };

function run(p: Program, a: Activation): { value?: CelInput; error?: string } {
  try {
    const r = p(a);
    if (isCelError(r)) return { error: runtimeErrorText(r as Error) };
    return { value: r as CelInput };
  } catch (e) {
    return { error: runtimeErrorText(e as Error) };
  }
}

function evalMessage(c: Compiled<string> | undefined, a: Activation): string {
  if (!c?.program) return '';
  const r = run(c.program, a);
  if (typeof r.value !== 'string') return '';
  const t = r.value.trim();
  return t.length > 5000 || t.includes('\n') ? '' : t;
}

/** One binding's (and param's) validations; config problems come back as errors for the failure policy. */
function validate(cp: CompiledPolicy, a: Activation): Outcome[] {
  return cp.validations.map(({ v, expr, message }) => {
    if (!expr.program) return { kind: 'error', message: expr.error ?? 'unexpected internal error compiling expression' };
    const r = run(expr.program, a);
    if (r.error !== undefined) return { kind: 'error', message: `expression '${v.expression}' resulted in error: ${r.error}` };
    if (r.value === true) return { kind: 'admit' };
    const msg = evalMessage(message, a) || (v.message ?? '').trim() || `failed expression: ${v.expression.trim()}`;
    return { kind: 'deny', message: msg, reason: v.reason ?? 'Invalid' };
  });
}

/** Evaluates variables in order into the `variables` map; one that fails is left out (a later reference fails on it). */
function evalVariables(cp: CompiledPolicy, a: Activation): Map<string, CelInput> {
  const vars = new Map<string, CelInput>();
  a.variables = vars;
  for (const v of cp.variables) {
    if (!v.expr.program) continue;
    const r = run(v.expr.program, a);
    if (r.value !== undefined) vars.set(v.name, r.value);
  }
  return vars;
}

function resolveParams(src: PolicySource, p: ValidatingAdmissionPolicy, ref: ParamRef | undefined, req: AdmissionRequest): { params: (KObject | null)[] } | { error: string } | { skip: true } {
  const kind = p.spec?.paramKind;
  if (!kind) return { params: [null] };
  if (!ref) return { error: `paramKind kind \`${kind.apiVersion ?? ''}, Kind=${kind.kind ?? ''}\` is set but binding has no paramRef` };
  const namespaceOf = (namespaced: boolean): string => (namespaced ? ref.namespace || req.namespace : '');
  const found = src.params(kind.apiVersion ?? '', kind.kind ?? '', '');
  if (!found) return { error: `paramKind kind \`${kind.apiVersion ?? ''}, Kind=${kind.kind ?? ''}\` not known` };
  const ns = namespaceOf(found.namespaced);
  let objects = found.objects.filter((o) => !found.namespaced || (o.metadata?.namespace ?? '') === ns);
  if (ref.name) objects = objects.filter((o) => o.metadata?.name === ref.name);
  else if (ref.selector) {
    const sel = fromMetaLabelSelector(ref.selector);
    objects = objects.filter((o) => matchesLabels(sel, o.metadata?.labels ?? {}));
  }
  if (objects.length > 0) return { params: objects };
  if (ref.parameterNotFoundAction === 'Deny') return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  return { skip: true };
}

export interface AdmissionResult { warnings: string[] }

/**
 * Runs every policy against the request. Returns the warnings to send; throws the refusal.
 * `authorize` backs the CEL authorizer, as the request's user.
 */
export function admitValidatingPolicies(src: PolicySource, authorize: Authorizer, req: AdmissionRequest): AdmissionResult {
  const warnings: string[] = [];
  const denials: { policy: string; binding: string; message: string; reason: string }[] = [];
  const bindings = src.bindings();
  for (const policy of src.policies()) {
    const spec = policy.spec ?? {};
    if (!constraintsMatch(spec.matchConstraints, req)) continue;
    const failClosed = spec.failurePolicy !== 'Ignore';
    const cp = compilePolicy(policy);
    for (const binding of bindings) {
      if (binding.spec?.policyName !== policy.metadata.name) continue;
      if (!bindingMatches(binding.spec.matchResources, req)) continue;
      const configError = (message: string): void => {
        if (failClosed) denials.push({ policy: policy.metadata.name, binding: binding.metadata.name, message: `failed to configure binding: ${message}`, reason: '' });
      };
      const resolved = resolveParams(src, policy, binding.spec.paramRef, req);
      if ('skip' in resolved) continue;
      if ('error' in resolved) { configError(resolved.error); continue; }
      for (const param of resolved.params) {
        const a: Activation = {
          object: req.object === null ? null : toCel(req.object, undefined),
          oldObject: req.oldObject === null ? null : toCel(req.oldObject, undefined),
          request: requestValue(req),
          params: param === null ? null : toCel(param, undefined),
          namespaceObject: req.namespaceObject ? toCel(req.namespaceObject, undefined) : null,
          variables: new Map(),
          authorizer: authorizerValue(req.user, authorize, { group: req.group, version: req.version, resource: req.resource,
            subresource: req.subresource, namespace: req.namespace, name: req.name }),
        };
        evalVariables(cp, a);
        let matched = true;
        let conditionError: string | undefined;
        for (const mc of cp.matchConditions) {
          if (!mc.expr.program) { conditionError = mc.expr.error; break; }
          const r = run(mc.expr.program, a);
          if (r.error !== undefined) { conditionError = `matchCondition '${mc.name}' resulted in error: ${r.error}`; break; }
          if (r.value !== true) { matched = false; break; }
        }
        if (conditionError !== undefined) {
          if (failClosed) denials.push({ policy: policy.metadata.name, binding: binding.metadata.name, message: conditionError, reason: '' });
          continue;
        }
        if (!matched) continue;
        const actions = binding.spec.validationActions ?? [];
        for (const o of validate(cp, a)) {
          if (o.kind === 'admit') continue;
          if (o.kind === 'error' && !failClosed) continue;
          const message = o.message;
          const reason = o.kind === 'deny' ? o.reason : '';
          if (actions.includes('Deny')) denials.push({ policy: policy.metadata.name, binding: binding.metadata.name, message, reason });
          if (actions.includes('Warn')) {
            warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${message}`);
          }
        }
      }
    }
  }
  if (denials.length > 0) throw denialError(req, denials[0]!);
  return { warnings };
}

/** admission.NewForbidden with the validation's reason and code, plus one cause carrying the message. */
function denialError(req: AdmissionRequest, d: { policy: string; binding: string; message: string; reason: string }): ApiError {
  const message = `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}' denied request: ${d.message}`;
  const name = req.name || req.object?.metadata?.name || req.object?.metadata?.generateName || 'Unknown';
  const err = forbidden({ group: req.group, resource: req.resource }, name, message, [{ message }]);
  const reason = d.reason || 'Invalid';
  err.status.reason = reason;
  err.status.code = reasonToCode(reason);
  return err;
}
