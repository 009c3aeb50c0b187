import { register } from 'node:module';

/**
 * Keeps @kubernetes/client-node's generated API out of processes that only need KubeConfig.
 *
 * client-node's KubeConfig (dist/config.js) imports its generated index (every API class and
 * model, ~40 MB of RSS and ~22 MB of heap at import) for two names it uses only in
 * makeApiClient. This registers a resolve hook (slim-imports-hooks.ts) that answers that one
 * import with slim-client-node-gen.ts, which re-exports those two names from their own modules.
 * Any other import of the package, including its index, resolves as usual. client-node is pinned
 * (package.json), and test/image-layout.test.ts runs the operator with the hook against a cluster.
 *
 * bin/agentlab.js registers it for the compiled CLI (the image) before a command that loads the
 * Kubernetes client (operators/cli/main.ts: `kube`; not validate or crds), and the compiled agent runner
 * before it loads KubeConfig for the kubernetes tool; a checkout runs through tsx without it.
 */
export function registerSlimImports(): void {
  register(new URL('./slim-imports-hooks.js', import.meta.url));
}
