import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../auth/authorizer.js';
import { ApiError } from '../errors.js';
import type { KObject } from '../types.js';
import { ruleMatches, type MatchRequest } from './matching.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './policy-types.js';
import { admitValidatingPolicies, reasonToCode, type AdmissionRequest, type PolicySource } from './validating-admission.js';

const cm = (name: string, data: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data });

function request(object: KObject | null, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { operation: 'CREATE', group: '', version: 'v1', resource: 'configmaps', subresource: '', kind: 'ConfigMap', namespace: 'ns',
    name: object?.metadata?.name ?? '', object, oldObject: null, user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    dryRun: false, namespaceLabels: { team: 'a' }, ...extra };
}

function policy(name: string, spec: ValidatingAdmissionPolicy['spec']): ValidatingAdmissionPolicy {
  return { metadata: { name, resourceVersion: String(Math.random()) },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] }, ...spec } };
}

function source(policies: ValidatingAdmissionPolicy[], bindings: ValidatingAdmissionPolicyBinding[], params: KObject[] = []): PolicySource {
  return { policies: () => policies, bindings: () => bindings, params: () => ({ namespaced: true, objects: params }) };
}

const binding = (name: string, policyName: string, actions: ('Deny' | 'Warn' | 'Audit')[], extra = {}): ValidatingAdmissionPolicyBinding =>
  ({ metadata: { name }, spec: { policyName, validationActions: actions, ...extra } });

const allowAll: Authorizer = () => ({ allowed: true, reason: '' });

function refusal(fn: () => unknown): ApiError {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e; throw e; }
  throw new Error('expected a refusal');
}

describe('resource rules', () => {
  const req = (resource: string, subresource = ''): MatchRequest => ({ ...request(null), resource, subresource });
  it.each([
    [['*'], 'pods', '', true], [['*'], 'pods', 'status', false], [['*/*'], 'pods', 'status', true],
    [['pods/*'], 'pods', 'log', true], [['*/scale'], 'deployments', 'scale', true], [['pods'], 'pods', 'status', false],
  ])('%j matches %s/%s: %s', (resources, resource, sub, want) => {
    expect(ruleMatches({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources }, req(resource, sub))).toBe(want);
  });
});

describe('admitValidatingPolicies', () => {
  const p = policy('p', { validations: [{ expression: "!('x' in object.data)", message: ' no x ' }] });

  it('denies with the policy and binding named, 422 Invalid, the message trimmed, one cause', () => {
    const err = refusal(() => admitValidatingPolicies(source([p], [binding('b', 'p', ['Deny'])]), allowAll, request(cm('c', { x: '1' }))));
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid', message: `configmaps "c" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no x`,
      details: { name: 'c', kind: 'configmaps', causes: [{ message: "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no x" }] } });
  });

  it('warns under Warn and does nothing without a binding', () => {
    expect(admitValidatingPolicies(source([p], [binding('b', 'p', ['Warn'])]), allowAll, request(cm('c', { x: '1' }))).warnings)
      .toEqual(["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': no x"]);
    expect(admitValidatingPolicies(source([p], []), allowAll, request(cm('c', { x: '1' }))).warnings).toEqual([]);
  });

  it('maps reason to code and falls back to the expression', () => {
    const f = policy('f', { validations: [{ expression: 'false', reason: 'Forbidden' }] });
    const err = refusal(() => admitValidatingPolicies(source([f], [binding('b', 'f', ['Deny'])]), allowAll, request(cm('c', {}))));
    expect(err.code).toBe(403);
    expect(err.status.message).toMatch(/denied request: failed expression: false$/);
    expect([reasonToCode('Unauthorized'), reasonToCode('RequestEntityTooLarge'), reasonToCode('Whatever')]).toEqual([401, 413, 422]);
  });

  it('an evaluation error follows failurePolicy', () => {
    const bad = (fp: 'Fail' | 'Ignore') => policy('e', { failurePolicy: fp, validations: [{ expression: "object.data.missing == 'x'" }] });
    const err = refusal(() => admitValidatingPolicies(source([bad('Fail')], [binding('b', 'e', ['Deny'])]), allowAll, request(cm('c', {}))));
    expect(err.status.message).toMatch(/denied request: expression 'object.data.missing == 'x'' resulted in error: no such key: missing$/);
    expect(admitValidatingPolicies(source([bad('Ignore')], [binding('b', 'e', ['Deny'])]), allowAll, request(cm('c', {}))).warnings).toEqual([]);
  });

  it('namespace selectors, matchConditions and binding matchResources narrow what is checked', () => {
    const sel = policy('s', { matchConstraints: { namespaceSelector: { matchLabels: { team: 'b' } }, resourceRules: p.spec!.matchConstraints!.resourceRules },
      validations: [{ expression: 'false' }] });
    expect(admitValidatingPolicies(source([sel], [binding('b', 's', ['Deny'])]), allowAll, request(cm('c', {}))).warnings).toEqual([]);
    const cond = policy('m', { matchConditions: [{ name: 'only-y', expression: "'y' in object.data" }], validations: [{ expression: 'false' }] });
    expect(admitValidatingPolicies(source([cond], [binding('b', 'm', ['Deny'])]), allowAll, request(cm('c', {}))).warnings).toEqual([]);
    const narrowed = binding('b', 'p', ['Deny'], { matchResources: { objectSelector: { matchLabels: { checked: 'yes' } } } });
    expect(admitValidatingPolicies(source([p], [narrowed]), allowAll, request(cm('c', { x: '1' }))).warnings).toEqual([]);
  });

  it('params, variables, request.userInfo and the authorizer', () => {
    const q = policy('q', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      variables: [{ name: 'n', expression: 'size(object.data)' }],
      validations: [
        { expression: 'variables.n <= int(params.data.max)', messageExpression: "'max ' + params.data.max" },
        { expression: "request.userInfo.username == 'alice' && 'dev' in request.userInfo.groups" },
        { expression: "authorizer.group('').resource('configmaps').subresource('sign').namespace('ns').name(object.metadata.name).check('sign').allowed()", message: 'may not sign' },
      ],
    });
    const params = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits', namespace: 'ns' }, data: { max: '1' } }];
    const asked: unknown[] = [];
    const authz: Authorizer = (a) => { asked.push(a); return { allowed: a.verb === 'sign' && a.resourceRequest && a.subresource === 'sign', reason: '' }; };
    const b = binding('b', 'q', ['Deny'], { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } });
    expect(admitValidatingPolicies(source([q], [b], params), authz, request(cm('c', { a: '1' }))).warnings).toEqual([]);
    expect(asked).toMatchObject([{ verb: 'sign', resource: 'configmaps', subresource: 'sign', namespace: 'ns', name: 'c', user: { username: 'alice' } }]);
    expect(refusal(() => admitValidatingPolicies(source([q], [b], params), authz, request(cm('c', { a: '1', b: '2' })))).status.message).toMatch(/denied request: max 1$/);
    expect(refusal(() => admitValidatingPolicies(source([q], [b], []), authz, request(cm('c', {})))).status.message)
      .toMatch(/denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction$/);
  });
});
