import { isIPv4 } from 'node:net';
import type { AgentTool } from '../../api/generated/agentrun.js';

/** The http tool's allow-list with the CRD's defaults applied. */
export interface HttpPolicy {
  /** spec.tools[].http.allowHosts: host or *.domain, each with an optional :port. */
  allowHosts: string[];
  /** Upper-case methods (default GET). */
  methods: string[];
  maxResponseBytes: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

export function httpPolicy(spec: NonNullable<AgentTool['http']>): HttpPolicy {
  return {
    allowHosts: spec.allowHosts,
    methods: (spec.methods ?? ['GET']).map((m) => m.toUpperCase()),
    maxResponseBytes: spec.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
}

export type HttpVerdict = { allowed: true; url: URL; method: string } | { allowed: false; reason: string };

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** A host as the WHATWG URL parser normalises it: lower case, IDN to punycode, IPv4 forms to dotted quad. */
function normaliseHost(host: string): string | undefined {
  try {
    const h = new URL(`http://${host}/`).hostname;
    return h.endsWith('.') ? h.slice(0, -1) : h;
  } catch {
    return undefined;
  }
}

interface HostRule { wildcard: boolean; host: string; port?: number }

function parseRule(entry: string): HostRule | undefined {
  const wildcard = entry.startsWith('*.');
  const rest = wildcard ? entry.slice(2) : entry;
  const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(rest)!;
  const host = normaliseHost(m[1]);
  if (!host) return undefined;
  return { wildcard, host, ...(m[2] !== undefined ? { port: Number(m[2]) } : {}) };
}

/**
 * Whether a host and port match one allowHosts entry. `*.example.com` matches a.example.com
 * and a.b.example.com but not example.com; an IP literal matches only an entry naming that
 * address, never a wildcard; an entry without a port allows only the scheme's default port.
 */
export function hostAllowed(entries: readonly string[], host: string, port: number, defaultPort: number): boolean {
  const ip = isIPv4(host) || host.startsWith('[');
  return entries.some((entry) => {
    const rule = parseRule(entry);
    if (!rule) return false;
    if ((rule.port ?? defaultPort) !== port) return false;
    if (rule.wildcard) return !ip && host.endsWith(`.${rule.host}`);
    return host === rule.host;
  });
}

function hostRefusal(policy: Pick<HttpPolicy, 'allowHosts'>, host: string, port: number, shownPort: boolean): string {
  const shown = shownPort ? `${host}:${port}` : host;
  return `host ${shown} is not allowed for this run (allowHosts: ${policy.allowHosts.join(', ')})`;
}

export type ConnectVerdict = { allowed: true; host: string; port: number } | { allowed: false; reason: string };

/**
 * The decision on a proxy CONNECT (an https tunnel), pure. Only the host and port are known
 * here (the rest is encrypted), so methods and response size are the runner's to enforce. The
 * target is authority-form, `host:port` (RFC 9110 section 9.3.6); the port is compared with the
 * allowHosts entries as for an https URL (an entry without a port allows 443 only).
 */
export function checkConnect(policy: Pick<HttpPolicy, 'allowHosts'>, authority: string): ConnectVerdict {
  const m = /^(\[[^\]]*\]|[^:@/?#\s\[\]]+):([0-9]{1,5})$/.exec(authority);
  if (!m) return { allowed: false, reason: `CONNECT target "${authority.slice(0, 300)}" is not host:port` };
  const port = Number(m[2]);
  const host = normaliseHost(m[1]);
  if (!host || port < 1 || port > 65535) return { allowed: false, reason: `CONNECT target "${authority.slice(0, 300)}" is not a valid host:port` };
  if (!hostAllowed(policy.allowHosts, host, port, DEFAULT_PORT['https:'])) return { allowed: false, reason: hostRefusal(policy, host, port, port !== DEFAULT_PORT['https:']) };
  return { allowed: true, host, port };
}

/**
 * The decision on one request (the first or one after a redirect), pure: an absolute http(s)
 * URL without credentials, to an allowed host and port, with an allowed method.
 */
export function checkHttpRequest(policy: Pick<HttpPolicy, 'allowHosts' | 'methods'>, url: string, method: string): HttpVerdict {
  if (url.includes('\0')) return { allowed: false, reason: 'the URL contains a NUL byte' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, reason: `"${url}" is not an absolute URL` };
  }
  const defaultPort = DEFAULT_PORT[parsed.protocol];
  if (defaultPort === undefined) return { allowed: false, reason: `scheme "${parsed.protocol.slice(0, -1)}" is not allowed; use http or https` };
  if (parsed.username !== '' || parsed.password !== '') return { allowed: false, reason: 'credentials in the URL (user:password@) are not allowed' };
  const m = method.toUpperCase();
  if (!policy.methods.includes(m)) return { allowed: false, reason: `method ${m} is not allowed for this run (allowed: ${policy.methods.join(', ')})` };
  const host = parsed.hostname.endsWith('.') ? parsed.hostname.slice(0, -1) : parsed.hostname;
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  if (!hostAllowed(policy.allowHosts, host, port, defaultPort)) return { allowed: false, reason: hostRefusal(policy, host, port, parsed.port !== '') };
  return { allowed: true, url: parsed, method: m };
}
