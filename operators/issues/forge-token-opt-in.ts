// A forge token Secret names the forges it may be sent to (ADR 0018). Without this, anyone allowed
// to create an AgentRun or HardwareTask could point spec.issueTracker.baseURL at a host of their
// own and secretRef at any Secret of the namespace, and the operator (or the router, for the
// agent's github tool) would send that Secret's value there as a bearer token. Like Argo CD's
// repository credentials and Flux's provider Secrets, the Secret is bound to a URL: its
// annotation agentlab.dev/forge-url lists the base URLs it is for, and a token is sent only to
// one of them. Pure: no I/O.

/** GitHub's API root, the github client's default (github.ts GITHUB_API; not imported: that module loads Octokit). */
const GITHUB_API = 'https://api.github.com';

export const FORGE_URL_ANNOTATION = 'agentlab.dev/forge-url';
/** The condition reason (and router error code, lower-cased) for a Secret that does not opt in. */
export const FORGE_TOKEN_NOT_ALLOWED = 'ForgeTokenNotAllowed';

/**
 * A base URL as compared: scheme, host and port as URL parses them (lower case, default port
 * dropped) and the path without trailing slashes; a Forgejo `/api/v1` suffix is dropped (the
 * client adds it). Undefined when it is not an http(s) URL.
 */
export function normalizeForgeURL(value: string, provider: 'github' | 'forgejo'): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  let path = url.pathname.replace(/\/+$/, '');
  if (provider === 'forgejo') path = path.replace(/\/api\/v1$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Where a tracker sends its token: spec baseURL, or GitHub's API when unset. */
export function forgeTokenDestination(provider: 'github' | 'forgejo', baseURL: string | undefined): string {
  return baseURL ?? (provider === 'github' ? GITHUB_API : '');
}

export interface ForgeTokenSecret {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
}

/**
 * Why the token in `secret` must not be sent to the tracker's base URL, or undefined when the
 * Secret's agentlab.dev/forge-url annotation lists that URL (comma- or space-separated). The
 * message says what to add and never holds the token.
 */
export function forgeTokenRefusal(secret: ForgeTokenSecret, provider: 'github' | 'forgejo', baseURL: string | undefined): string | undefined {
  const destination = forgeTokenDestination(provider, baseURL);
  const target = normalizeForgeURL(destination, provider);
  // A tracker without a usable URL fails on its own (the client says what is wrong); nothing is sent.
  if (!target) return undefined;
  const listed = (secret.annotations?.[FORGE_URL_ANNOTATION] ?? '').split(/[\s,]+/).filter((v) => v !== '');
  if (listed.some((v) => normalizeForgeURL(v, provider) === target)) return undefined;
  const where = `Secret ${secret.namespace}/${secret.name}`;
  const add = `kubectl -n ${secret.namespace} annotate secret ${secret.name} --overwrite ${FORGE_URL_ANNOTATION}=${[...listed, target].join(',')}`;
  const now = listed.length === 0
    ? `${where} does not name ${target} in its ${FORGE_URL_ANNOTATION} annotation, so its token is not sent there`
    : `${where} is for ${listed.join(', ')} (annotation ${FORGE_URL_ANNOTATION}), not ${target}, so its token is not sent there`;
  return `${now}; if the Secret holds a ${provider} token meant for ${target}, allow it with: ${add} (docs/issues.md: forge token Secrets)`;
}
