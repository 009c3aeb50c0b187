import path from 'node:path';
import type { Logger } from 'pino';
import { startApiServer } from '../../../hack/apiserver/index.js';
import type { Backend } from './types.js';

/** The default: the project's own API server, in this process, on a random loopback port. */
export async function startEmbeddedBackend(workDir: string, logger: Logger): Promise<Backend> {
  const server = await startApiServer({ host: '127.0.0.1', port: 0, logger });
  const kubeconfigPath = path.join(workDir, 'kubeconfig.yaml');
  await server.writeKubeconfig(kubeconfigPath);
  return {
    name: 'embedded',
    detail: server.url,
    kubeconfigPath,
    disposable: true,
    stop: () => server.close(),
  };
}
