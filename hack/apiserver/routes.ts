/** URL paths to request descriptions, following k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory. */

export type Route =
  | { kind: 'version' } | { kind: 'health' } | { kind: 'api' } | { kind: 'apis' }
  | { kind: 'apiVersion'; version: string }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'openapiV2' } | { kind: 'openapiV3' } | { kind: 'openapiV3Doc'; path: string }
  | ResourceRoute
  | { kind: 'unknown' };

export interface ResourceRoute {
  kind: 'resource';
  group: string; version: string;
  namespace: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Path after the subresource (pods/log has none; services/proxy forwards it). */
  rest: string;
  /** The deprecated /watch/ path prefix. */
  watchPrefix: boolean;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRoute(pathname: string): Route {
  if (pathname === '/version' || pathname === '/version/') return { kind: 'version' };
  if (['/healthz', '/livez', '/readyz'].some((p) => pathname === p || pathname.startsWith(`${p}/`))) return { kind: 'health' };
  if (pathname === '/openapi/v2') return { kind: 'openapiV2' };
  if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') return { kind: 'openapiV3' };
  if (pathname.startsWith('/openapi/v3/')) return { kind: 'openapiV3Doc', path: pathname.slice('/openapi/v3/'.length) };
  const raw = pathname.split('/').slice(1);
  // A trailing slash does not change the route.
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  let parts: string[];
  try { parts = raw.map((p) => decodeURIComponent(p)); } catch { return { kind: 'unknown' }; }
  let group: string; let version: string; let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    group = ''; version = parts[1]!;
    if (parts.length === 2) return { kind: 'apiVersion', version };
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    group = parts[1]!;
    if (parts.length === 2) return { kind: 'group', group };
    version = parts[2]!;
    if (parts.length === 3) return { kind: 'groupVersion', group, version };
    rest = parts.slice(3);
  } else return { kind: 'unknown' };
  let watchPrefix = false;
  if (rest[0] === 'watch') { watchPrefix = true; rest = rest.slice(1); }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  if (rest.length === 0 || rest[0] === '') return { kind: 'unknown' };
  const route: ResourceRoute = { kind: 'resource', group, version, namespace, resource: rest[0]!, rest: '', watchPrefix };
  if (rest[0] === 'namespaces') {
    // /api/v1/namespaces/<name>[/status|/finalize]: the namespace object itself.
    route.namespace = '';
    if (rest.length > 1) route.name = rest[1];
    if (rest.length > 2) route.subresource = rest[2];
    if (rest.length > 3) return { kind: 'unknown' };
    return route;
  }
  if (rest.length > 1) route.name = rest[1];
  if (rest.length > 2) route.subresource = rest[2];
  if (rest.length > 3) route.rest = `/${raw.slice(raw.length - (rest.length - 3)).join('/')}`;
  return route;
}
