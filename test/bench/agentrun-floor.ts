// The floor of the AgentRun benchmark: a plain client that makes, for each run, the writes the
// AgentRun controller makes for a run with no approval, no kubernetes tool and a container runtime
// (operators/agentrun/controller.ts, start / running / finish / finished), with the controller's
// own bodies (desired.ts, desiredChild) and in its order:
//   start:  the config ConfigMap (apply), the token Secret (create), the NetworkPolicy (apply),
//           the Pod (apply), status Running (update), event Started;
//   end:    (the pod ended, seen by a watch) the pod log (GET), the transcript ConfigMap (apply),
//           the router's usage ConfigMap (GET), the token's revocation (apply), status Succeeded
//           with usage (update), event Succeeded;
//   late:   once the router's count is complete (seen by a watch), status with it (update), unless
//           the end's status already had it.
// No reconcile loop, no cache, no retries: writes only when something happened.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { readPodLog } from '../../operators/agentrun/controller.js';
import { desiredAgentNetworkPolicy, desiredConfigMap, desiredPod, desiredTokenSecret, desiredTranscript, runnerConfig } from '../../operators/agentrun/desired.js';
import { podName, tokenSecretName, transcriptConfigMapName, TRANSCRIPT_KEY } from '../../operators/agentrun/names.js';
import { AGENTRUNS, CONFIGMAPS, NETWORK_POLICIES, PODS, SECRETS } from '../../operators/agentrun/resources.js';
import { boundedTranscript, parseRunnerLog, parseTermination } from '../../operators/agentrun/runner-output.js';
import { runLimits } from '../../operators/agentrun/spec.js';
import { usageStatus } from '../../operators/agentrun/status.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import type { RouterLocation } from '../../operators/lanepolicy/desiredNetworkPolicy.js';
import { runUsageConfigMapName, runUsageFromConfigMap, type RunUsage } from '../../operators/model/agentrun/usage.js';
import { desiredChild } from '../../operators/runtime/apply.js';
import { Informer } from '../../operators/runtime/informer.js';
import { isNotFound, type KubeClient, type KubeObject, type ResourceRef } from '../../operators/runtime/kube.js';

const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
const MANAGER = 'bench-floor';
const log = pino({ level: 'warn' }, pino.destination(2));

type PodObj = KubeObject & { status?: { phase?: string; containerStatuses?: { name: string; state?: { terminated?: { exitCode: number; message?: string } } }[] } };

export interface FloorOptions {
  client: KubeClient;
  /** A second client for the watches. */
  watcher: KubeClient;
  namespace: string;
  router: RouterLocation;
  routerUrl: string;
  lane: string;
  /** Writes in flight at once, as the operator's maxConcurrentReconciles. */
  concurrency: number;
  /** The router's request count at which a run's usage is complete. */
  modelCalls: number;
}

/** Runs `fn` when fewer than `n` others are running. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Resolvers keyed by name, resolved by a watch; a value seen before anyone waits is kept. */
function signals<T>(): { wait(name: string): Promise<T>; fire(name: string, value: T): void } {
  const seen = new Map<string, T>();
  const waiters = new Map<string, (v: T) => void>();
  return {
    wait: (name) => (seen.has(name) ? Promise.resolve(seen.get(name)!) : new Promise((r) => waiters.set(name, r))),
    fire(name, value) {
      if (seen.has(name)) return;
      seen.set(name, value);
      waiters.get(name)?.(value);
      waiters.delete(name);
    },
  };
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface Floor {
  /** Creates the runs (all at once) and drives each to its end; resolves when every run's status has the router's complete count. */
  run(specs: AgentRun[]): Promise<void>;
  /** API writes the floor made (the runs' creates not counted). */
  writes(): number;
  stop(): Promise<void>;
}

export function agentRunFloor(o: FloorOptions): Floor {
  const c = o.client;
  let writes = 0;
  const write = <T>(p: Promise<T>) => { writes++; return p; };
  const slot = limiter(o.concurrency);
  const ended = signals<PodObj>();
  const usageDone = signals<RunUsage>();
  const pods = new Informer({ client: o.watcher, resource: PODS, namespaces: [o.namespace], logger: log });
  pods.addHandler((_t, obj) => {
    const pod = obj as PodObj;
    const terminated = pod.status?.containerStatuses?.find((s) => s.name === 'agent')?.state?.terminated;
    if (terminated || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') ended.fire(pod.metadata!.name!, pod);
  });
  pods.start();

  const event = (run: AgentRun, type: string, reason: string, message: string) => write(c.create(EVENTS, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: `${run.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: run.metadata.namespace },
    involvedObject: { apiVersion: run.apiVersion, kind: run.kind, name: run.metadata.name, namespace: run.metadata.namespace, uid: run.metadata.uid },
    reason, message, type, source: { component: MANAGER }, firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), count: 1,
  }));
  const condition = (status: 'True' | 'False', reason: string, message: string) => [{ type: 'Ready', status, reason, message, lastTransitionTime: rfc3339(new Date()), observedGeneration: 1 }];
  const routerUsage = async (run: AgentRun): Promise<RunUsage | undefined> => {
    try {
      return runUsageFromConfigMap(await c.get(CONFIGMAPS, o.router.namespace, runUsageConfigMapName(run.metadata.namespace!, 'AgentRun', run.metadata.name!)));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  async function one(spec: AgentRun): Promise<void> {
    // The run's create is the user's write on both sides, not counted (the operator's figure has none).
    let run = await c.create<AgentRun>(AGENTRUNS, spec);
    const name = run.metadata.name!;
    const limits = runLimits(run.spec);
    if (!limits.ok) throw new Error(`run ${name}: ${limits.problem.message}`);
    await slot(async () => {
      await write(c.apply(CONFIGMAPS, desiredChild(run, CONFIGMAPS, desiredConfigMap(run, runnerConfig(run, run.spec.task!, limits.limits))), MANAGER));
      await write(c.create(SECRETS, desiredChild(run, SECRETS, desiredTokenSecret(run, randomBytes(32).toString('base64url'), { lane: o.lane, limits: limits.limits }))));
      await write(c.apply(NETWORK_POLICIES, desiredChild(run, NETWORK_POLICIES, desiredAgentNetworkPolicy(run, o.router, [])), MANAGER));
      await write(c.apply(PODS, desiredChild(run, PODS, desiredPod(run, { limits: limits.limits, routerUrl: o.routerUrl, kubernetesTool: false })), MANAGER));
      run = await write(c.replace<AgentRun>(AGENTRUNS, { ...run, status: {
        phase: 'Running', lane: o.lane, startTime: rfc3339(new Date()), podName: podName(name), runtime: { engine: 'container' },
        transcriptRef: { configMapName: transcriptConfigMapName(name), key: TRANSCRIPT_KEY }, usage: usageStatus(undefined, undefined, {}),
        conditions: condition('False', 'Running', `the agent is working in pod ${podName(name)}`), observedGeneration: 1,
      } } as AgentRun, 'status'));
      await event(run, 'Normal', 'Started', `started pod ${podName(name)} in lane ${o.lane}`);
    });
    const pod = await ended.wait(podName(name));
    let usage: RunUsage | undefined;
    await slot(async () => {
      const text = (await readPodLog(c, run.metadata.namespace!, podName(name)))?.text ?? '';
      const summary = parseRunnerLog(text);
      await write(c.apply(CONFIGMAPS, desiredChild(run, CONFIGMAPS, desiredTranscript(run, boundedTranscript(summary.lines).text)), MANAGER));
      usage = await routerUsage(run);
      await write(c.apply(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: tokenSecretName(name), namespace: run.metadata.namespace, annotations: { 'agentlab.dev/revoked': 'true' } } }, `${MANAGER}-revocation`));
      const t = parseTermination(pod.status?.containerStatuses?.find((s) => s.name === 'agent')?.state?.terminated?.message);
      const ok = t?.outcome === 'Succeeded';
      const phase = ok ? 'Succeeded' : 'Failed';
      run = await write(c.replace<AgentRun>(AGENTRUNS, { ...run, status: {
        ...run.status, phase, completionTime: rfc3339(new Date()), ...(t?.result ? { result: t.result } : {}),
        usage: usageStatus(run.status?.usage, usage, { turns: t?.turns ?? summary.turns, toolCalls: t?.toolCalls ?? summary.toolCalls, toolErrors: t?.toolErrors ?? summary.toolErrors }),
        conditions: condition(ok ? 'True' : 'False', phase, ok ? 'the agent finished' : `the runner failed (${t?.reason ?? 'no termination message'})`),
      } } as AgentRun, 'status'));
      await event(run, ok ? 'Normal' : 'Warning', phase, ok ? 'the agent finished' : 'the runner failed');
    });
    if ((usage?.requests ?? 0) >= o.modelCalls) return;
    const complete = await usageDone.wait(`${run.metadata.namespace}/${name}`);
    await slot(async () => {
      await write(c.replace<AgentRun>(AGENTRUNS, { ...run, status: { ...run.status, usage: usageStatus(run.status?.usage, complete, {}) } } as AgentRun, 'status'));
    });
  }

  const usageWatch = new Informer({ client: o.watcher, resource: CONFIGMAPS, namespaces: [o.router.namespace], logger: log });
  usageWatch.addHandler((_t, obj) => {
    const u = runUsageFromConfigMap(obj as never);
    if (u && u.namespace === o.namespace && u.requests >= o.modelCalls) usageDone.fire(`${u.namespace}/${u.run}`, u);
  });
  usageWatch.start();

  return {
    run: async (specs) => { await Promise.all(specs.map(one)); },
    writes: () => writes,
    async stop() {
      await pods.stop();
      await usageWatch.stop();
    },
  };
}
