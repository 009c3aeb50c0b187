import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { startApiServer } from '../../../hack/apiserver/index.js';
import { makeTestUsers, tokenFileLines } from './test-users.js';
import type { Backend } from './types.js';

/** The default: the project's own API server, in this process, on a random loopback port. */
export async function startEmbeddedBackend(workDir: string, logger: Logger): Promise<Backend> {
  const tokenUsers = makeTestUsers();
  const tokenAuthFile = path.join(workDir, 'tokens.csv');
  await writeFile(tokenAuthFile, tokenFileLines(tokenUsers), { mode: 0o600 });
  const server = await startApiServer({ host: '127.0.0.1', port: 0, logger, tokenAuthFile });
  const kubeconfigPath = path.join(workDir, 'kubeconfig.yaml');
  await server.writeKubeconfig(kubeconfigPath);
  return {
    name: 'embedded',
    detail: server.url,
    kubeconfigPath,
    disposable: true,
    tokenUsers,
    stop: () => server.close(),
  };
}
