import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startApiServer } from '../../hack/apiserver/index.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { LEASES } from '../../operators/runtime/leader.js';
import { simulatorRoles } from './backends/node-simulator.js';

// Which jobs the node simulator takes on an existing cluster: decided by kube-system's leader
// Leases. A server of its own (the shared test cluster may be a real one, whose Leases are not ours).
describe('simulatorRoles', () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let dir: string;
  const kc = new KubeConfig();
  let client: KubeClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-simroles-'));
    server = await startApiServer({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    await server.writeKubeconfig(path.join(dir, 'kubeconfig.yaml'));
    kc.loadFromFile(path.join(dir, 'kubeconfig.yaml'));
    client = new KubeClient(kc);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-system' }, spec: { holderIdentity: `${name}-1`, leaseDurationSeconds: 15 } });

  it('takes both jobs on a bare API server, and leaves each to the component holding its Lease', async () => {
    expect(await simulatorRoles('kubeconfig', kc)).toEqual({ scheduler: true, controllers: true });
    await client.create(LEASES, lease('kube-scheduler'));
    expect(await simulatorRoles('kubeconfig', kc)).toEqual({ scheduler: false, controllers: true });
    await client.create(LEASES, lease('kube-controller-manager'));
    expect(await simulatorRoles('kubeconfig', kc)).toEqual({ scheduler: false, controllers: false });
  });

  it('decides by backend where the backend says: embedded and envtest bare, k3s full', async () => {
    // The Leases created above do not matter to these.
    expect(await simulatorRoles('embedded', kc)).toEqual({ scheduler: true, controllers: true });
    expect(await simulatorRoles('envtest', kc)).toEqual({ scheduler: true, controllers: true });
    expect(await simulatorRoles('k3s', kc)).toEqual({ scheduler: false, controllers: false });
  });
});
