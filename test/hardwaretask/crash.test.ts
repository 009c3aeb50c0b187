import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ROOT } from '../gitops/chart.js';

// At most once: the operator (`agentlab run`, its own process) is SIGKILLed at random points while
// 20 HardwareTasks run a command step; after it finally runs undisturbed, every task succeeded
// with its command run by exactly one pod (the first run's), never a second.
const cluster = useCluster();
const TASKS = 20;
let ns: string;
let proc: ChildProcess | undefined;

function startOperatorProcess(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'operators/cli/main.ts', 'run', '--kubeconfig', cluster.kubeconfigPath, '-n', ns,
    '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--log-level', 'silent'], { cwd: ROOT, stdio: 'ignore' });
}
const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Task { metadata: { name: string }; status?: { phase?: string; steps?: { name: string; phase?: string; attempts?: number; podName?: string }[] } }
const list = async () => ((await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks` })).json() as { items: Task[] }).items;

beforeAll(async () => {
  ns = await cluster.newNamespace('hwt-crash');
});
afterAll(async () => {
  if (proc) {
    proc.kill('SIGKILL');
    await exited(proc);
  }
});

describe('HardwareTask command steps under operator crashes', () => {
  it.runIf(cluster.nodeSimulator)(`never runs a command step twice across ${TASKS} tasks with the operator SIGKILLed at random points`, async () => {
    const docs = Array.from({ length: TASKS }, (_, i) => JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: `t${i}`, namespace: ns },
      spec: { node: 'pumped-piglet', steps: [{ name: 'change', type: 'command', command: { commands: [`echo change ${i}`] } }] } }));
    await cluster.applyYaml(docs.join('\n---\n'));
    const started = Date.now();
    let kills = 0;
    // Kill at random points (start-up, cache sync, mid-reconcile, between apply and status) until
    // every task finished or 120 s passed; the last start is left running.
    for (;;) {
      proc = startOperatorProcess();
      const done = (await list()).filter((t) => t.status?.phase === 'Succeeded' || t.status?.phase === 'Failed').length;
      if (done === TASKS || Date.now() - started > 120_000 || kills >= 40) break;
      await sleep(300 + Math.floor(Math.random() * 2700));
      proc.kill('SIGKILL');
      await exited(proc);
      kills++;
    }
    const tasks = await cluster.waitFor(async () => {
      const items = await list();
      return items.length === TASKS && items.every((t) => t.status?.phase === 'Succeeded' || t.status?.phase === 'Failed') ? items : undefined;
      // Generous: 20 step-runner processes start on a shared 2-core machine; this tests at-most-once, not speed.
    }, { what: `all ${TASKS} tasks to finish`, timeoutMs: 300_000 });
    expect(kills).toBeGreaterThan(0);
    for (const t of tasks) {
      expect(t.status?.phase, t.metadata.name).toBe('Succeeded');
      expect(t.status?.steps?.[0], t.metadata.name).toMatchObject({ phase: 'Succeeded', attempts: 1, podName: `${t.metadata.name}-change-1` });
    }
    const pods = ((await cluster.request({ path: `/api/v1/namespaces/${ns}/pods` })).json() as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name).sort();
    expect(pods).toEqual(Array.from({ length: TASKS }, (_, i) => `t${i}-change-1`).sort());
  }, 600_000);
});
