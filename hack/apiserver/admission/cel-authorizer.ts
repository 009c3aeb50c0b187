/**
 * The CEL authorizer library of admission policies (k8s.io/apiserver/pkg/cel/library/authz.go):
 * `authorizer.group('apps').resource('deployments').namespace('ns').name('x').check('update').allowed()`,
 * `authorizer.path('/healthz').check('get')`, `authorizer.serviceAccount(ns, name)` and
 * `authorizer.requestResource` (the request's own resource). Checks run the server's authorizer
 * as the request's user. Values are tagged maps, as the schema package's CEL library does for URLs.
 */
import { CelScalar, celMap, celMethod, type CelFunc, type CelInput, type CelMap, type CelValue } from '@bufbuild/cel';
import type { Attributes } from '../auth/attributes.js';
import type { Authorizer } from '../auth/authorizer.js';
import { AUTHENTICATED_GROUP, type UserInfo } from '../auth/user.js';

const { BOOL, DYN, STRING } = CelScalar;

export interface ResourceCheck { group: string; resource: string; subresource: string; namespace: string; name: string; version: string }

type State =
  | { kind: 'authorizer'; user: UserInfo; authorize: Authorizer }
  | { kind: 'path'; user: UserInfo; authorize: Authorizer; path: string }
  | { kind: 'group'; user: UserInfo; authorize: Authorizer; group: string }
  | { kind: 'resource'; user: UserInfo; authorize: Authorizer; check: ResourceCheck }
  | { kind: 'decision'; allowed: boolean; reason: string; error: string };

const states = new WeakMap<object, State>();

function tag(state: State): CelMap {
  const m = celMap(new Map([[`__authz_${state.kind}__`, true]]));
  states.set(m, state);
  return m;
}

function stateOf<K extends State['kind']>(v: CelValue, ...kinds: K[]): Extract<State, { kind: K }> {
  const s = states.get(v as object);
  if (!s || !kinds.includes(s.kind as K)) throw new Error('no such overload');
  return s as Extract<State, { kind: K }>;
}

function decide(authorize: Authorizer, a: Attributes): CelMap {
  const d = authorize(a);
  return tag({ kind: 'decision', allowed: d.allowed, reason: d.reason, error: '' });
}

/** The `authorizer` variable for a request by `user`, with `requestResource` describing the request. */
export function authorizerValue(user: UserInfo, authorize: Authorizer, request: ResourceCheck): CelMap {
  const m = celMap(new Map<string, CelInput>([['__authz_authorizer__', true],
    ['requestResource', tag({ kind: 'resource', user, authorize, check: request })]]));
  states.set(m, { kind: 'authorizer', user, authorize });
  return m;
}

const resourceSetter = (field: 'subresource' | 'namespace' | 'name'): CelFunc =>
  celMethod(field, DYN, [STRING], DYN, function (v) {
    const s = stateOf(this, 'resource');
    return tag({ ...s, check: { ...s.check, [field]: v } });
  });

export const AUTHORIZER_CEL_FUNCS: CelFunc[] = [
  celMethod('path', DYN, [STRING], DYN, function (path) {
    const s = stateOf(this, 'authorizer');
    return tag({ kind: 'path', user: s.user, authorize: s.authorize, path });
  }),
  celMethod('group', DYN, [STRING], DYN, function (group) {
    const s = stateOf(this, 'authorizer');
    return tag({ kind: 'group', user: s.user, authorize: s.authorize, group });
  }),
  celMethod('serviceAccount', DYN, [STRING, STRING], DYN, function (namespace, name) {
    const s = stateOf(this, 'authorizer');
    const user: UserInfo = { username: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP] };
    return tag({ kind: 'authorizer', user, authorize: s.authorize });
  }),
  celMethod('resource', DYN, [STRING], DYN, function (resource) {
    const s = stateOf(this, 'group');
    return tag({ kind: 'resource', user: s.user, authorize: s.authorize,
      check: { group: s.group, resource, subresource: '', namespace: '', name: '', version: '' } });
  }),
  resourceSetter('subresource'),
  resourceSetter('namespace'),
  resourceSetter('name'),
  celMethod('check', DYN, [STRING], DYN, function (verb) {
    const s = stateOf(this, 'path', 'resource');
    if (s.kind === 'path') return decide(s.authorize, { user: s.user, resourceRequest: false, verb, path: s.path });
    const c = s.check;
    return decide(s.authorize, { user: s.user, resourceRequest: true, verb, apiGroup: c.group, apiVersion: c.version || '*',
      namespace: c.namespace, resource: c.resource, subresource: c.subresource, name: c.name });
  }),
  celMethod('allowed', DYN, [], BOOL, function () { return stateOf(this, 'decision').allowed; }),
  celMethod('reason', DYN, [], STRING, function () { return stateOf(this, 'decision').reason; }),
  celMethod('errored', DYN, [], BOOL, function () { return stateOf(this, 'decision').error !== ''; }),
  celMethod('error', DYN, [], STRING, function () { return stateOf(this, 'decision').error; }),
];
