/**
 * Authorization attributes of a request (k8s.io/apiserver/pkg/endpoints/request.RequestInfo and
 * authorizer.Attributes): the verb from the HTTP method, the resource path parts, or a non-resource path.
 */
import type { Route } from '../routes.js';
import type { UserInfo } from './user.js';

export interface ResourceAttributes {
  resourceRequest: true;
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface NonResourceAttributes {
  resourceRequest: false;
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;
export type Attributes = RequestAttributes & { user: UserInfo };

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** RequestInfoFactory.NewRequestInfo for what parseRoute understood; anything else is a non-resource path. */
export function requestAttributes(route: Route, method: string, pathname: string, query: URLSearchParams): RequestAttributes {
  const methodVerb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (route.kind !== 'resource') return { resourceRequest: false, verb: methodVerb, path: pathname };
  let verb = methodVerb;
  const watch = route.watchPrefix || ['true', '1'].includes(query.get('watch') ?? '');
  if (route.watchPrefix) verb = 'watch';
  else if (route.name === undefined && method === 'GET') verb = watch ? 'watch' : 'list';
  else if (route.name === undefined && method === 'DELETE') verb = 'deletecollection';
  // A named watch of the deprecated /watch/ form and ?watch on a single object are both "watch".
  if (route.name !== undefined && method === 'GET' && watch) verb = 'watch';
  // A namespace object's own requests are in that namespace (a Role there can grant `get namespaces/<it>`).
  const namespace = route.group === '' && route.resource === 'namespaces' && route.name !== undefined ? route.name : route.namespace;
  return {
    resourceRequest: true, verb, apiGroup: route.group, apiVersion: route.version, namespace,
    resource: route.resource, subresource: route.subresource ?? '', name: route.name ?? '',
  };
}

/** responsewriters.forbiddenMessage: `User "bob" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(a: Attributes): string {
  const user = a.user.username;
  if (!a.resourceRequest) return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}
