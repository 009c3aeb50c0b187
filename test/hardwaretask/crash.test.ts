import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { ROOT } from '../gitops/chart.js';

// At most once: the operator (`agentlab run`, its own process) is SIGKILLed at random points while
// 20 HardwareTasks run a command step (up to 12 operator runs, each killed 0-250 ms after it created
// a pod); after it finally runs undisturbed, every task succeeded with its command run by exactly
// one pod (the first run's), never a second, and no container restarted.
const cluster = useCluster();
const TASKS = 20;
let ns: string;
let proc: ChildProcess | undefined;
/** `agentlab run` compiled, as the operator image (and the node simulator) runs it. */
let cliEntry: string[];

function startOperatorProcess(): ChildProcess {
  return spawn(process.execPath, [...cliEntry, 'run', '--kubeconfig', cluster.kubeconfigPath, '-n', ns,
    '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--log-level', 'silent'], { cwd: ROOT, stdio: 'ignore' });
}
const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Task { metadata: { name: string }; status?: { phase?: string; steps?: { name: string; phase?: string; attempts?: number; podName?: string }[] } }
const list = async () => ((await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks` })).json() as { items: Task[] }).items;

beforeAll(async () => {
  ns = await cluster.newNamespace('hwt-crash');
  cliEntry = await nodeEntry('operators/cli/main.ts');
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
    let killedWithPodsInFlight = 0;
    const podCount = async () => ((await cluster.request({ path: `/api/v1/namespaces/${ns}/pods` })).json() as { items: unknown[] }).items.length;
    const recorded = async () => (await list()).filter((t) => t.status?.steps?.[0]?.podName).length;
    // Kill where it matters: as soon as this run of the operator has created a pod (it is then in
    // its burst of applies and status writes; the window between a pod's apply and its recorded
    // status is the one that could run a command twice), after a random 0-250 ms; or after 10 s
    // without progress. Stop killing once every task recorded its pod, or after 12 kills; the last
    // start runs on.
    for (;;) {
      proc = startOperatorProcess();
      if (kills >= 12 || (await recorded()) === TASKS) break;
      const before = await podCount();
      const progressed = await cluster.waitFor(async () => ((await podCount()) > before ? true : undefined), { what: 'a pod from this operator run', timeoutMs: 10_000, intervalMs: 50 }).catch(() => false);
      await sleep(Math.floor(Math.random() * 250));
      if ((await recorded()) < (await podCount())) killedWithPodsInFlight++;
      proc.kill('SIGKILL');
      await exited(proc);
      kills++;
      if (!progressed && Date.now() - started > 120_000) break;
    }
    const tasks = await cluster.waitFor(async () => {
      const items = await list();
      return items.length === TASKS && items.every((t) => t.status?.phase === 'Succeeded' || t.status?.phase === 'Failed') ? items : undefined;
      // Generous: 20 step-runner processes start on a shared 2-core machine; this tests at-most-once, not speed.
    }, { what: `all ${TASKS} tasks to finish`, timeoutMs: 300_000 });
    expect(kills).toBeGreaterThan(0);
    // The figures of this run (how often the kill fell between a pod's apply and its status write).
    console.log(`crash test: ${kills} SIGKILLs, ${killedWithPodsInFlight} with a pod created but not yet recorded in status, ${Math.round((Date.now() - started) / 1000)} s`);
    for (const t of tasks) {
      expect(t.status?.phase, t.metadata.name).toBe('Succeeded');
      expect(t.status?.steps?.[0], t.metadata.name).toMatchObject({ phase: 'Succeeded', attempts: 1, podName: `${t.metadata.name}-change-1` });
    }
    const items = ((await cluster.request({ path: `/api/v1/namespaces/${ns}/pods` })).json() as { items: { metadata: { name: string }; spec: { restartPolicy: string }; status: { containerStatuses?: { restartCount: number }[] } }[] }).items;
    expect(items.map((p) => p.metadata.name).sort()).toEqual(Array.from({ length: TASKS }, (_, i) => `t${i}-change-1`).sort());
    // One pod per task, and its command ran once in it: restartPolicy Never, no container restart.
    for (const p of items) {
      expect(p.spec.restartPolicy, p.metadata.name).toBe('Never');
      expect(p.status.containerStatuses?.map((c) => c.restartCount), p.metadata.name).toEqual([0]);
    }
  }, 600_000);
});
