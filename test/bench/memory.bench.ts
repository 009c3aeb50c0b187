// Operator memory with full caches. Run: npm run bench:memory
// The operator runs every controller, compiled like the image (no tsx), in its own process. It
// stands by behind a Lease another identity holds, so its informers cache every object of every
// kind it watches while nothing reconciles (a leader adds its queues and per-object metrics on
// top: bench:operator reports a leader's RSS for ModelServers). Before any object it reports its
// RSS after a full GC; then BENCH_CACHED (default 10,000) objects of EACH watched kind, of
// typical size (the examples for AgentLab kinds, with a status and kubectl's last-applied
// annotation; AgentRuns and Flows mostly finished, as a homelab stores them: RUN_MIX; children
// as the controllers write them, labelled managed-by, owned by those
// objects), are created, a fresh operator process lists them all, and its RSS, heap used and
// committed after a full GC, bytes of live heap per cached object (in all and by resource) are
// reported, as soon as the caches synced and again BENCH_SETTLE_S (default 30) seconds later (V8
// shrinks its heap and the allocator returns freed pages only after a while), both after a full GC.
// Target < 200 MB. The first run is the image's (Node flags and ENV of the Dockerfile's operator
// stage, e.g. jemalloc through LD_PRELOAD); BENCH_VARIANTS=1 skips the others.
// Against BENCH_KUBECONFIG the objects go to a real cluster (in bench-memory-* namespaces).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { installCrds, readCrdManifests } from '../harness/crds.js';
import type { EmbeddedApiServer } from '../../hack/apiserver/index.js';
import type { StoredObject } from '../../hack/apiserver/types.js';
import { KubeClient, type KubeObject, type ResourceRef } from '../../operators/runtime/kube.js';
import { loadControllers } from '../../operators/manager.js';
import { LEASES } from '../../operators/runtime/leader.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, APPLIED_HASH_ANNOTATION } from '../../operators/runtime/apply.js';
import { desiredDeployment, desiredPVC, desiredService } from '../../operators/modelserver/desired.js';
import type { ModelServer } from '../../operators/modelserver/types.js';
import { planFlowRun } from '../../operators/model/graph/index.js';
import type { FlowSpec } from '../../operators/api/generated/flow.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const CACHED = Number(process.env.BENCH_CACHED ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 30);
const NAMESPACE_COUNT = 10;
const log = pino({ level: 'warn' }, pino.destination(2));
const run = Math.random().toString(36).slice(2, 6);
const namespaces = Array.from({ length: NAMESPACE_COUNT }, (_, i) => `bench-memory-${run}-${i}`);

/** Compiles the operator (type-stripping only) as the image's build stage does; see operator.bench.ts. */
function buildOperator(): string {
  const out = path.join(repo, 'node_modules', '.cache', 'agentlab-bench-memory');
  rmSync(out, { recursive: true, force: true });
  const controllers = readdirSync(path.join(repo, 'operators'), { withFileTypes: true })
    .filter((d) => d.isDirectory()).map((d) => path.join(repo, 'operators', d.name, 'controller.ts'))
    .filter((f) => { try { readFileSync(f); return true; } catch { return false; } });
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noCheck', '--outDir', out, '--rootDir', repo, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
    '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule', '--types', 'node', path.join(here, 'memory-operator.ts'), path.join(repo, 'operators', 'cli', 'slim-imports-hooks.ts'), path.join(repo, 'operators', 'cli', 'slim-client-node-gen.ts'), ...controllers], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling the operator failed: ${r.stdout}${r.stderr}`);
  return path.join(out, 'test', 'bench', 'memory-operator.js');
}

interface Memory { rss: number; heapUsed: number; heapTotal: number; external: number; anonymous: number; spaces: string; cached: Record<string, number> }
interface OperatorProcess { child: ChildProcess; memory(): Promise<Memory>; byKind(): Promise<Record<string, [number, number]>> }

/** A way to run the operator process: Node flags and environment (the image runs the first). */
interface Variant { name: string; nodeArgs: string[]; env: Record<string, string> }

/**
 * The Node flags and environment the operator image runs with: the operator stage of the
 * Dockerfile (`ENTRYPOINT ["node", <flags>, "/app/bin/agentlab.js"]`, its `ENV` lines), so the
 * bench's first figure is the image's and cannot drift from it.
 */
function imageVariant(): Variant {
  const text = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const stage = text.slice(text.search(/^FROM \S+ AS operator$/m));
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(stage);
  if (!entry) throw new Error('Dockerfile: no ENTRYPOINT in the operator stage (FROM app AS operator)');
  const argv = JSON.parse(entry[1]) as string[];
  const nodeArgs = argv.slice(1, argv.indexOf('/app/bin/agentlab.js'));
  const env: Record<string, string> = {};
  for (const m of stage.matchAll(/^ENV (\w+)=(\S+)$/gm)) env[m[1]] = m[2];
  const how = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...nodeArgs].join(' ');
  return { name: `as the image runs it${how ? ` (${how})` : ''}`, nodeArgs, env };
}

const VARIANTS: Variant[] = [
  imageVariant(),
  { name: 'node without flags', nodeArgs: [], env: {} },
  { name: '--max-semi-space-size=1', nodeArgs: ['--max-semi-space-size=1'], env: {} },
].filter((v, i, all) => all.findIndex((w) => JSON.stringify([w.nodeArgs, w.env]) === JSON.stringify([v.nodeArgs, v.env])) === i)
  // BENCH_VARIANTS=1: the image's way only (each variant lists every object again).
  .slice(0, Number(process.env.BENCH_VARIANTS ?? 3));

function startOperatorProcess(entry: string, kubeconfig: string, leaseNamespace: string, variant: Variant = VARIANTS[0]): Promise<OperatorProcess> {
  const child = spawn(process.execPath, ['--expose-gc', ...variant.nodeArgs, entry], { cwd: repo, env: { ...process.env, ...variant.env, KUBECONFIG: kubeconfig, LEASE_NAMESPACE: leaseNamespace }, stdio: ['ignore', 'pipe', 'inherit'] });
  const waiters: ((m: Memory) => void)[] = [];
  const byKindWaiters: ((b: Record<string, [number, number]>) => void)[] = [];
  let spaces = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`operator exited with ${code ?? signal} before its caches synced`)));
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l === 'synced') {
        resolve({
          child, memory: () => new Promise((r) => { waiters.push(r); child.kill('SIGUSR2'); }),
          byKind: () => new Promise((r) => { byKindWaiters.push(r); child.kill('SIGHUP'); }),
        });
      }
      const b = /^bykind (.*)$/.exec(l);
      if (b) byKindWaiters.shift()?.(JSON.parse(b[1]) as Record<string, [number, number]>);
      const sp = /^spaces (.*)$/.exec(l);
      if (sp) spaces = Object.entries(JSON.parse(sp[1]) as Record<string, number>).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
      const m = /^memory (\d+) (\d+) (\d+) (\d+) (-?\d+) (.*)$/.exec(l);
      if (m) waiters.shift()?.({ rss: Number(m[1]), heapUsed: Number(m[2]), heapTotal: Number(m[3]), external: Number(m[4]), anonymous: Number(m[5]), spaces, cached: JSON.parse(m[6]) as Record<string, number> });
    });
  });
}

/**
 * The libraries of the variant's LD_PRELOAD that the process has not mapped: the dynamic loader
 * only warns and goes on without one it cannot find (libjemalloc2 not installed here), and the
 * figures would then be glibc's allocator under the image's name.
 */
function preloadsMissing(pid: number, env: Record<string, string>): string[] {
  const wanted = (env.LD_PRELOAD ?? '').split(/[\s:]+/).filter(Boolean);
  if (wanted.length === 0) return [];
  let maps: string;
  try { maps = readFileSync(`/proc/${pid}/maps`, 'utf8'); } catch { return []; } // not Linux: cannot tell
  return wanted.filter((lib) => !maps.includes(`/${path.basename(lib)}`));
}

async function stopProcess(p: OperatorProcess): Promise<void> {
  p.child.removeAllListeners('exit');
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await exited;
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** The first object of `kind` in the examples: the typical size of an AgentLab object. */
function example(kind: string): KubeObject {
  for (const f of readdirSync(path.join(repo, 'examples')).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(path.join(repo, 'examples', f), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj?.kind === kind) return obj;
    }
  }
  throw new Error(`no ${kind} in examples/`);
}

/** UIDs of the seeded primary objects by kind, number i at [i]: children name a live owner (else GC deletes them). */
const ownerUids = new Map<string, string[]>();

const owner = (kind: string, i: number): KubeObject['metadata'] => {
  const uid = ownerUids.get(kind)?.[i];
  if (!uid) throw new Error(`child ${i} of a ${kind}: seed the ${kind}s first`);
  return {
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, 'app.kubernetes.io/name': 'agentlab', 'agentlab.dev/run': `run-${i}` },
    annotations: { [APPLIED_HASH_ANNOTATION]: 'f3a1c2d4e5b60718293a' },
    ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind, name: `${kind.toLowerCase()}-${i}`, uid, controller: true, blockOwnerDeletion: true }],
  };
};

const conditions = (generation = 1) => ['Ready', 'Reconciling', 'Scheduled'].map((type, k) => ({
  type, status: k === 0 ? 'True' : 'False', reason: k === 0 ? 'Succeeded' : 'Idle', message: `${type} as of the last reconcile`,
  lastTransitionTime: new Date().toISOString(), observedGeneration: generation,
}));

const modelServer = (): ModelServer => ({ ...(example('ModelServer') as ModelServer), metadata: { name: 'ms', namespace: 'ns', uid: 'u' } });

/** One object of the resource, number i, in namespace ns (or cluster-scoped); status written separately. */
type Make = (i: number, ns: string) => { obj: KubeObject; status?: Record<string, unknown> };

/**
 * The life-cycle phase of run (or flow) number i: what a homelab stores is mostly history. One in
 * 50 is Running (at 10,000 that is 200 at once, more than a homelab's GPUs run); of the finished,
 * one in 10 Failed, the rest Succeeded. AgentRun/Flow history is kept until a person deletes it
 * (no TTL), so the stored runs are nearly all finished.
 */
const RUN_MIX = 'AgentRuns and Flows: 2 % Running, 10 % Failed, 88 % Succeeded';
const phaseOf = (i: number): 'Running' | 'Failed' | 'Succeeded' => (i % 50 === 0 ? 'Running' : i % 10 === 9 ? 'Failed' : 'Succeeded');

/** The status the AgentRun controller writes (operators/agentrun/controller.ts): as it runs, and as it finished. */
function agentRunStatus(i: number): Record<string, unknown> {
  const phase = phaseOf(i);
  const started = { phase, lane: 'private', startTime: '2026-12-01T10:00:00Z', runtime: { type: 'pod' }, podName: `agentrun-${i}-agent` };
  if (phase === 'Running') return { observedGeneration: 1, conditions: runConditions('Running'), ...started };
  return {
    observedGeneration: 1, conditions: runConditions(phase), ...started, completionTime: '2026-12-01T10:04:12Z',
    usage: { promptTokens: 18_234, completionTokens: 2_113, totalTokens: 20_347, turns: 9, provider: 'ollama', model: 'qwen2.5:14b', toolCalls: 6, toolErrors: 0 },
    ...(phase === 'Succeeded' ? { result: 'Labelled the report as a bug in the invoice export and linked the two duplicates.' } : {}),
    transcriptRef: { configMapName: `agentrun-${i}-transcript`, key: 'transcript.jsonl' },
  };
}

/** The status the Flow controller writes: plan, one entry per node, as it runs and as it finished. */
function flowStatus(base: KubeObject, i: number): Record<string, unknown> {
  const phase = phaseOf(i);
  const name = `flow-${i}`;
  const { plan } = planFlowRun(name, base.spec as FlowSpec);
  const nodes = plan.map((p, k) => {
    const nodePhase = phase === 'Succeeded' || k < plan.length - 1 ? 'Succeeded' : phase;
    return {
      id: p.node, phase: nodePhase, health: nodePhase === 'Failed' ? 'Red' : nodePhase === 'Running' ? 'Yellow' : 'Green', attempts: 1, startedAt: '2026-12-01T10:00:00Z',
      ...(nodePhase === 'Running' ? {} : { finishedAt: '2026-12-01T10:01:00Z' }), ...(p.child ? { child: p.child } : {}),
      message: nodePhase === 'Failed' ? 'the model call failed: HTTP 503 from the lane router' : nodePhase === 'Running' ? 'waiting for the model' : 'done',
    };
  });
  const done = nodes.filter((n) => n.phase !== 'Running').length;
  return {
    observedGeneration: 1, conditions: runConditions(phase), phase, progress: `${done}/${nodes.length}`, startTime: '2026-12-01T10:00:00Z',
    ...(phase === 'Running' ? {} : { completionTime: '2026-12-01T10:04:12Z' }),
    planDigest: `sha256:${'0123456789abcdef'.repeat(4)}`, plan, nodes,
  };
}

/** Ready/Reconciling/Stalled as the runtime writes them for a run in `phase`. */
const runConditions = (phase: string) => [
  { type: 'Ready', status: phase === 'Succeeded' ? 'True' : 'False', reason: phase === 'Succeeded' ? 'Succeeded' : phase === 'Running' ? 'Running' : 'ModelCallFailed', message: `the run is ${phase}` },
  { type: 'Reconciling', status: phase === 'Running' ? 'True' : 'False', reason: phase === 'Running' ? 'Running' : 'Idle', message: phase === 'Running' ? 'the agent is working' : 'nothing to do' },
  { type: 'Stalled', status: phase === 'Failed' ? 'True' : 'False', reason: phase === 'Failed' ? 'ModelCallFailed' : 'Idle', message: phase === 'Failed' ? 'the run failed' : 'not stalled' },
].map((c) => ({ ...c, lastTransitionTime: '2026-12-01T10:04:12Z', observedGeneration: 1 }));

function primary(kind: string): Make {
  const base = example(kind);
  return (i, ns) => {
    const obj: KubeObject = { ...structuredClone(base), metadata: { ...base.metadata, name: `${kind.toLowerCase()}-${i}`, namespace: ns, labels: { ...base.metadata?.labels, 'app.kubernetes.io/part-of': 'bench' } } };
    if (!ns) delete obj.metadata!.namespace;
    // kubectl apply (client-side) keeps the whole object in this annotation.
    obj.metadata!.annotations = { ...obj.metadata!.annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(obj) };
    const status = kind === 'AgentRun' ? agentRunStatus(i) : kind === 'Flow' ? flowStatus(base, i) : { observedGeneration: 1, conditions: conditions() };
    return { obj, status };
  };
}

const child = (apiVersion: string, kind: string, ownerKind: string, body: (i: number) => Partial<KubeObject>): Make => (i, ns) => ({
  obj: { apiVersion, kind, ...body(i), metadata: { name: `${kind.toLowerCase()}-${i}`, namespace: ns, ...owner(ownerKind, i) } } as KubeObject,
});

const podSpec = (i: number) => ({
  spec: {
    serviceAccountName: `run-${i}`, restartPolicy: 'Never', automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'agent', image: 'ghcr.io/agentlab/agent-runner:0.1.0',
      env: ['AGENTLAB_RUN_CONFIG', 'AGENTLAB_ROUTER_URL', 'AGENTLAB_TERMINATION_MESSAGE_PATH', 'AGENTLAB_RUN_NAME', 'AGENTLAB_RUN_NAMESPACE'].map((name) => ({ name, value: `/etc/agentlab/${name.toLowerCase()}` }))
        .concat([{ name: 'AGENTLAB_ROUTER_TOKEN', valueFrom: { secretKeyRef: { name: `run-${i}-token`, key: 'token' } } } as never]),
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      volumeMounts: [{ name: 'config', mountPath: '/etc/agentlab', readOnly: true }, { name: 'workspace', mountPath: '/workspace' }, { name: 'tmp', mountPath: '/tmp' }],
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    }],
    volumes: [{ name: 'config', configMap: { name: `run-${i}-config` } }, { name: 'workspace', emptyDir: {} }, { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
  },
});

function pvcServiceDeployment(kind: 'PersistentVolumeClaim' | 'Service' | 'Deployment'): Make {
  const ms = modelServer();
  const body = kind === 'PersistentVolumeClaim' ? desiredPVC(ms) : kind === 'Service' ? desiredService(ms) : desiredDeployment(ms, 'chief-horse');
  return (i, ns) => ({ obj: { ...structuredClone(body), metadata: { ...body.metadata, name: `${kind.toLowerCase()}-${i}`, namespace: ns, ...owner('ModelServer', i), labels: { ...body.metadata?.labels, ...owner('ModelServer', i)!.labels } } } });
}

const node: Make = (i) => ({
  obj: { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3060', 'nvidia.com/gpu.memory': '12288', 'node.kubernetes.io/instance-type': 'k3s' } } },
  status: {
    capacity: { cpu: '16', memory: '64Gi', pods: '110', 'nvidia.com/gpu': '1', 'ephemeral-storage': '500Gi' },
    allocatable: { cpu: '16', memory: '63Gi', pods: '110', 'nvidia.com/gpu': '1', 'ephemeral-storage': '480Gi' },
    conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, status: type === 'Ready' ? 'True' : 'False', reason: `Kubelet${type}`, message: `kubelet reports ${type}`, lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() })),
    addresses: [{ type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${i % 250}` }, { type: 'Hostname', address: `node-${i}` }],
    nodeInfo: { machineID: 'a'.repeat(32), systemUUID: 'b'.repeat(36), bootID: 'c'.repeat(36), kernelVersion: '6.8.0-45-generic', osImage: 'Ubuntu 24.04.1 LTS', containerRuntimeVersion: 'containerd://1.7.21-k3s2', kubeletVersion: 'v1.32.1+k3s1', kubeProxyVersion: 'v1.32.1+k3s1', operatingSystem: 'linux', architecture: 'amd64' },
    // A kubelet reports up to 50 images; a homelab GPU node holds a dozen or more.
    images: Array.from({ length: 12 }, (_, k) => ({ names: [`docker.io/library/image-${k}@sha256:${'d'.repeat(64)}`, `docker.io/library/image-${k}:v${k}`], sizeBytes: 100_000_000 + k })),
  },
});

const MAKERS: Record<string, () => Make> = {
  modelservers: () => primary('ModelServer'),
  lanepolicies: () => primary('LanePolicy'),
  agentruns: () => primary('AgentRun'),
  flows: () => primary('Flow'),
  hardwaretasks: () => primary('HardwareTask'),
  persistentvolumeclaims: () => pvcServiceDeployment('PersistentVolumeClaim'),
  services: () => pvcServiceDeployment('Service'),
  deployments: () => pvcServiceDeployment('Deployment'),
  pods: () => child('v1', 'Pod', 'AgentRun', podSpec),
  secrets: () => child('v1', 'Secret', 'AgentRun', () => ({ type: 'Opaque', data: { token: Buffer.from('t'.repeat(48)).toString('base64') } })),
  configmaps: () => child('v1', 'ConfigMap', 'AgentRun', (i) => ({ data: { 'run.json': JSON.stringify({ task: 'Triage this bug report for the client portal.'.repeat(20), model: 'default', run: i }) } })),
  serviceaccounts: () => child('v1', 'ServiceAccount', 'AgentRun', () => ({ automountServiceAccountToken: false })),
  roles: () => child('rbac.authorization.k8s.io/v1', 'Role', 'AgentRun', (i) => ({ rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [`run-${i}-transcript`], verbs: ['get', 'update', 'patch'] }] })),
  rolebindings: () => child('rbac.authorization.k8s.io/v1', 'RoleBinding', 'AgentRun', (i) => ({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `run-${i}` }, subjects: [{ kind: 'ServiceAccount', name: `run-${i}` }] })),
  networkpolicies: () => child('networking.k8s.io/v1', 'NetworkPolicy', 'AgentRun', (i) => ({ spec: { podSelector: { matchLabels: { 'agentlab.dev/run': `run-${i}` } }, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agentlab-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agentlab-router' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }] } })),
  namespaces: () => (i) => ({ obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-memory-${run}-ns-${i}`, labels: { 'agentlab.dev/lane': ['private', 'enterprise', 'personal'][i % 3], 'kubernetes.io/metadata.name': `bench-memory-${run}-ns-${i}` } } } }),
  nodes: () => node,
};

/** Every resource some controller caches: its primary kind, its children and its watches. */
async function watchedResources(): Promise<ResourceRef[]> {
  const byPlural = new Map<string, ResourceRef>();
  for (const c of await loadControllers()) {
    for (const r of [c.for, ...(c.owns ?? []), ...(c.watches ?? []).map((w) => w.resource)]) byPlural.set(r.plural, r);
  }
  const missing = [...byPlural.keys()].filter((p) => !MAKERS[p]);
  if (missing.length) throw new Error(`memory.bench.ts has no typical object for ${missing.join(', ')}: add one to MAKERS`);
  return [...byPlural.values()];
}

const PRIMARY_KINDS = new Set(['ModelServer', 'LanePolicy', 'AgentRun', 'Flow', 'HardwareTask']);

/** Creates object i of `r` over HTTP (status through the status subresource) as a user and the operator would. */
async function createOne(c: KubeClient, r: ResourceRef, make: Make, i: number): Promise<KubeObject> {
  const { obj, status } = make(i, r.namespaced ? namespaces[i % NAMESPACE_COUNT] : '');
  const created = await c.create(r, obj, { fieldManager: 'kubectl-client-side-apply' });
  if (!status) return created;
  return c.replace(r, { ...created, status }, 'status', { fieldManager: 'agentlab-bench-status' });
}

/**
 * `made` completed with what the server added to `stored` (a created object of the same shape):
 * defaults, managedFields, status. Values in `made` win; arrays merge element by element.
 */
function completeLike(made: unknown, stored: unknown): unknown {
  if (Array.isArray(made)) return made.map((v, k) => completeLike(v, Array.isArray(stored) ? stored[k] : undefined));
  if (made && typeof made === 'object') {
    const out: Record<string, unknown> = stored && typeof stored === 'object' && !Array.isArray(stored) ? { ...(stored as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(made)) out[k] = completeLike(v, (out as Record<string, unknown>)[k]);
    return out;
  }
  return made === undefined ? stored : made;
}

/**
 * Against a real cluster every object is created over HTTP (CONCURRENCY at once). In the
 * embedded server object 0 of each kind is created over HTTP and read back (defaults,
 * managedFields, status as the server stores them); objects 1.. are that object with their own
 * names, labels, bodies and UIDs, preloaded into the store (seconds instead of an hour).
 */
async function seed(c: KubeClient, resources: ResourceRef[], preload?: EmbeddedApiServer['preload']): Promise<void> {
  // Owners before children: a child names its owner's UID.
  const ordered = [...resources].sort((a, b) => Number(PRIMARY_KINDS.has(b.kind)) - Number(PRIMARY_KINDS.has(a.kind)));
  for (const r of ordered) {
    const make = MAKERS[r.plural]();
    const uids: string[] = new Array(CACHED);
    const t = performance.now();
    if (!preload) {
      await pool(Array.from({ length: CACHED }, (_, i) => i), CONCURRENCY, async (i) => { uids[i] = (await createOne(c, r, make, i)).metadata!.uid!; });
    } else {
      const first = await createOne(c, r, make, 0);
      const stored = await c.get(r, first.metadata?.namespace, first.metadata!.name!);
      uids[0] = stored.metadata!.uid!;
      const objects = function* () {
        for (let i = 1; i < CACHED; i++) {
          const { obj, status } = make(i, r.namespaced ? namespaces[i % NAMESPACE_COUNT] : '');
          const full = completeLike({ ...obj, status }, stored) as KubeObject;
          uids[i] = randomUUID();
          full.metadata = { ...full.metadata, uid: uids[i], resourceVersion: '' };
          yield full as StoredObject;
        }
      };
      preload(r.group, r.version, r.plural, objects());
    }
    if (PRIMARY_KINDS.has(r.kind)) ownerUids.set(r.kind, uids);
    process.stderr.write(`seeded ${CACHED} ${r.plural} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
}

const mb = (v: number) => `${(v / 2 ** 20).toFixed(0)} MB`;
const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-memory-'));
let stopServer = async () => {};
let kubeconfig = process.env.BENCH_KUBECONFIG ?? '';
let preload: EmbeddedApiServer['preload'] | undefined;
try {
  if (!kubeconfig) {
    const { startApiServer } = await import('../../hack/apiserver/index.js');
    const server = await startApiServer({ host: '127.0.0.1', port: 0, logger: log });
    kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await server.writeKubeconfig(kubeconfig);
    stopServer = () => server.close();
    preload = server.preload;
  }
  const step = (what: string) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);
  step('API server up; installing the CRDs');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await installCrds(kc, await readCrdManifests(path.join(repo, 'crds')));
  const c = new KubeClient(kc);
  const NS: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
  for (const ns of namespaces) await c.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Another identity holds the operator's Lease for an hour: the bench's operator stands by.
  const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z');
  await c.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'agentlab-operator', namespace: namespaces[0] }, spec: { holderIdentity: 'bench-leader', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now, leaseTransitions: 0 } });
  const resources = await watchedResources();
  step('compiling the operator');
  const entry = buildOperator();
  step('operator with no objects');

  const empty = await startOperatorProcess(entry, kubeconfig, namespaces[0]);
  const base = await empty.memory();
  await stopProcess(empty);

  step('seeding');
  const t0 = performance.now();
  await seed(c, resources, preload);
  const seedSeconds = (performance.now() - t0) / 1000;
  const loadedBy: { variant: Variant; memory: Memory; settled: Memory }[] = [];
  let byKind: Record<string, [number, number]> = {};
  for (const [i, declared] of VARIANTS.entries()) {
    let variant = declared;
    step(`operator listing every object (${variant.name})`);
    const full = await startOperatorProcess(entry, kubeconfig, namespaces[0], variant);
    const missing = preloadsMissing(full.child.pid!, variant.env);
    if (missing.length) {
      variant = { ...variant, name: `${variant.name}, BUT ${missing.join(', ')} NOT LOADED (not installed here: apt-get install libjemalloc2), so NOT the image's allocator` };
    }
    const memory = await full.memory();
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    loadedBy.push({ variant, memory, settled: await full.memory() });
    if (i === 0) byKind = await full.byKind();
    await stopProcess(full);
  }
  const loaded = loadedBy[0].memory;
  c.close();

  const total = (m: Memory) => Object.values(m.cached).reduce((x, y) => x + y, 0);
  const cachedObjects = total(loaded) - total(base);
  const short = resources.filter((r) => (loaded.cached[r.plural] ?? 0) < CACHED).map((r) => `${r.plural} ${loaded.cached[r.plural] ?? 0}`);
  console.log(`\n== operator memory, every controller (${resources.length} watched kinds), standing by with full caches`);
  console.log(`watched kinds: ${resources.map((r) => r.plural).join(', ')}`);
  console.log(`phases: ${RUN_MIX} (each with the status its controller writes)`);
  console.log(`objects: ${CACHED} of each kind = ${CACHED * resources.length} (seeded in ${seedSeconds.toFixed(0)} s); the operator cached ${cachedObjects} more than with none${short.length ? `; FEWER THAN SEEDED: ${short.join(', ')}` : ''}`);
  console.log(`no objects: RSS ${mb(base.rss)}${base.anonymous < 0 ? '' : ` (anonymous ${mb(base.anonymous)}, files ${mb(base.rss - base.anonymous)})`}, heap used ${mb(base.heapUsed)} of ${mb(base.heapTotal)} committed (after a full GC)`);
  console.log(`live heap per cached object by resource (the cache emptied one resource at a time): ${Object.entries(byKind).sort((x, y) => y[1][1] - x[1][1]).map(([p, [n, bytes]]) => `${p} ${n ? (bytes / n).toFixed(0) : '-'}`).join(', ')}`);
  for (const { variant, memory, settled } of loadedBy) {
    const perObject = (memory.heapUsed - base.heapUsed) / cachedObjects;
    // RSS = anonymous (V8's committed heap + the rest: the allocator's memory, thread stacks) + mapped files.
    const split = (m: Memory) => (m.anonymous < 0 ? '' : ` = anonymous ${mb(m.anonymous)} (${mb(m.anonymous - m.heapTotal)} outside V8's heap) + files ${mb(m.rss - m.anonymous)}`);
    const figures = (m: Memory) => `RSS ${mb(m.rss)}${split(m)} (target < 200 MB: ${m.rss < 200 * 2 ** 20 ? 'met' : 'missed'}), heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)} committed (MB by space: ${m.spaces}), external ${mb(m.external)}`;
    console.log(`${cachedObjects} objects cached, ${variant.name}: as the caches synced ${figures(memory)}; ${SETTLE_S} s later ${figures(settled)} (each after a full GC); ${perObject.toFixed(0)} bytes of live heap per cached object`);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await stopServer();
  await rm(dir, { recursive: true, force: true });
}
