import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { simulatedServiceAccess } from '../../hack/nodesim/service-access.js';
import type { ServiceAccess } from '../../operators/runtime/service-access.js';
import { client, modelServerYaml, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();

// The route the suite takes on envtest (kube-apiserver refuses the simulator's loopback
// Endpoints), exercised explicitly on whatever backend runs the simulator.
describe("the node simulator's network (simulatedServiceAccess)", () => {
  it.runIf(cluster.nodeSimulator)('takes the operator straight to the pod, and names what is missing when it cannot', async () => {
    const ns = await cluster.newNamespace('ms-simnet');
    const c = client(cluster);
    const sim = simulatedServiceAccess(cluster.kc);
    const routed: string[] = [];
    const counting: ServiceAccess = {
      async base(namespace, service, port) {
        const ep = await sim.base(namespace, service, port);
        routed.push(`${namespace}/${service}:${port.name} -> ${ep.url}`);
        return ep;
      },
    };
    await operatorFor(cluster, ns, { serviceAccess: counting });
    await cluster.applyYaml(modelServerYaml('direct', { models: [{ name: 'qwen2.5:0.5b' }] }), { namespace: ns });
    await waitForReady(cluster, c, ns, 'direct', (r) => r?.status === 'True');

    expect(routed.length).toBeGreaterThan(0);
    expect(routed.every((r) => /^ms-simnet-\w+\/direct:http -> http:\/\/127\.0\.0\.1:\d+$/.test(r))).toBe(true);
    const ep = await sim.base(ns, 'direct', { name: 'http', port: 11434 });
    const tags = (await (await ep.fetch(`${ep.url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);

    await expect(sim.base(ns, 'absent', { name: 'http', port: 11434 })).rejects.toThrow(`service ${ns}/absent not found`);
    await expect(sim.base(ns, 'direct', { name: 'grpc', port: 9000 })).rejects.toThrow(`service ${ns}/direct has no port named "grpc" (ports: http)`);
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nobody' }, spec: { selector: { app: 'nobody' }, ports: [{ name: 'http', port: 80 }] } }), { namespace: ns });
    await expect(sim.base(ns, 'nobody', { name: 'http', port: 80 })).rejects.toThrow(`service ${ns}/nobody has no ready simulated pod serving port "http"`);
  });
});
