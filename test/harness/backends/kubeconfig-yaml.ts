import { stringify } from 'yaml';

/**
 * A kubeconfig for a loopback test server authenticated by a bearer token. TLS verification
 * is skipped because the servers use throw-away self-signed certificates (client-node also
 * needs the flag to talk plain HTTP to the embedded server).
 */
export function tokenKubeconfig(opts: { name: string; server: string; token: string; namespace?: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.name, cluster: { server: opts.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: opts.name, user: { token: opts.token } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: opts.name, namespace: opts.namespace ?? 'default' } }],
    'current-context': opts.name,
  });
}
