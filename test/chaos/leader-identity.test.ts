// Two `agentlab run --leader-elect` replicas on one host (two processes on a machine, or two pods
// with hostNetwork, share a hostname): exactly one of them leads. Each replica needs an identity of
// its own, as client-go and controller-runtime give it (hostname plus a unique suffix).
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../gitops/chart.js';
import { useCluster } from '../harness/cluster.js';
import { exited, isLeader } from './fleet.js';

const cluster = useCluster();
let ns: string;
const procs: ChildProcess[] = [];

beforeAll(async () => {
  ns = await cluster.newNamespace('leader-identity');
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map(exited));
});

/** Starts `agentlab run --leader-elect` with a random metrics port; resolves with its metrics URL. */
function startRun(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'operators/cli/main.ts', 'run', '--kubeconfig', cluster.kubeconfigPath, '-n', ns,
    '--leader-elect', '--leader-election-namespace', ns, '--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '0', '--log-level', 'info'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(child);
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const url = (JSON.parse(l) as { metricsUrl?: string }).metricsUrl;
        if (url) resolve(url);
      } catch { /* not a log line */ }
    });
    child.once('exit', (code) => reject(new Error(`agentlab run exited with ${code} before serving metrics`)));
  });
}

describe('two agentlab run --leader-elect replicas on one host', () => {
  it('exactly one leads, and the Lease names a per-process identity', async () => {
    const urls = await Promise.all([startRun(), startRun()]);
    // One takes the lease at once; the other keeps retrying. Sample well past a retry period (2 s).
    const leaders = await cluster.waitFor(async () => {
      const says = await Promise.all(urls.map(isLeader));
      return says.includes(true) ? says : undefined;
    }, { what: 'a replica to lead', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 5000));
    const later = await Promise.all(urls.map(isLeader));
    expect([leaders.filter(Boolean).length, later.filter(Boolean).length], `leader_election_master_status of both replicas: first ${leaders}, 5 s later ${later}`).toEqual([1, 1]);
    const lease = (await cluster.request({ path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agentlab-operator` })).json() as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toMatch(/^.+_[0-9a-f-]{36}$/);
  }, 90_000);
});
