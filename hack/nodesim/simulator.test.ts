// The simulator against the embedded API server, end to end: nodes, scheduling, Deployments
// with a fake Ollama reached through the service proxy, Jobs, PVCs, logs, garbage collection.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Ollama } from 'ollama';
import pino from 'pino';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.js';
import { HOMELAB_NODES, startNodeSimulator, type NodeSimulator } from './index.js';

let server: EmbeddedApiServer;
let sim: NodeSimulator;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;
let coordination: CoordinationV1Api;
const ns = 'sim-test';

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  server = await startApiServer({ logger });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfig());
  core = kubeConfig.makeApiClient(CoreV1Api);
  apps = kubeConfig.makeApiClient(AppsV1Api);
  batch = kubeConfig.makeApiClient(BatchV1Api);
  sim = await startNodeSimulator({
    kubeConfig,
    nodes: HOMELAB_NODES,
    logger,
    restartBackoffMs: 50,
    runtimeImages: [{ image: 'ghcr.io/agentlab/echo-runner', entrypoint: 'hack/nodesim/testdata/echo-runner.ts' }],
  });
  coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  await server?.close();
});

describe('node simulator on the embedded API server', () => {
  it('registers the homelab nodes with GPU labels, capacity and leases', async () => {
    const node = await eventually('node status', async () => {
      const n = await core.readNode({ name: 'chief-horse' });
      return n.status?.allocatable?.['nvidia.com/gpu'] ? n : undefined;
    });
    expect(node.metadata?.labels).toMatchObject({ 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3060', 'nvidia.com/gpu.memory': '12288' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const leases = await coordination.listNamespacedLease({ namespace: 'kube-node-lease' });
    expect(leases.items.map((l) => l.metadata?.name).sort()).toEqual(['chief-horse', 'pumped-piglet', 'still-fawn']);
    expect(leases.items[0].spec?.renewTime).toBeTruthy();
  });

  it('runs a Deployment with an Ollama container behind a Service reachable through the service proxy', async () => {
    const labels = { app: 'ollama' };
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'ollama-cache' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } } },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name: 'ollama' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{
                name: 'ollama', image: 'ollama/ollama:0.12.6',
                ports: [{ name: 'http', containerPort: 11434 }],
                resources: { requests: { cpu: '1', memory: '4Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } },
                volumeMounts: [{ name: 'models', mountPath: '/root/.ollama' }],
              }],
              volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'ollama-cache' } }],
            },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ollama' }, spec: { selector: labels, ports: [{ name: 'http', port: 11434, targetPort: 'http' }] } },
    });
    const d = await eventually('deployment available', async () => {
      const dep = await apps.readNamespacedDeployment({ name: 'ollama', namespace: ns });
      return dep.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') && dep.status.readyReplicas === 1 ? dep : undefined;
    });
    expect(d.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: d.metadata?.generation });
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=ollama' });
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod.metadata?.name).toMatch(/^ollama-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'ollama', controller: true });
    expect(['chief-horse', 'still-fawn']).toContain(pod.spec?.nodeName);
    expect(pod.status?.podIP).toBe('127.0.0.1');

    const proxyBase = `${server.url}/api/v1/namespaces/${ns}/services/ollama:http/proxy`;
    const auth = { Authorization: `Bearer ${server.token}` };
    const tags = await eventually('service proxy', async () => {
      const r = await fetch(`${proxyBase}/api/tags`, { headers: auth });
      return r.ok ? ((await r.json()) as { models: unknown[] }) : undefined;
    });
    expect(tags).toEqual({ models: [] });

    // The real ollama client works through the proxy too, streamed pull included.
    const client = new Ollama({ host: proxyBase, headers: auth });
    const statuses: string[] = [];
    for await (const p of await client.pull({ model: 'qwen2.5:0.5b', stream: true })) statuses.push(p.status);
    expect(statuses.at(-1)).toBe('success');
    expect((await client.list()).models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
    expect(sim.fakes.forPod(ns, pod.metadata!.name!)?.kind).toBe('ollama');

    // The model cache lives on the PVC: a replacement pod finds the model already pulled.
    await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: ns });
    const replacement = await eventually('replacement pod ready', async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=ollama' });
      return list.items.find((p) => p.metadata?.name !== pod.metadata?.name && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    });
    const models = await eventually('model list from the new pod', async () => {
      const entry = sim.fakes.forPod(ns, replacement.metadata!.name!);
      return entry ? (await new Ollama({ host: entry.server.url }).list()).models.map((m) => m.name) : undefined;
    });
    expect(models).toEqual(['qwen2.5:0.5b']);
  });

  it('rolls a Deployment to a new template and scales it', async () => {
    const labels = { app: 'web' };
    const body = (image: string, replicas: number) => ({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image }] } } },
    });
    await apps.createNamespacedDeployment({ namespace: ns, body: body('nginx:1.27', 3) });
    const settled = (image: string, replicas: number) => eventually(`${replicas} x ${image}`, async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      const done = d.status?.observedGeneration === d.metadata?.generation && d.status?.updatedReplicas === replicas && d.status?.availableReplicas === replicas
        && (d.status?.replicas ?? 0) === replicas && pods.length === replicas && pods.every((p) => p.spec?.containers[0].image === image);
      return done ? d : undefined;
    });
    await settled('nginx:1.27', 3);
    const live = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: { ...body('nginx:1.28', 3), metadata: { name: 'web', resourceVersion: live.metadata?.resourceVersion } } });
    const rolled = await settled('nginx:1.28', 3);
    expect(rolled.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const again = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: { ...body('nginx:1.28', 1), metadata: { name: 'web', resourceVersion: again.metadata?.resourceVersion } } });
    await settled('nginx:1.28', 1);
  }, 30_000);

  it('explains why a pod does not fit anywhere', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'too-big' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { 'nvidia.com/gpu': '4' }, limits: { 'nvidia.com/gpu': '4' } } }] } },
    });
    const cond = await eventually('unschedulable condition', async () => {
      const p = await core.readNamespacedPod({ name: 'too-big', namespace: ns });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
    });
    expect(cond.status).toBe('False');
    expect(cond.message).toBe('0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    const events = await eventually('FailedScheduling event', async () => {
      const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=too-big' });
      return list.items.length ? list.items : undefined;
    });
    expect(events[0]).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message: cond.message, source: { component: 'default-scheduler' } });
  });

  it('holds pods with scheduling gates and schedules them once the gates are removed', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated' }, spec: { schedulingGates: [{ name: 'example.com/wait' }], containers: [{ name: 'c', image: 'busybox' }] } },
    });
    const cond = await eventually('SchedulingGated', async () =>
      (await core.readNamespacedPod({ name: 'gated', namespace: ns })).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'));
    expect(cond.message).toBe('Scheduling is blocked due to non-empty scheduling gates');
    const live = await core.readNamespacedPod({ name: 'gated', namespace: ns });
    await core.replaceNamespacedPod({ name: 'gated', namespace: ns, body: { ...live, spec: { ...live.spec!, schedulingGates: [] } } });
    await eventually('scheduled after the gate is lifted', async () => (await core.readNamespacedPod({ name: 'gated', namespace: ns })).spec?.nodeName);
  });

  it('completes a Job whose pod runs for a moment and exits 0', async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        apiVersion: 'batch/v1', kind: 'Job',
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: { 'sim.agentlab.dev/run-seconds': '0.2', 'sim.agentlab.dev/message': 'done' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'alpine:3' }] },
          },
        },
      },
    });
    const job = await eventually('job complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'once', namespace: ns });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status).toMatchObject({ succeeded: 1 });
    expect(job.status?.completionTime).toBeTruthy();
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'batch.kubernetes.io/job-name=once' });
    expect(pods.items[0].status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, message: 'done' });
  });

  it('runs a project runtime image as a process whose output pods/log serves', async () => {
    await core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'greeting' }, stringData: { text: 'hi from a secret' } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'runner' },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'runner', image: 'ghcr.io/agentlab/echo-runner:dev', args: ['--exit', '0'], env: [{ name: 'GREETING', valueFrom: { secretKeyRef: { name: 'greeting', key: 'text' } } }] }],
        },
      },
    });
    const pod = await eventually('runner succeeded', async () => {
      const p = await core.readNamespacedPod({ name: 'runner', namespace: ns });
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    expect(pod.status?.containerStatuses?.[0].state?.terminated?.message).toBe('finished with 0');
    const reasons = (await core.listNamespacedEvent({ namespace: ns })).items
      .filter((e) => e.involvedObject.name === 'runner').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
    const log = await core.readNamespacedPodLog({ name: 'runner', namespace: ns });
    expect(log).toContain('greeting: hi from a secret');

    // The same output from the node's kubelet endpoint, where kube-apiserver would ask for it.
    const node = await core.readNode({ name: pod.spec!.nodeName! });
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: address, port, path: `/containerLogs/${ns}/runner/runner?tailLines=5`, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toContain('greeting: hi from a secret');
  });

  it('binds PVCs', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'cache' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
    });
    const pvc = await eventually('pvc bound', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name: 'cache', namespace: ns });
      return c.status?.phase === 'Bound' ? c : undefined;
    });
    expect(pvc.status?.capacity?.storage).toBe('50Gi');
  });

  it('removes a Deployment\'s pods when the Deployment is deleted', async () => {
    await apps.deleteNamespacedDeployment({ name: 'ollama', namespace: ns });
    await eventually('pods gone', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=ollama' });
      return pods.items.length === 0;
    });
    await eventually('endpoints emptied', async () => {
      const e = await core.readNamespacedEndpoints({ name: 'ollama', namespace: ns });
      return (e.subsets ?? []).every((s) => !s.addresses?.length);
    });
  });

  it('confirms graceful pod deletion like a kubelet', async () => {
    await core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'forever' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
    await eventually('running', async () => (await core.readNamespacedPod({ name: 'forever', namespace: ns })).status?.phase === 'Running');
    await core.deleteNamespacedPod({ name: 'forever', namespace: ns });
    await eventually('deleted', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, fieldSelector: 'metadata.name=forever' });
      return pods.items.length === 0 ? ([] as V1Pod[]) : undefined;
    });
  });

  it('recovers from dropped watches, 410 Expired and failing writes', async () => {
    server.faults.expireNextWatch(6);
    expect(server.faults.dropWatches()).toBeGreaterThan(0);
    const before = server.faults.injected;
    // Every patch fails for a while: the kubelet's status writes must be retried, not lost.
    const removeErrors = server.faults.addError({ verbs: ['patch'], rate: 1, status: 500 });
    try {
      await core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'resilient' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
      await eventually('a patch to fail', async () => server.faults.injected > before);
    } finally {
      removeErrors();
    }
    await eventually('running after faults', async () => (await core.readNamespacedPod({ name: 'resilient', namespace: ns })).status?.phase === 'Running', 30_000);
  }, 40_000);
});

describe('a second simulator with its own node, kubelet only', () => {
  it('runs pods bound to its node and leaves scheduling and other nodes alone', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(server.kubeconfig());
    const second = await startNodeSimulator({
      kubeConfig, logger: pino({ level: 'silent' }), scheduler: false, controllers: false,
      nodes: [{ name: 'workbench', cpu: '4', memory: '8Gi', taints: [{ key: 'dedicated', value: 'bench', effect: 'NoSchedule' }] }],
    });
    try {
      await core.createNamespacedPod({
        namespace: ns,
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pinned' }, spec: { nodeName: 'workbench', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      });
      await eventually('pinned pod running', async () => (await core.readNamespacedPod({ name: 'pinned', namespace: ns })).status?.phase === 'Running');
      const node = await core.readNode({ name: 'workbench' });
      expect(node.spec?.taints).toEqual([{ key: 'dedicated', value: 'bench', effect: 'NoSchedule' }]);
    } finally {
      await second.stop();
    }
  });
});

describe('node simulator start-up', () => {
  it('fails with a message naming the API server when it cannot register, and leaves nothing running', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(startNodeSimulator({ kubeConfig, logger: pino({ level: 'silent' }) })).rejects.toThrow('cannot register nodes with the API server at http://127.0.0.1:1');
  });
});
