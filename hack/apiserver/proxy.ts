/**
 * services/proxy and pods/log.
 *
 * The service proxy resolves a Service to its Endpoints object (same name) the way
 * kube-apiserver does: the service port is picked by name or number, the endpoint port by the
 * service port's name, and the address must carry a targetRef to a Pod whose status.podIPs
 * contain that IP. The node simulator writes those Endpoints, so the same path works on a real cluster.
 *
 * pods/log: a kubelet serves logs on a real cluster; here the node simulator publishes a
 * loopback URL per pod in the `sim.agentlab.dev/log-url` annotation, and the server forwards
 * the log request (container, follow, tailLines, previous, timestamps, sinceSeconds, limitBytes) to it.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, badRequest, notFound, serviceUnavailable } from './errors.js';
import type { ObjectService } from './objects.js';
import type { Registry } from './registry.js';
import { isRecord, type KObject } from './types.js';

export const LOG_URL_ANNOTATION = 'sim.agentlab.dev/log-url';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'authorization', 'host']);

const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

export interface Target { host: string; port: number }

/** Parses `[scheme:]name[:port]` as the proxy path carries it. */
export function parseServiceRef(ref: string): { scheme: string; name: string; port: string } {
  const parts = ref.split(':');
  if (parts.length === 1) return { scheme: '', name: parts[0]!, port: '' };
  if (parts.length === 2) return { scheme: '', name: parts[0]!, port: parts[1]! };
  return { scheme: parts[0]!, name: parts[1]!, port: parts[2]! };
}

/** Picks the endpoint for a service port, following ResourceLocation in pkg/registry/core/service. */
export function resolveServiceTarget(svc: KObject, endpoints: KObject | undefined, portRef: string,
  podIPs: (ns: string, name: string) => string[] | undefined): Target {
  const name = svc.metadata?.name ?? '';
  const ports = arr(isRecord(svc.spec) ? svc.spec.ports : undefined);
  const svcPort = ports.find((p) => (p.name ?? '') === portRef || String(p.port) === portRef)
    ?? (portRef === '' && ports.length === 1 ? ports[0] : undefined);
  if (!svcPort) throw serviceUnavailable(`no service port ${JSON.stringify(portRef)} found for service ${JSON.stringify(name)}`);
  const portName = (svcPort.name ?? '') as string;
  for (const ss of arr(endpoints?.subsets)) {
    const epPort = arr(ss.ports).find((p) => (p.name ?? '') === portName);
    if (!epPort) continue;
    for (const addr of arr(ss.addresses)) {
      const ip = String(addr.ip ?? '');
      const ref = isRecord(addr.targetRef) ? addr.targetRef : undefined;
      if (!ref || ref.kind !== 'Pod') continue;
      const ips = podIPs(String(ref.namespace ?? svc.metadata?.namespace ?? ''), String(ref.name ?? ''));
      if (!ips?.includes(ip)) continue;
      return { host: ip, port: Number(epPort.port) };
    }
  }
  throw serviceUnavailable(`no endpoints available for service ${JSON.stringify(name)}`);
}

function forward(req: IncomingMessage, res: ServerResponse, target: URL, onError: (err: ApiError) => void): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) headers[k] = v;
  const upstream = http.request(target, { method: req.method, headers }, (up) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
  });
  upstream.on('error', (err) => onError(serviceUnavailable(`error trying to reach service: ${err.message}`)));
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

export function podIPsFrom(svc: ObjectService, registry: Registry) {
  return (ns: string, name: string): string[] | undefined => {
    const pod = svc.tryGet(registry.get('', 'v1', 'pods')!, ns, name);
    if (!pod) return undefined;
    const st = isRecord(pod.status) ? pod.status : {};
    const ips = arr(st.podIPs).map((p) => String(p.ip));
    if (typeof st.podIP === 'string' && !ips.includes(st.podIP)) ips.push(st.podIP);
    return ips;
  };
}

export function proxyService(svc: ObjectService, registry: Registry, ns: string, ref: string, rest: string,
  req: IncomingMessage, res: ServerResponse, onError: (err: ApiError) => void): void {
  const { name, port } = parseServiceRef(ref);
  const service = svc.tryGet(registry.get('', 'v1', 'services')!, ns, name);
  if (!service) throw notFound({ group: '', resource: 'services' }, name);
  const endpoints = svc.tryGet(registry.get('', 'v1', 'endpoints')!, ns, name);
  const t = resolveServiceTarget(service, endpoints, port, podIPsFrom(svc, registry));
  const query = new URL(req.url ?? '/', 'http://x').search;
  forward(req, res, new URL(`http://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}${rest || '/'}${query}`), onError);
}

const LOG_PARAMS = ['follow', 'tailLines', 'previous', 'timestamps', 'sinceSeconds', 'sinceTime', 'limitBytes'];

export function podLogs(svc: ObjectService, registry: Registry, ns: string, name: string, q: URLSearchParams,
  req: IncomingMessage, res: ServerResponse, onError: (err: ApiError) => void): void {
  const pod = svc.tryGet(registry.get('', 'v1', 'pods')!, ns, name);
  if (!pod) throw notFound({ group: '', resource: 'pods' }, name);
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const containers = arr(spec.containers).map((c) => String(c.name));
  const all = [...containers, ...arr(spec.initContainers).map((c) => String(c.name)), ...arr(spec.ephemeralContainers).map((c) => String(c.name))];
  let container = q.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    container = containers[0]!;
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const url = pod.metadata.annotations?.[LOG_URL_ANNOTATION];
  const statuses = arr(isRecord(pod.status) ? pod.status.containerStatuses : undefined);
  const cs = statuses.find((s) => s.name === container);
  const waiting = isRecord(cs?.state) && isRecord(cs.state.waiting) ? String(cs.state.waiting.reason ?? 'ContainerCreating') : undefined;
  if (!url) {
    if (!spec.nodeName || !cs || waiting) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting ?? 'ContainerCreating'}`);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  let target: URL;
  try { target = new URL(url); } catch { throw badRequest(`pod ${name} has an invalid ${LOG_URL_ANNOTATION} annotation`); }
  if (target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) {
    throw badRequest(`pod ${name}: ${LOG_URL_ANNOTATION} must be an http URL on the loopback interface`);
  }
  target.searchParams.set('container', container);
  for (const p of LOG_PARAMS) { const v = q.get(p); if (v !== null) target.searchParams.set(p, v); }
  forward(req, res, target, onError);
}
