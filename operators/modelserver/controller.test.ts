import { describe, expect, it } from 'vitest';
import { TerminalError, TransientError } from '../runtime/outcome.js';
import type { CacheReader } from '../runtime/controller.js';
import type { KubeObject, ResourceRef } from '../runtime/kube.js';
import type { ServiceAccess } from '../runtime/service-access.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { controller, modelServerController } from './controller.js';
import { deploymentName, pvcName } from './desired.js';
import type { PresentModel } from './models.js';
import type { ServerApi } from './serverapi.js';
import type { ModelServer } from './types.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const noServiceAccess: ServiceAccess = { base: async () => { throw new Error('the fake server API does not reach Services'); } };

function server(spec: Partial<ModelServer['spec']> = {}, status?: ModelServer['status']): ModelServer {
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer',
    metadata: { name: 'ollama', namespace: 'ai', uid: 'ms-uid', generation: 1 },
    spec: { runtime: 'ollama', models: [{ name: 'llama3.1:8b' }], gpu: { count: 1 }, ...spec } as ModelServer['spec'],
    status,
  };
}

const gpuNode = {
  apiVersion: 'v1', kind: 'Node',
  metadata: { name: 'chief-horse', labels: { 'kubernetes.io/hostname': 'chief-horse', 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3060', 'nvidia.com/gpu.memory': '12288', 'nvidia.com/gpu.count': '1' } },
  spec: {},
  status: { allocatable: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' }, conditions: [{ type: 'Ready', status: 'True' }] },
};

/** The server's Deployment as the cache has it once rolled out (compact: status, no spec). */
function availableDeployment(ms: ModelServer) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: deploymentName(ms), namespace: 'ai', uid: 'dep-uid', generation: 1, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', name: 'ollama', uid: 'ms-uid', controller: true }] },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
  };
}

function fakeApi(list: () => Promise<PresentModel[]>): () => ServerApi {
  return () => ({
    list,
    pullClient: () => { throw new Error('no pulls in these tests'); },
    remove: async () => {},
    warmup: async () => {},
  });
}

const ctl = (list: () => Promise<PresentModel[]> = async () => []) => modelServerController({ api: fakeApi(list), serviceAccess: noServiceAccess });
const conditions = (s: { conditions?: { type: string; status: string; reason: string }[] }) => (s.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);

describe('ModelServer controller (test kit)', () => {
  it('stalls an invalid spec without touching children', async () => {
    const run = await reconcileOnce(ctl(), { object: server({ models: [{ name: 'a' }, { name: 'b' }], runtime: 'vllm' }), now: NOW });
    expect(run.thrown).toBeInstanceOf(TerminalError);
    expect(conditions(run.status)).toEqual(['Ready=False:InvalidSpec', 'Stalled=True:InvalidSpec']);
    expect(run.applied).toEqual([]);
  });

  it('keeps the model cache and Service but no Deployment while no node fits, and says what is needed', async () => {
    const run = await reconcileOnce(ctl(), { object: server(), now: NOW });
    expect(run.result.outcome).toMatchObject({ kind: 'stalled', reason: 'Unschedulable' });
    expect(run.applied.map((a) => `${a.object.kind}/${a.object.metadata?.name}`).sort()).toEqual([`PersistentVolumeClaim/${pvcName(server())}`, 'Service/ollama']);
    expect(conditions(run.status)).toEqual(['Ready=False:Unschedulable', 'Stalled=True:Unschedulable', 'Scheduled=False:Unschedulable']);
    expect(run.status.node).toBeUndefined();
  });

  it('waits for the rollout as progress, not as a failure, with the node in status', async () => {
    const run = await reconcileOnce(ctl(), { object: server(), cache: [gpuNode], now: NOW });
    expect(run.thrown).toBeUndefined();
    expect(run.result.outcome).toMatchObject({ kind: 'progressing', reason: 'Deploying' });
    const dep = run.applied.find((a) => a.object.kind === 'Deployment')!;
    expect(dep.object.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ModelServer', name: 'ollama', uid: 'ms-uid', controller: true })]);
    expect(run.status).toMatchObject({ node: 'chief-horse', selector: 'agentlab.dev/modelserver=ollama', modelsReady: '0/1' });
    expect(run.status.endpoint).toBeUndefined();
    expect(conditions(run.status)).toEqual(['Ready=Unknown:Deploying', 'Reconciling=True:Deploying', 'Scheduled=True:Placed', 'ModelsReady=Unknown:WaitingForServer']);
  });

  it('reports an unreachable server API as a TransientError, like every controller reports failures, keeping the fields and conditions it found', async () => {
    const ms = server();
    const run = await reconcileOnce(ctl(async () => { throw new Error('connect ECONNREFUSED'); }), { object: ms, cache: [gpuNode, availableDeployment(ms)], now: NOW });
    expect(run.thrown).toBeInstanceOf(TransientError);
    expect(run.result.outcome).toEqual({ kind: 'failed', reason: 'ServerUnreachable', message: 'cannot reach the ollama API: connect ECONNREFUSED' });
    expect(conditions(run.status)).toEqual(['Ready=False:ServerUnreachable', 'Reconciling=True:ProgressingWithRetry', 'Scheduled=True:Placed', 'ModelsReady=Unknown:ServerUnreachable']);
    expect(run.status).toMatchObject({ node: 'chief-horse', readyReplicas: 1, replicas: 1 });
  });

  it('takes a server that does not answer just after its Deployment became available as still starting (its Service endpoints follow the pod), not as a failure', async () => {
    const ms = server();
    const dep = availableDeployment(ms);
    // Available 2 s ago; the API server's service proxy answers 503 until the Service has the pod as an endpoint.
    const justNow = { ...dep, status: { ...dep.status, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastTransitionTime: new Date(NOW.getTime() - 2_000).toISOString() }] } };
    const run = await reconcileOnce(ctl(async () => { throw new Error('Error 503: no endpoints available for service "ollama"'); }), { object: ms, cache: [gpuNode, justNow], now: NOW });
    expect(run.thrown).toBeUndefined();
    expect(run.result.outcome).toEqual({ kind: 'progressing', reason: 'WaitingForServer', message: 'waiting for the ollama API to answer (Deployment available 2 s ago): Error 503: no endpoints available for service "ollama"' });
    expect(run.result.requeueAfterMs).toBeGreaterThan(0);
    expect(conditions(run.status)).toEqual(['Ready=Unknown:WaitingForServer', 'Reconciling=True:WaitingForServer', 'Scheduled=True:Placed', 'ModelsReady=Unknown:WaitingForServer']);
    // Past the grace period the same answer is a failure, as above.
    const longAgo = { ...justNow, status: { ...justNow.status, conditions: [{ ...justNow.status.conditions[0], lastTransitionTime: new Date(NOW.getTime() - 120_000).toISOString() }] } };
    const later = await reconcileOnce(ctl(async () => { throw new Error('Error 503'); }), { object: ms, cache: [gpuNode, longAgo], now: NOW });
    expect(later.result.outcome).toMatchObject({ kind: 'failed', reason: 'ServerUnreachable' });
  });

  it('is Ready with its endpoint once every model is present, and rechecks later', async () => {
    const ms = server();
    const run = await reconcileOnce(ctl(async () => [{ name: 'llama3.1:8b' }]), { object: ms, cache: [gpuNode, availableDeployment(ms)], now: NOW });
    expect(run.result).toEqual({ outcome: { kind: 'ready', reason: 'Succeeded', message: 'serving 1 model on chief-horse at http://ollama.ai.svc:11434' }, requeueAfterMs: 300_000 });
    expect(run.status).toMatchObject({ endpoint: 'http://ollama.ai.svc:11434', modelsReady: '1/1', observedGeneration: 1 });
    expect(conditions(run.status)).toEqual(['Ready=True:Succeeded', 'Scheduled=True:Placed', 'ModelsReady=True:ModelsPresent']);
  });

  it('takes its serviceAccess from the manager\'s ControllerDeps', async () => {
    const asked: string[] = [];
    const access: ServiceAccess = { base: async (ns, svc) => { asked.push(`${ns}/${svc}`); throw new Error('no route in this test'); } };
    const ms = server();
    const run = await reconcileOnce(controller({ serviceAccess: access }), { object: ms, cache: [gpuNode, availableDeployment(ms)], now: NOW });
    expect(asked).toEqual(['ai/ollama']);
    expect(run.result.outcome).toMatchObject({ kind: 'failed', reason: 'ServerUnreachable' });
  });
});

describe('ModelServer controller: which server changes requeue servers waiting for a node', () => {
  const waiting = { ...server({}, { conditions: [{ type: 'Scheduled', status: 'False', reason: 'Unschedulable', message: 'needs 1 GPU', lastTransitionTime: NOW.toISOString() }] }), metadata: { name: 'waiting', namespace: 'ai', uid: 'w-uid', generation: 1 } };
  const cache: CacheReader = {
    get: () => undefined,
    list: <T extends KubeObject>(r: ResourceRef) => (r.plural === 'modelservers' ? [waiting] : []) as unknown as T[],
  };
  const serverWatch = ctl().watches!.find((w) => w.resource.plural === 'modelservers')!;
  const named = (name: string, spec: Partial<ModelServer['spec']>, status?: ModelServer['status']): ModelServer => ({ ...server(spec, status), metadata: { name, namespace: 'ai', uid: `${name}-uid`, generation: 1 } });

  it('a server being placed frees nothing, so the waiting ones are not queued again', () => {
    const before = named('new', {});
    const placed = named('new', {}, { node: 'chief-horse' });
    expect(serverWatch.predicate!(before, placed)).toBe(true);
    expect(serverWatch.map(placed, cache, before)).toEqual([]);
  });

  it('a placed server that claims neither GPUs nor memory frees nothing when it moves or goes', () => {
    const cpu = named('cpu', { gpu: undefined }, { node: 'chief-horse' });
    expect(serverWatch.map({ ...cpu, status: { node: 'still-fawn' } }, cache, cpu)).toEqual([]);
    expect(serverWatch.map(cpu, cache)).toEqual([]);
  });

  it('a server that held a GPU or memory queues the waiting ones when it moves, stops or is deleted', () => {
    const gpu = named('gpu', {}, { node: 'chief-horse' });
    expect(serverWatch.map({ ...gpu, status: { node: 'still-fawn' } }, cache, gpu)).toEqual(['ai/waiting']);
    expect(serverWatch.map({ ...gpu, spec: { ...gpu.spec, replicas: 0 } }, cache, gpu)).toEqual(['ai/waiting']);
    expect(serverWatch.map(gpu, cache)).toEqual(['ai/waiting']);
    const memory = named('mem', { gpu: undefined, resources: { requests: { memory: '8Gi' } } }, { node: 'pumped-piglet' });
    expect(serverWatch.map(memory, cache)).toEqual(['ai/waiting']);
  });
});
