import type { ControllerDeps } from '../manager.js';
import { byIndex } from '../runtime/cache-index.js';
import type { CacheIndex, Controller, ReconcileContext, CacheReader } from '../runtime/controller.js';
import type { KubeObject } from '../runtime/kube.js';
import { TerminalError, TransientError, type ReconcileResult } from '../runtime/outcome.js';
import { parseQuantity } from '../runtime/quantity.js';
import { kubeServiceAccess, type ServiceAccess } from '../runtime/service-access.js';
import { desiredDeployment, desiredPVC, desiredService, deploymentName, endpointOf, pvcName, SERVER_LABEL } from './desired.js';
import { modelStatuses, planModels, type PresentModel } from './models.js';
import { claimOf, scoreNodes } from './placement.js';
import { PullManager, errorText } from './pulls.js';
import { serverApi, type ServerApi } from './serverapi.js';
import { MODELS_READY, SCHEDULED, SERVER_START_GRACE_MS, availableForMs, deploymentAvailable, modelsVerdict } from './status.js';
import { DEPLOYMENTS, MODELSERVERS, type ModelServer, NODES, PVCS, SERVICES, replicasOf, runtimeOf } from './types.js';
import { NODE_FIELDS } from './cache-fields.js';

/** How often a Ready server's models are re-listed to notice drift (a model deleted by hand). */
const RECHECK_MS = 5 * 60_000;

/** Rejects specs the CRD schema cannot fully check, with the field path in the message. */
export function validateSpec(ms: ModelServer): void {
  const spec = ms.spec;
  if (!spec || !Array.isArray(spec.models) || spec.models.length === 0) throw new TerminalError('InvalidSpec', 'spec.models: Required value: list at least one model');
  const check = (path: string, q: string | number | undefined) => {
    if (q === undefined) return;
    try { parseQuantity(q); } catch (err) { throw new TerminalError('InvalidSpec', `${path}: Invalid value: ${JSON.stringify(q)}: ${errorText(err)}`); }
  };
  check('spec.gpu.minMemory', spec.gpu?.minMemory);
  check('spec.cache.size', spec.cache?.size);
  for (const [k, v] of Object.entries(spec.resources?.requests ?? {})) check(`spec.resources.requests.${k}`, v);
  for (const [k, v] of Object.entries(spec.resources?.limits ?? {})) check(`spec.resources.limits.${k}`, v);
  if (runtimeOf(spec) === 'vllm' && spec.models.length !== 1) throw new TerminalError('InvalidSpec', 'spec.models: Invalid value: a vllm server serves exactly one model');
  if (spec.warmup?.model && !spec.models.some((m) => m.name === spec.warmup!.model)) {
    throw new TerminalError('InvalidSpec', `spec.warmup.model: Invalid value: ${JSON.stringify(spec.warmup.model)}: not one of spec.models`);
  }
}

/** A server that was evaluated and found no node (not one that simply has not been reconciled yet). */
const isWaitingForNode = (ms: ModelServer): boolean =>
  ms.status?.conditions?.some((c) => c.type === SCHEDULED && c.status === 'False') === true && replicasOf(ms.spec) > 0;

/**
 * Servers waiting for a node, and servers holding GPUs or memory by node: each reconcile and each
 * change that could free capacity reads these few instead of scanning every server (a 1,000-server
 * burst scanned all of them once per reconcile and once per status write).
 */
export const WAITING_FOR_NODE: CacheIndex = {
  resource: MODELSERVERS,
  values: (s) => (isWaitingForNode(s as ModelServer) && !s.metadata?.deletionTimestamp ? ['waiting'] : []),
};
export const CLAIMS_BY_NODE: CacheIndex = {
  resource: MODELSERVERS,
  values: (s) => {
    const claim = claimOf(s as ModelServer);
    return claim ? [claim.node] : [];
  },
};

/** Keys of servers waiting for a node: any change that could free capacity requeues them. */
function unscheduledKeys(cache: CacheReader): string[] {
  return byIndex<ModelServer>(cache, WAITING_FOR_NODE, 'waiting').map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`);
}

type NodeObj = KubeObject & { spec?: { unschedulable?: boolean }; status?: { allocatable?: unknown; conditions?: { type: string; status: string }[] } };
function nodeCapacityChanged(a: KubeObject, b: KubeObject): boolean {
  const x = a as NodeObj;
  const y = b as NodeObj;
  const ready = (n: NodeObj) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify(x.metadata?.labels) !== JSON.stringify(y.metadata?.labels)
    || JSON.stringify(x.status?.allocatable) !== JSON.stringify(y.status?.allocatable)
    || x.spec?.unschedulable !== y.spec?.unschedulable
    || ready(x) !== ready(y);
}

function claimChanged(a: KubeObject, b: KubeObject): boolean {
  const x = a as ModelServer;
  const y = b as ModelServer;
  return x.metadata?.generation !== y.metadata?.generation || x.status?.node !== y.status?.node || x.metadata?.deletionTimestamp !== y.metadata?.deletionTimestamp;
}

export interface ModelServerControllerOptions {
  /** Talks to a server's API; tests substitute it. Default: ollama client / vLLM HTTP. */
  api?: typeof serverApi;
  /** How a server's Service is reached. Default: Service DNS in the cluster, the API server's service proxy outside. */
  serviceAccess?: ServiceAccess;
}

/** The ModelServer controller: placement, children, models, warm-up. */
export function modelServerController(opts: ModelServerControllerOptions = {}): Controller<ModelServer> {
  const api = opts.api ?? serverApi;
  let pulls: PullManager | undefined;
  // Warm-up is done once per (generation, Deployment rollout); remembered in memory only, so an
  // operator restart costs at most one extra warm-up prompt.
  const warmed = new Map<string, string>();

  async function reconcile(ctx: ReconcileContext<ModelServer>): Promise<ReconcileResult> {
    const out: { status?: Record<string, unknown> } = {};
    try {
      return await reconcileServer(ctx, out);
    } finally {
      // ctx.setStatus copies its input: publish the fields as they stand when the reconcile ends, however it ends.
      if (out.status) ctx.setStatus(out.status);
    }
  }

  async function reconcileServer(ctx: ReconcileContext<ModelServer>, out: { status?: Record<string, unknown> }): Promise<ReconcileResult> {
    const ms = ctx.object;
    validateSpec(ms);
    const spec = ms.spec;
    const replicas = replicasOf(spec);
    const prev = ms.status ?? {};
    // status.endpoint is set only once a pod answers on it (below): not while unschedulable,
    // rolling out or stopped.
    const status: Record<string, unknown> = {
      selector: `${SERVER_LABEL}=${ms.metadata!.name}`,
      replicas: prev.replicas ?? 0,
      readyReplicas: prev.readyReplicas ?? 0,
    };
    if (prev.models) status.models = prev.models;
    status.modelsReady = prev.modelsReady ?? `0/${spec.models.length}`;
    if (prev.warmedUpAt) status.warmedUpAt = prev.warmedUpAt;
    out.status = status;

    let node = prev.node;
    if (replicas > 0) {
      const nodes = ctx.cache.list(NODES);
      const servers = nodes.flatMap((n) => byIndex<ModelServer>(ctx.cache, CLAIMS_BY_NODE, n.metadata?.name ?? ''));
      const decision = scoreNodes({ server: ms, nodes, servers });
      if (!decision.node) {
        const suggestion = decision.suggestion ?? `needs ${decision.needs}`;
        delete status.node;
        status.placement = { suggestion, candidates: decision.candidates, reason: 'no node fits' };
        ctx.setCondition({ type: SCHEDULED, status: 'False', reason: 'Unschedulable', message: suggestion });
        // Children that exist stay as they are: a node that went away may come back.
        await Promise.all([ctx.apply(PVCS, desiredPVC(ms, ctx.cache.get(PVCS, ms.metadata!.namespace, pvcName(ms)))), ctx.apply(SERVICES, desiredService(ms))]);
        return { outcome: { kind: 'stalled', reason: 'Unschedulable', message: suggestion } };
      }
      node = decision.node;
      status.node = node;
      status.placement = { node, score: decision.score, reason: decision.reason, candidates: decision.candidates };
      ctx.setCondition({ type: SCHEDULED, status: 'True', reason: 'Placed', message: decision.reason ?? `placed on ${node}` });
    }

    const ns = ms.metadata!.namespace!;
    const [, , dep] = await Promise.all([
      ctx.apply(PVCS, desiredPVC(ms, ctx.cache.get(PVCS, ns, pvcName(ms)))),
      ctx.apply(SERVICES, desiredService(ms)),
      ctx.apply(DEPLOYMENTS, desiredDeployment(ms, node)),
    ]);
    const rollout = deploymentAvailable(dep as Parameters<typeof deploymentAvailable>[0]);
    status.replicas = rollout.replicas;
    status.readyReplicas = rollout.ready;

    if (replicas === 0) {
      pulls?.forget(ctx.key);
      return { outcome: { kind: 'ready', reason: 'Stopped', message: 'stopped (replicas: 0); the model cache is kept' } };
    }
    if (!rollout.available) {
      ctx.setCondition({ type: MODELS_READY, status: 'Unknown', reason: 'WaitingForServer', message: `deployment ${deploymentName(ms)}: ${rollout.message}` });
      return { outcome: { kind: 'progressing', reason: 'Deploying', message: `deployment ${deploymentName(ms)}: ${rollout.message}` } };
    }
    status.endpoint = endpointOf(ms);

    const server: ServerApi = api(opts.serviceAccess ?? kubeServiceAccess(ctx.client), ms);
    let present: PresentModel[];
    try {
      present = await server.list();
    } catch (err) {
      const since = availableForMs(dep as Parameters<typeof availableForMs>[0], ctx.now().getTime());
      if (since !== undefined && since < SERVER_START_GRACE_MS) {
        // Just rolled out: the Service may not list the pod yet (SERVER_START_GRACE_MS). Progress, no Warning.
        const message = `waiting for the ${runtimeOf(spec)} API to answer (Deployment available ${Math.round(since / 1000)} s ago): ${errorText(err)}`;
        ctx.setCondition({ type: MODELS_READY, status: 'Unknown', reason: 'WaitingForServer', message });
        return { outcome: { kind: 'progressing', reason: 'WaitingForServer', message }, requeueAfterMs: 1_000 };
      }
      const message = `cannot reach the ${runtimeOf(spec)} API: ${errorText(err)}`;
      ctx.setCondition({ type: MODELS_READY, status: 'Unknown', reason: 'ServerUnreachable', message });
      throw new TransientError('ServerUnreachable', message);
    }
    const plan = planModels(spec, present);
    if (runtimeOf(spec) === 'ollama' && pulls) {
      for (const name of plan.missing) pulls.ensure(ctx.key, name, server.pullClient());
      for (const m of plan.mismatched) if (!pulls.state(ctx.key, m.name)) pulls.ensure(ctx.key, m.name, server.pullClient());
      for (const name of plan.prune) {
        try {
          await server.remove(name);
          ctx.event('Normal', 'ModelPruned', `deleted ${name}: no longer listed in spec.models and spec.prune is true`);
          present = present.filter((p) => p.name !== name);
        } catch (err) {
          throw new TransientError('PruneFailed', `deleting ${name}: ${errorText(err)}`);
        }
      }
    }
    const now = Date.now();
    const pullState = (name: string) => pulls?.state(ctx.key, name);
    status.models = modelStatuses(spec, present, pullState, now);
    const readyCount = plan.ready.length;
    status.modelsReady = `${readyCount}/${spec.models.length}`;
    const verdict = modelsVerdict(plan, pullState, now);
    ctx.setCondition(verdict.condition);
    if (verdict.outcome) {
      return { outcome: verdict.outcome, requeueAfterMs: verdict.requeueAfterMs };
    }
    pulls?.forget(ctx.key, true);

    if (spec.warmup) {
      const model = spec.warmup.model ?? spec.models[0].name;
      const sig = `${ms.metadata!.generation}|${(dep as KubeObject).metadata?.uid}|${(dep as KubeObject).metadata?.generation}`;
      if (warmed.get(ctx.key) !== sig) {
        try {
          await server.warmup(model, spec.warmup.prompt);
          ctx.log.info({ model }, 'warm-up prompt answered');
          warmed.set(ctx.key, sig);
          status.warmedUpAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        } catch (err) {
          throw new TransientError('WarmupFailed', `warm-up of ${model}: ${errorText(err)}`);
        }
      }
    }
    return {
      outcome: { kind: 'ready', reason: 'Succeeded', message: `serving ${spec.models.length} model${spec.models.length > 1 ? 's' : ''} on ${node} at ${endpointOf(ms)}` },
      requeueAfterMs: RECHECK_MS,
    };
  }

  return {
    name: 'modelserver',
    for: MODELSERVERS,
    owns: [PVCS, SERVICES, DEPLOYMENTS],
    watches: [
      { resource: NODES, unrestricted: true, fields: NODE_FIELDS, map: (_n, cache) => unscheduledKeys(cache), predicate: nodeCapacityChanged },
      // Only a server that held a claim (GPUs or memory on a node) can free capacity: one being
      // placed, or one that claims nothing, cannot. Without an update's old object (a deletion),
      // the object's own claim is what goes.
      {
        resource: MODELSERVERS, predicate: claimChanged,
        map: (s, cache, old) => (claimOf((old ?? s) as ModelServer) ? unscheduledKeys(cache) : []),
      },
    ],
    indexes: [WAITING_FOR_NODE, CLAIMS_BY_NODE],
    maxConcurrentReconciles: 16,
    start(handle) {
      pulls = new PullManager({ log: handle.log, notify: (key) => handle.enqueue(key) });
    },
    async stop() {
      pulls?.stop();
      pulls = undefined;
    },
    forget(key) {
      pulls?.forget(key);
      warmed.delete(key);
    },
    reconcile,
  };
}

/** What the manager loads: dependencies come through ControllerDeps. */
export const controller = (deps: ControllerDeps = {}): Controller<ModelServer> => modelServerController({ serviceAccess: deps.serviceAccess });
