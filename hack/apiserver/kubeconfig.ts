/** A kubeconfig for the embedded server: plain HTTP, bearer token, TLS verification off (client-node needs the flag for http). */
import YAML from 'yaml';

export function kubeconfigYaml(opts: { server: string; token: string; name?: string; namespace?: string }): string {
  const name = opts.name ?? 'agentlab-dev';
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: opts.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
