import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { LEASES, type Lease } from '../../operators/runtime/leader.js';
import { MODELSERVERS } from '../../operators/modelserver/types.js';
import { client, modelServerYaml, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();
const here = path.dirname(fileURLToPath(import.meta.url));

async function spawnReplica(env: Record<string, string>) {
  const child = spawn(process.execPath, await nodeEntry(path.join(here, 'fixtures', 'operator-process.ts')), {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  afterAll(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return { child, lines };
}

describe('leader election with two replicas', () => {
  it('lets exactly one reconcile, and the standby takes over once the dead leader\'s lease has expired', async () => {
    const ns = await cluster.newNamespace('ms-leader');
    const c = client(cluster);
    const lease = 'agentlab-operator';
    const a = await spawnReplica({ KUBECONFIG: cluster.kubeconfigPath, NAMESPACE: ns, LEASE: lease, IDENTITY: 'replica-a', ...(cluster.serviceAccess ? { SERVICE_ACCESS: 'simulated' } : {}) });
    await cluster.waitFor(() => a.lines.includes('leading'), { timeoutMs: 30_000, what: 'replica-a to lead' });

    const b = await operatorFor(cluster, ns, {
      leaderElection: { namespace: ns, name: lease, identity: 'replica-b', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    expect(b.isLeader()).toBe(false);

    await cluster.applyYaml(modelServerYaml('ha', { models: [{ name: 'qwen2.5:0.5b' }] }), { namespace: ns });
    await waitForReady(cluster, c, ns, 'ha', (r) => r?.status === 'True');
    // The standby never reconciled: its counters are still empty.
    expect(b.isLeader()).toBe(false);
    expect(await b.registry.getSingleMetricAsString('controller_runtime_reconcile_total')).not.toMatch(/controller="modelserver"/);
    expect((await c.get<Lease>(LEASES, ns, lease)).spec?.holderIdentity).toBe('replica-a');

    const exited = new Promise((r) => a.child.once('exit', r));
    a.child.kill('SIGKILL');
    await exited;
    // replica-a's last renewal: nothing renews the Lease after its exit.
    const lastRenewed = (await c.get<Lease>(LEASES, ns, lease)).spec!;
    expect(lastRenewed.holderIdentity).toBe('replica-a');
    // Nothing but the lease's expiry stands between replica-b and the lead (how soon after it is a speed figure).
    await cluster.waitFor(() => b.isLeader(), { timeoutMs: 30_000, intervalMs: 50, what: 'replica-b to take over' });
    const held = await c.get<Lease>(LEASES, ns, lease);
    expect(held.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
    // Never while replica-a's lease could still be valid: taken once its duration had passed since its last renewal.
    expect(Date.parse(held.spec!.acquireTime!)).toBeGreaterThanOrEqual(Date.parse(lastRenewed.renewTime!) + lastRenewed.leaseDurationSeconds! * 1000);

    await c.mergePatch(MODELSERVERS, ns, 'ha', { spec: { ollama: { numParallel: 2 } } });
    await waitForReady(cluster, c, ns, 'ha', (r, ms) => r?.status === 'True' && ms.status?.observedGeneration === 2, 30_000);

    await b.stop();
    expect((await c.get<Lease>(LEASES, ns, lease)).spec?.holderIdentity).toBe('');
  });
});
