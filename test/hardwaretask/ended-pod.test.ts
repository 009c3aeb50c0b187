// A command step whose pod ended before the operator recorded the step Running: what a reconcile
// leaves behind when it created the pod and its status write was lost (the operator SIGKILLed
// between the two; with an issue, the forge calls sit between them). The pod here is applied
// exactly as that reconcile applies it (the controller's desiredStepPod through the runtime's
// desiredChild, with its field manager), and runs to Succeeded before the operator starts. The
// operator must finish the step from that pod, without a second pod: the pod's end was the last
// event it sends, and before the fix the step stayed Running until the 10-minute resync (the
// chaos runs' hang at `Running: 2/3 steps done; running: apply`).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredStepPod } from '../../operators/hardwaretask/step-pod.js';
import { PODS } from '../../operators/hardwaretask/resources.js';
import type { HardwareStep } from '../../operators/hardwaretask/types.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { desiredChild, fieldManager } from '../../operators/runtime/apply.js';
import { KubeClient, type KubeObject } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';

const cluster = useCluster();
let ns: string;
let operator: Operator | undefined;
let client: KubeClient;

interface TaskRead extends KubeObject { status?: { phase?: string; steps?: { name: string; phase?: string; attempts?: number; podName?: string; outputs?: Record<string, string> }[] } }
interface PodRead { metadata: { name: string }; status?: { phase?: string } }

beforeAll(async () => {
  ns = await cluster.newNamespace('hwt-ended-pod');
  client = new KubeClient(cluster.kc);
});
afterAll(async () => {
  await operator?.stop();
  client?.close();
});

describe.runIf(cluster.nodeSimulator)('a HardwareTask step whose pod ended before its Running status was written', () => {
  it('is finished from that pod as soon as the operator runs, with no second pod', async () => {
    const step: HardwareStep = { name: 'change', type: 'command', command: { commands: ['echo changed'] } };
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'lost', namespace: ns }, spec: { node: 'pumped-piglet', steps: [step] } }));
    const task = (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/lost` })).json() as TaskRead;

    // What the reconcile whose status write was lost did: apply run 1's pod, as the operator applies it.
    const pod = desiredStepPod({ task: { name: 'lost', namespace: ns, node: 'pumped-piglet' }, step, attempt: 1, commands: ['echo changed'] });
    await client.apply(PODS, desiredChild(task, PODS, pod), fieldManager('hardwaretask'));
    await cluster.waitFor(async () => {
      const p = (await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/lost-change-1` })).json() as PodRead;
      return p.status?.phase === 'Succeeded' ? true : undefined;
    }, { what: 'pod lost-change-1 Succeeded', timeoutMs: 60_000 });

    operator = await startOperator({ kubeConfig: cluster.kc, logger: pino({ level: 'silent' }), namespaces: [ns], controllers: ['hardwaretask'], metricsPort: 0, healthPort: 0, serviceAccess: cluster.serviceAccess });
    // Well inside the runtime's 10-minute resync, which was the only thing left to requeue the task.
    const done = await cluster.waitFor(async () => {
      const t = (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/lost` })).json() as TaskRead;
      return t.status?.phase === 'Succeeded' ? t : undefined;
    }, { what: 'HardwareTask lost Succeeded', timeoutMs: 60_000 });
    expect(done.status?.steps).toEqual([expect.objectContaining({ name: 'change', phase: 'Succeeded', attempts: 1, podName: 'lost-change-1', outputs: expect.objectContaining({ exitCode: '0', stdout: expect.stringContaining('changed') }) })]);
    const pods = ((await cluster.request({ path: `/api/v1/namespaces/${ns}/pods` })).json() as { items: PodRead[] }).items;
    expect(pods.map((p) => p.metadata.name)).toEqual(['lost-change-1']);
  }, 180_000);
});
