import { randomBytes } from 'node:crypto';
import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { AgentRun } from './types.js';
import type { ControllerDeps } from '../manager.js';
import { desiredChild, fieldManager } from '../runtime/apply.js';
import { findCondition } from '../runtime/conditions.js';
import type { Controller, ReconcileContext } from '../runtime/controller.js';
import { isAlreadyExists, isNotFound, type KubeClient, type KubeObject, readBody, resourcePath } from '../runtime/kube.js';
import { TransientError, type ReconcileResult } from '../runtime/outcome.js';
import { DEFAULT_ROUTER, type RouterLocation } from '../lanepolicy/desiredNetworkPolicy.js';
import { runUsageConfigMapName, runUsageFromConfigMap, type RunUsage } from '../model/agentrun/usage.js';
import { APPROVAL_POLICY, approvalVerdict, decisionManager, isRecorded, type ManagedFieldsEntry, type PolicyState } from './approval.js';
import { desiredAccess, desiredAgentNetworkPolicy, desiredConfigMap, desiredPod, desiredTokenSecret, desiredTranscript, runnerConfig } from './desired.js';
import { API_SERVER_SLICE_NAMESPACE, API_SERVER_SLICE_SELECTOR, apiServerEgressRules, type EgressRule, type EndpointSliceLike } from './apiserver-egress.js';
import { keyHolder } from './idempotency.js';
import { syncGitHubToolAnnotation } from './github-tool.js';
import { type RuntimeChoice, runtimeClassNameOf, runtimeVerdict, type VmCluster } from './vm.js';
import { kubevirtRuns } from './kubevirt-run.js';
import { acquireRunConfigMapSweep } from './run-configmap-sweep.js';
import { watchRunUsage } from './usage-watch.js';
import { laneBinding, laneService } from './lane.js';
import { readPrimary } from '../runtime/primary-cache.js';
import { agentName, foreignAccessName, podName, RUN_LABEL, TRANSCRIPT_KEY, tokenSecretName, transcriptConfigMapName } from './names.js';
import { agentLogReadable, type Ending, isFinished, midRunRefresh, observePod, podEnding, podObservationChanged, type PodObj, stopVerdict } from './phase.js';
import { AGENTRUNS, CONFIGMAPS, ENDPOINT_SLICES, RUNTIME_CLASSES, LANEPOLICIES, NAMESPACES, NETWORK_POLICIES, PODS, ROLE_BINDINGS, ROLES, SECRETS, SERVICE_ACCOUNTS, VALIDATING_ADMISSION_POLICIES, VALIDATING_ADMISSION_POLICY_BINDINGS } from './resources.js';
import { boundedTranscript, parseRunnerLog, parseTermination } from './runner-output.js';
import { kubernetesToolAccess, runLimits, specProblems, type RunLimits } from './spec.js';
import { usageStatus } from './status.js';
import { createIssueTracker, type IssueTrackerFactory } from '../issues/index.js';
import { DEFAULT_ISSUE_POLL_MS, issueSync } from './issue-sync.js';
import { decidedMessage, ignoredSpecDecision, issueVerdict } from './issue-view.js';
import { FINISHED_RUN_FIELDS, LANE_FIELDS, NAMESPACE_FIELDS } from './cache-fields.js';

/** Pod logs are read up to this size (the transcript is cut below 1 MiB anyway). */
export const LOG_LIMIT_BYTES = 1024 * 1024;
/** Revocation is its own field manager: it owns only the annotation, never the token data the creator wrote. */
const REVOCATION_MANAGER = 'agentlab-agentrun-revocation';
export const REVOKED_ANNOTATION = 'agentlab.dev/revoked';
/** Condition on a run with the kubernetes tool: whether its NetworkPolicy lets the tool reach the API server. */
export const API_SERVER_EGRESS = 'APIServerEgress';
/** Usage the router flushes after a run ended is picked up for this long. */
const LATE_USAGE_MS = 60_000;

export interface PodLog { text: string; limitReached: boolean }
export type LogReader = (client: KubeClient, namespace: string, pod: string) => Promise<PodLog | undefined>;

/** `pods/log` of the agent container (best effort: undefined when the kubelet has none to give). */
export const readPodLog: LogReader = async (client, namespace, pod) => {
  const res = await client.raw(resourcePath(PODS, namespace, pod, 'log'), { query: { container: 'agent', limitBytes: LOG_LIMIT_BYTES } });
  const text = await readBody(res);
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) return undefined;
  return { text, limitReached: Buffer.byteLength(text) >= LOG_LIMIT_BYTES };
};

export interface AgentRunControllerOptions {
  /** Where the router runs: the agent NetworkPolicy allows it; run usage ConfigMaps live in its namespace. */
  router?: RouterLocation;
  /** Base URL agent pods reach the router at (default http://agentlab-router.<router namespace>.svc:<port>). */
  routerUrl?: string;
  /** Runner image when spec.runtime.image is empty. */
  runnerImage?: string;
  /** How often a running run's usage, turns and transcript are refreshed (default 15 s). */
  refreshMs?: number;
  readLog?: LogReader;
  newToken?: () => string;
  /** Engine kubevirt: the containerDisk image when spec.runtime.image is empty (kubevirt.ts DEFAULT_VM_IMAGE). */
  vmImage?: string;
  /** Engine kubevirt: the permitted host device a GPU gets (default: the KubeVirt CR's first pciHostDevices entry). */
  kubevirtGpuDevice?: string;
  /** Builds the tracker of a run's spec.issueTracker / spec.github (default createIssueTracker). */
  issueTrackers?: IssueTrackerFactory;
  /** How often a run waiting for approval reads its issue's comments (default 15 s). */
  issuePollMs?: number;
  /**
   * The sweep of run ConfigMaps in the router's namespace whose run is gone (run-configmap-sweep.ts,
   * ADR 0016): every 10 minutes, ConfigMaps written more than 10 minutes ago; false turns it off.
   */
  runConfigMapSweep?: false | { intervalMs?: number; graceMs?: number };
}

type Fields = Omit<AgentRunStatus, 'conditions' | 'observedGeneration'>;

const stalled = (reason: string, message: string, requeueAfterMs?: number): ReconcileResult => ({ outcome: { kind: 'stalled', reason, message }, ...(requeueAfterMs ? { requeueAfterMs } : {}) });
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Runs in a namespace that have not started yet: the only ones a lane or namespace change can unblock. */
const pendingRunsIn = (cache: { list(r: typeof AGENTRUNS, ns?: string): KubeObject[] }, namespace?: string) =>
  cache.list(AGENTRUNS, namespace)
    .filter((r) => !(r as AgentRun).status?.startTime && !isFinished((r as AgentRun).status?.phase))
    .map((r) => `${r.metadata!.namespace}/${r.metadata!.name}`);

/**
 * The AgentRun controller: checks a run (spec, idempotencyKey, lane, approval), starts its pod
 * with a router token, follows it to an end, and publishes usage, result and transcript.
 */
export function agentRunController(opts: AgentRunControllerOptions = {}): Controller<AgentRun> {
  const router = opts.router ?? DEFAULT_ROUTER;
  const routerUrl = opts.routerUrl ?? `http://agentlab-router.${router.namespace}.svc:${router.port}`;
  const refreshMs = opts.refreshMs ?? 15_000;
  const readLog = opts.readLog ?? readPodLog;
  const newToken = opts.newToken ?? (() => randomBytes(32).toString('base64url'));
  const vm = kubevirtRuns({ routerNamespace: router.namespace, routerUrl, image: opts.vmImage, gpuDevice: opts.kubevirtGpuDevice });
  const issues = issueSync({ factory: opts.issueTrackers ?? createIssueTracker, pollMs: opts.issuePollMs ?? DEFAULT_ISSUE_POLL_MS });
  /** When each running run's transcript and counts were last read (midRunRefresh; dropped when the run ends or goes). */
  const refreshedAt = new Map<string, number>();
  let releaseSweep: (() => Promise<void>) | undefined;
  let stopUsageWatch: (() => Promise<void>) | undefined;

  /**
   * Who wrote a decision the status does not record yet: the informer's cache has no
   * managedFields, so the run is read once from the API server. Undefined when there is no new
   * decision or the run is gone (the channel then falls back to Flux's labels).
   */
  async function decisionManagerOf(ctx: ReconcileContext<AgentRun>): Promise<string | undefined> {
    const run = ctx.object;
    if (!run.spec.approval?.decision || !run.spec.approval.decidedBy || isRecorded(run)) return undefined;
    try {
      const fresh = await ctx.client.get<KubeObject>(AGENTRUNS, run.metadata.namespace, run.metadata.name!);
      return decisionManager(fresh.metadata?.managedFields as ManagedFieldsEntry[] | undefined);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async function policyState(ctx: ReconcileContext<AgentRun>): Promise<PolicyState> {
    try {
      await ctx.client.get(VALIDATING_ADMISSION_POLICIES, undefined, APPROVAL_POLICY);
      const binding = await ctx.client.get<KubeObject & { spec?: { policyName?: string; validationActions?: string[] } }>(VALIDATING_ADMISSION_POLICY_BINDINGS, undefined, APPROVAL_POLICY);
      // A binding that only audits or warns verifies nothing.
      return binding.spec?.policyName === APPROVAL_POLICY && (binding.spec.validationActions ?? []).includes('Deny') ? 'installed' : 'missing';
    } catch (err) {
      // 404 is also what a server that does not serve admissionregistration.k8s.io/v1 policies answers.
      if (isNotFound(err)) return 'missing';
      throw new TransientError('ApprovalPolicyReadFailed', `reading ValidatingAdmissionPolicy ${APPROVAL_POLICY}: ${(err as Error).message}`);
    }
  }

  async function routerUsage(ctx: ReconcileContext<AgentRun>): Promise<RunUsage | undefined> {
    const run = ctx.object;
    const name = runUsageConfigMapName(run.metadata.namespace!, 'AgentRun', run.metadata.name!);
    try {
      // Not an earlier run's of the same name (another UID): this run starts from nothing.
      return runUsageFromConfigMap(await ctx.client.get(CONFIGMAPS, router.namespace, name), run.metadata.uid);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new TransientError('UsageReadFailed', `reading run usage ConfigMap ${router.namespace}/${name}: ${(err as Error).message}`);
    }
  }

  async function livePod(ctx: ReconcileContext<AgentRun>): Promise<PodObj | undefined> {
    const { namespace, name } = ctx.object.metadata;
    const cached = ctx.cache.get<PodObj>(PODS, namespace, podName(name!));
    if (cached) return cached;
    // The cache may not have seen a pod created a moment ago: only the API server can say it is gone.
    try {
      return await ctx.client.get<PodObj>(PODS, namespace, podName(name!));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new TransientError('PodReadFailed', `reading pod ${namespace}/${podName(name!)}: ${(err as Error).message}`);
    }
  }

  /**
   * The API server's endpoints for a run with the kubernetes tool: the egress rules its
   * NetworkPolicy needs, and a condition saying whether the tool can get through. Without any
   * endpoint the run still starts; the condition says what is missing.
   */
  async function apiServerEgress(ctx: ReconcileContext<AgentRun>): Promise<EgressRule[]> {
    let slices: EndpointSliceLike[] = [];
    try {
      slices = (await ctx.client.list<KubeObject & EndpointSliceLike>(ENDPOINT_SLICES, API_SERVER_SLICE_NAMESPACE, { labelSelector: API_SERVER_SLICE_SELECTOR })).items;
    } catch (err) {
      // 404: a server that does not serve discovery.k8s.io/v1.
      if (!isNotFound(err)) throw new TransientError('APIServerEndpointsReadFailed', `reading the EndpointSlices of Service ${API_SERVER_SLICE_NAMESPACE}/kubernetes: ${(err as Error).message}`);
    }
    const rules = apiServerEgressRules(slices);
    const run = ctx.object;
    if (rules.length === 0) {
      ctx.setCondition({
        type: API_SERVER_EGRESS, status: 'False', reason: 'APIServerEndpointsNotFound',
        message: `the kubernetes tool cannot reach the API server until a NetworkPolicy allows it: no EndpointSlice of Service ${API_SERVER_SLICE_NAMESPACE}/kubernetes (label ${API_SERVER_SLICE_SELECTOR}) names an address and port, so NetworkPolicy ${agentName(run.metadata.name!)} allows only DNS and the router; add a NetworkPolicy in namespace ${run.metadata.namespace} selecting ${RUN_LABEL}=${run.metadata.name} that allows egress to the API server's address and port (NetworkPolicies add up)`,
      });
    } else {
      const targets = rules.flatMap((r) => r.to.map((t) => t.ipBlock.cidr).flatMap((c) => r.ports.map((p) => `${c}:${p.port}/${p.protocol}`)));
      ctx.setCondition({ type: API_SERVER_EGRESS, status: 'True', reason: 'APIServerEndpointsAllowed', message: `NetworkPolicy ${agentName(run.metadata.name!)} allows egress to the API server at ${targets.join(', ')}` });
    }
    return rules;
  }

  /** What the cluster serves for a vm run: the named RuntimeClass, and KubeVirt's VirtualMachineInstance API. */
  async function vmCluster(ctx: ReconcileContext<AgentRun>): Promise<VmCluster> {
    const rc = runtimeClassNameOf(ctx.object.spec);
    let runtimeClass = true;
    try {
      await ctx.client.get(RUNTIME_CLASSES, undefined, rc);
    } catch (err) {
      if (!isNotFound(err)) throw new TransientError('RuntimeClassReadFailed', `reading RuntimeClass ${rc}: ${(err as Error).message}`);
      runtimeClass = false;
    }
    // Discovery, which every authenticated user may read: served when the group lists the resource.
    const res = await ctx.client.raw('/apis/kubevirt.io/v1');
    const body = await readBody(res);
    const code = res.statusCode ?? 0;
    if (code !== 200 && code !== 404) throw new TransientError('DiscoveryFailed', `reading discovery /apis/kubevirt.io/v1: HTTP ${code}`);
    let kubevirt = false;
    if (code === 200) {
      try {
        kubevirt = ((JSON.parse(body) as { resources?: { name?: string }[] }).resources ?? []).some((r) => r.name === 'virtualmachineinstances');
      } catch {
        kubevirt = false;
      }
    }
    return { runtimeClass, kubevirt };
  }

  /** Reads the pod log into the transcript ConfigMap and returns the runner's counts (nothing when no log could be read). */
  async function captureTranscript(ctx: ReconcileContext<AgentRun>, fields: Fields): Promise<{ turns: number; toolCalls: number; toolErrors: number } | undefined> {
    const { namespace, name } = ctx.object.metadata;
    let log: PodLog | undefined;
    try {
      log = await readLog(ctx.client, namespace!, podName(name!));
    } catch (err) {
      ctx.log.info({ err: String(err) }, 'pod log not readable; transcript kept as it was');
    }
    if (!log) return undefined;
    const summary = parseRunnerLog(log.text);
    const { text } = boundedTranscript(summary.lines, { logLimitReached: log.limitReached });
    await ctx.apply(CONFIGMAPS, desiredTranscript(ctx.object, text));
    fields.transcriptRef = { configMapName: transcriptConfigMapName(name!), key: TRANSCRIPT_KEY };
    return summary;
  }

  async function revokeToken(ctx: ReconcileContext<AgentRun>): Promise<void> {
    const { namespace, name } = ctx.object.metadata;
    const secret = ctx.cache.get(SECRETS, namespace, tokenSecretName(name!));
    if (!secret || secret.metadata?.annotations?.[REVOKED_ANNOTATION] === 'true') return;
    await ctx.client.apply(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: tokenSecretName(name!), namespace, annotations: { [REVOKED_ANNOTATION]: 'true' } } }, REVOCATION_MANAGER);
  }

  /** Grants in other namespaces carry no owner reference: removed when the run ends or is deleted. */
  async function removeForeignAccess(ctx: ReconcileContext<AgentRun>): Promise<void> {
    const run = ctx.object;
    const access = kubernetesToolAccess(run.spec ?? {}, run.metadata.namespace!);
    for (const ns of access?.namespaces.filter((n) => n !== run.metadata.namespace) ?? []) {
      const objName = foreignAccessName(run.metadata.namespace!, run.metadata.name!);
      for (const r of [ROLE_BINDINGS, ROLES]) {
        try { await ctx.client.delete(r, ns, objName); } catch (err) { if (!isNotFound(err)) throw err; }
      }
    }
  }

  async function finish(ctx: ReconcileContext<AgentRun>, fields: Fields, ending: Ending, extras: { result?: string; counts?: { turns?: number; toolCalls?: number; toolErrors?: number }; usage?: RunUsage }): Promise<ReconcileResult> {
    fields.phase = ending.phase;
    fields.completionTime = rfc3339(ctx.now());
    if (extras.result) fields.result = extras.result;
    if (fields.startTime) fields.usage = usageStatus(fields.usage, extras.usage, extras.counts ?? {});
    await revokeToken(ctx);
    await removeForeignAccess(ctx);
    ctx.setStatus(fields);
    ctx.event(ending.phase === 'Succeeded' ? 'Normal' : 'Warning', ending.reason, ending.message);
    if (ending.phase === 'Succeeded') return { outcome: { kind: 'ready', reason: ending.reason, message: ending.message }, requeueAfterMs: refreshMs };
    return stalled(ending.reason, ending.message, fields.startTime ? refreshMs : undefined);
  }

  /** A finished run: never restarted; the token stays revoked, late usage and the last log lines are picked up. */
  async function finished(ctx: ReconcileContext<AgentRun>, fields: Fields): Promise<ReconcileResult> {
    const run = ctx.object;
    const ready = findCondition(run.status?.conditions as never, 'Ready');
    await revokeToken(ctx);
    const recent = fields.completionTime !== undefined && ctx.now().getTime() - Date.parse(fields.completionTime) < LATE_USAGE_MS;
    if (fields.startTime && recent) {
      const pod = ctx.cache.get<PodObj>(PODS, run.metadata.namespace, podName(run.metadata.name!));
      const counts = agentLogReadable(observePod(pod)) ? await captureTranscript(ctx, fields) : undefined;
      fields.usage = usageStatus(fields.usage, await routerUsage(ctx), counts ?? {});
    }
    ctx.setStatus(fields);
    const reason = ready?.reason ?? fields.phase!;
    const message = ready?.message ?? `the run ended ${fields.phase}`;
    const requeueAfterMs = recent ? refreshMs : undefined;
    if (fields.phase === 'Succeeded') return { outcome: { kind: 'ready', reason, message }, ...(requeueAfterMs ? { requeueAfterMs } : {}) };
    return stalled(reason, message, requeueAfterMs);
  }

  async function running(ctx: ReconcileContext<AgentRun>, fields: Fields, limits: RunLimits): Promise<ReconcileResult> {
    // The run's issue may have become known since its token Secret was made: the github tool needs it.
    await syncGitHubToolAnnotation(ctx);
    if (fields.runtime?.engine === 'kubevirt') return vm.running(ctx, fields, limits, { finish, usage: await routerUsage(ctx) });
    const run = ctx.object;
    const pod = await livePod(ctx);
    const obs = observePod(pod);
    const usage = await routerUsage(ctx);
    const cancel = run.spec?.cancel === true;
    const name = podName(run.metadata.name!);
    const ending = podEnding({ pod: obs, termination: parseTermination(obs.state === 'present' ? obs.terminated?.message : undefined), limits, cancel, podName: name });
    if (ending) {
      refreshedAt.delete(ctx.key);
      const termination = parseTermination(obs.state === 'present' ? obs.terminated?.message : undefined);
      const counts = agentLogReadable(obs) ? await captureTranscript(ctx, fields) : undefined;
      return finish(ctx, fields, ending, { result: termination?.result, counts: { turns: termination?.turns ?? counts?.turns, toolCalls: termination?.toolCalls ?? counts?.toolCalls, toolErrors: termination?.toolErrors ?? counts?.toolErrors }, usage });
    }
    const stop = obs.state === 'present' && !obs.deleting ? stopVerdict({ cancel, limits, routerTokens: usage?.totalTokens, startTime: fields.startTime, now: ctx.now() }) : undefined;
    // The transcript and counts every refreshMs, not on each pod change or router flush; at once
    // when the run is stopped, and while the pod terminates (deleted, evicted): its log is served
    // until it is gone, and an interrupted run keeps the turns and transcript read here
    // (docs/agents.md "Interruption"). Not while the pod is Pending: the agent has written nothing yet.
    const refresh = midRunRefresh(refreshedAt.get(ctx.key), fields.startTime, ctx.now().getTime(), refreshMs);
    const read = stop !== undefined || refresh.due || (obs.state === 'present' && obs.deleting);
    if (read) refreshedAt.set(ctx.key, ctx.now().getTime());
    const counts = read && agentLogReadable(obs) ? await captureTranscript(ctx, fields) : undefined;
    if (stop) {
      refreshedAt.delete(ctx.key);
      // SIGTERM with the pod's grace period: the runner stops after its current call.
      await ctx.deleteChild(PODS, run.metadata.namespace, name);
      return finish(ctx, fields, stop, { counts, usage });
    }
    if (read) fields.usage = usageStatus(fields.usage, usage, counts ?? {});
    // The API server's addresses may change under a running run (a control-plane node replaced).
    if (obs.state === 'present' && !obs.deleting && kubernetesToolAccess(run.spec, run.metadata.namespace!)) {
      await ctx.apply(NETWORK_POLICIES, desiredAgentNetworkPolicy(run, router, await apiServerEgress(ctx)));
    }
    ctx.setStatus(fields);
    const waiting = obs.state === 'present' && obs.deleting ? `pod ${name} is terminating` : `the agent is working in pod ${name}`;
    return { outcome: { kind: 'progressing', reason: 'Running', message: waiting }, requeueAfterMs: read ? refreshMs : refresh.inMs };
  }

  async function taskText(ctx: ReconcileContext<AgentRun>): Promise<{ ok: true; task: string } | { ok: false; message: string }> {
    const spec = ctx.object.spec;
    if (spec.task) return { ok: true, task: spec.task };
    const ref = spec.taskFrom?.configMapKeyRef;
    if (!ref) return { ok: false, message: 'spec.task: set task or taskFrom' };
    try {
      const cm = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, ctx.object.metadata.namespace, ref.name);
      const task = cm.data?.[ref.key];
      if (!task) return { ok: false, message: `spec.taskFrom.configMapKeyRef: ConfigMap ${ref.name} has no key ${JSON.stringify(ref.key)}` };
      return { ok: true, task };
    } catch (err) {
      if (isNotFound(err)) return { ok: false, message: `spec.taskFrom.configMapKeyRef: ConfigMap ${ref.name} not found in namespace ${ctx.object.metadata.namespace}` };
      throw new TransientError('TaskReadFailed', `reading ConfigMap ${ref.name}: ${(err as Error).message}`);
    }
  }

  /** Creates the children and the pod; the run is Running from here on (startTime marks it). */
  async function start(ctx: ReconcileContext<AgentRun>, fields: Fields, input: { lane: string; limits: RunLimits; task: string; runtime: RuntimeChoice; hostDevices?: string[] }): Promise<ReconcileResult> {
    const run = ctx.object;
    const { namespace, name } = run.metadata as { namespace: string; name: string };
    await ctx.apply(CONFIGMAPS, desiredConfigMap(run, runnerConfig(run, input.task, input.limits)));
    if (!ctx.cache.get(SECRETS, namespace, tokenSecretName(name))) {
      // Created, never applied: a second write would replace the token under a running pod.
      try {
        await ctx.client.create(SECRETS, desiredChild(run, SECRETS, desiredTokenSecret(run, newToken(), input)));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    const access = kubernetesToolAccess(run.spec, namespace);
    if (access) {
      const objs = desiredAccess(run, access);
      await ctx.apply(SERVICE_ACCOUNTS, objs.serviceAccount);
      for (const o of objs.owned) await ctx.apply(o.kind === 'Role' ? ROLES : ROLE_BINDINGS, o);
      for (const o of objs.foreign) await ctx.client.apply(o.kind === 'Role' ? ROLES : ROLE_BINDINGS, o, fieldManager('agentrun'));
    }
    await ctx.apply(NETWORK_POLICIES, desiredAgentNetworkPolicy(run, router, access ? await apiServerEgress(ctx) : []));
    if (input.runtime.engine === 'kubevirt') {
      await vm.create(ctx, { limits: input.limits, hostDevices: input.hostDevices ?? [] });
    } else if (!ctx.cache.get(PODS, namespace, podName(name))) {
      // A pod's spec is immutable: applied only while it does not exist (same name every time).
      await ctx.apply(PODS, desiredPod(run, { limits: input.limits, routerUrl, image: run.spec.runtime?.image || opts.runnerImage, kubernetesTool: access !== undefined, runtimeClassName: input.runtime.runtimeClassName }));
    }
    fields.phase = 'Running';
    fields.startTime = rfc3339(ctx.now());
    fields.podName = podName(name);
    fields.runtime = { ...input.runtime };
    fields.transcriptRef = { configMapName: transcriptConfigMapName(name), key: TRANSCRIPT_KEY };
    fields.usage = usageStatus(fields.usage, undefined, {});
    ctx.setStatus(fields);
    const where = input.runtime.engine === 'kubevirt' ? `VirtualMachineInstance ${podName(name)}` : `pod ${podName(name)}`;
    ctx.event('Normal', 'Started', `started ${where} in lane ${input.lane}`);
    return { outcome: { kind: 'progressing', reason: 'Running', message: `the agent is working in ${where}` }, requeueAfterMs: input.runtime.engine === 'kubevirt' ? Math.min(refreshMs, 5_000) : refreshMs };
  }

  // The issue (spec.issueTracker / spec.github) is read before each reconcile and follows it after (issue-sync.ts).
  return issues.wrap({
    name: 'agentrun',
    forget(key) {
      refreshedAt.delete(key);
    },
    for: AGENTRUNS,
    // Most stored runs are history: a finished one is cached without its spec and read live when reconciled.
    finishedCache: { is: (r) => isFinished((r as AgentRun).status?.phase), fields: FINISHED_RUN_FIELDS },
    owns: [PODS, SECRETS, CONFIGMAPS, SERVICE_ACCOUNTS, ROLES, ROLE_BINDINGS, NETWORK_POLICIES],
    // The agent pod's status changes more often than what its run reads of it (phase.ts observePod);
    // the other children's updates all count (drift of what the controller applied).
    ownedChanged: (resource, oldObj, newObj) => resource.plural !== PODS.plural || resource.group !== PODS.group || podObservationChanged(oldObj, newObj),
    // Like ModelServer's: a refresh of every running run shares these workers with new runs
    // (docs/benchmarks.md "AgentRun"); --max-concurrent-reconciles still caps the operator's total.
    maxConcurrentReconciles: 16,
    // While leading: the router's per-run ConfigMaps (usage, reports) of runs that are gone, of every kind.
    // And the router's writes of a run's usage: status.usage follows each flush, not the next refresh.
    start(handle) {
      if (opts.runConfigMapSweep !== false) releaseSweep = acquireRunConfigMapSweep({ client: handle.client, log: handle.log, routerNamespace: router.namespace, ...opts.runConfigMapSweep });
      stopUsageWatch = watchRunUsage({ client: handle.client, log: handle.log, routerNamespace: router.namespace, enqueue: (key) => handle.enqueue(key) });
    },
    async stop() {
      await releaseSweep?.();
      releaseSweep = undefined;
      await stopUsageWatch?.();
      stopUsageWatch = undefined;
    },
    watches: [
      // A namespace's labels decide its lane: runs waiting for one may now start.
      { resource: NAMESPACES, fields: NAMESPACE_FIELDS, map: (ns, cache) => pendingRunsIn(cache, ns.metadata!.name!), predicate: (o, n) => JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(n.metadata?.labels ?? {}) },
      { resource: LANEPOLICIES, fields: LANE_FIELDS, map: (_l, cache) => pendingRunsIn(cache), predicate: (o, n) => o.metadata?.generation !== n.metadata?.generation },
    ],
    async reconcile(ctx) {
      const run = ctx.object;
      const { conditions: _c, observedGeneration: _g, ...stored } = run.status ?? {};
      const fields: Fields = stored;
      if (run.spec?.approval?.required !== false && run.spec?.approval && fields.approval?.decision) {
        // A Kubernetes decision after the issue decided is kept in spec but not used: say so once.
        const ignored = ignoredSpecDecision(run, fields.approval);
        const before = findCondition(run.status?.conditions as never, 'ApprovalRequired') as { message?: string } | undefined;
        if (ignored && !before?.message?.includes(ignored)) ctx.event('Warning', 'ApprovalAlreadyDecided', ignored);
        ctx.setCondition({ type: 'ApprovalRequired', status: 'False', reason: fields.approval.decision, message: `${decidedMessage(fields.approval)}${ignored ? `; ${ignored}` : ''}` });
      }
      if (isFinished(fields.phase)) {
        if (fields.runtime?.engine === 'kubevirt') await vm.cleanup(ctx);
        return finished(ctx, fields);
      }

      const problems = specProblems(run);
      const limits = runLimits(run.spec ?? {});
      if (problems.length > 0 || !limits.ok) {
        if (!fields.startTime) fields.phase = 'Pending';
        ctx.setStatus(fields);
        return stalled(problems[0]?.reason ?? 'InvalidSpec', problems.map((p) => p.message).join('; '));
      }
      if (fields.startTime) return running(ctx, fields, limits.limits);

      const holder = keyHolder(run, ctx.cache.list<AgentRun>(AGENTRUNS, run.metadata.namespace));
      if (holder) {
        return finish(ctx, fields, { phase: 'Failed', reason: 'Duplicate', message: `spec.idempotencyKey: ${JSON.stringify(run.spec.idempotencyKey)} is already used by AgentRun ${holder} in this namespace; this run is not started` }, {});
      }

      // Bound from the cached lanes' selectors; the bound lane itself is read from the API server (cached cut down, cache-fields.ts).
      const bound = laneBinding({ namespace: run.metadata.namespace!, spec: run.spec, lanes: ctx.cache.list(LANEPOLICIES), namespaces: ctx.cache.list(NAMESPACES) });
      const lane = bound.ok ? laneService(bound.lane, await readPrimary(ctx.client, LANEPOLICIES, bound.lane), { spec: run.spec }) : bound;
      if (!lane.ok) {
        fields.phase = 'Pending';
        ctx.setStatus(fields);
        return stalled(lane.reason, lane.message);
      }
      fields.lane = lane.lane;
      if (run.spec.cancel) return finish(ctx, fields, { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel before the agent started' }, {});

      // A verified decision on the issue needs no admission policy (the forge checked the writer).
      const issue = issues.handleOf(ctx);
      const verdict = (issue ? issueVerdict(run, fields.approval, issue.commands, issue.tracker.provider) : undefined)
        ?? approvalVerdict(run, run.spec.approval?.required === false || !run.spec.approval ? 'installed' : await policyState(ctx), ctx.now(), await decisionManagerOf(ctx));
      switch (verdict.kind) {
        case 'policyMissing':
          fields.phase = 'AwaitingApproval';
          ctx.setStatus(fields);
          ctx.setCondition({ type: 'ApprovalRequired', status: 'True', reason: 'ApprovalPolicyMissing', message: verdict.message });
          // The policy may be installed at any time; nothing watches it (a cluster may not serve the API).
          return stalled('ApprovalPolicyMissing', verdict.message, 30_000);
        case 'unverified':
          fields.phase = 'AwaitingApproval';
          ctx.setStatus(fields);
          ctx.setCondition({ type: 'ApprovalRequired', status: 'True', reason: 'ApprovalUnverified', message: verdict.message });
          return stalled('ApprovalUnverified', verdict.message);
        case 'waiting':
          fields.phase = 'AwaitingApproval';
          ctx.setStatus(fields);
          ctx.setCondition({ type: 'ApprovalRequired', status: 'True', reason: 'WaitingForApproval', message: verdict.message });
          if (run.status?.phase !== 'AwaitingApproval') ctx.event('Normal', 'AwaitingApproval', verdict.message);
          return { outcome: { kind: 'progressing', reason: 'WaitingForApproval', message: verdict.message } };
        case 'rejected':
          fields.approval = verdict.record;
          ctx.setCondition({ type: 'ApprovalRequired', status: 'False', reason: 'Rejected', message: decidedMessage(verdict.record) });
          return finish(ctx, fields, { phase: 'Cancelled', reason: 'Rejected', message: `rejected by ${verdict.record.decidedBy}${verdict.record.reason ? `: ${verdict.record.reason}` : ''}` }, {});
        case 'approved':
          fields.approval = verdict.record;
          ctx.setCondition({ type: 'ApprovalRequired', status: 'False', reason: 'Approved', message: decidedMessage(verdict.record) });
          break;
        case 'notRequired':
          break;
      }

      const task = await taskText(ctx);
      if (!task.ok) {
        fields.phase = 'Pending';
        ctx.setStatus(fields);
        // A ConfigMap created later is not watched: look again now and then.
        return stalled('TaskNotFound', task.message, 30_000);
      }
      const runtime = run.spec.runtime?.type === 'vm' ? runtimeVerdict(run.spec, await vmCluster(ctx)) : runtimeVerdict(run.spec, { runtimeClass: false, kubevirt: false });
      if (!runtime.ok) {
        fields.phase = 'Pending';
        ctx.setStatus(fields);
        // A RuntimeClass or KubeVirt installed later is not watched: look again now and then.
        return stalled(runtime.reason, runtime.message, 30_000);
      }
      let hostDevices: string[] = [];
      if (runtime.runtime.engine === 'kubevirt') {
        const admission = await vm.admit(ctx);
        if (!admission.ok) {
          fields.phase = 'Pending';
          ctx.setStatus(fields);
          return stalled(admission.reason, admission.message, 30_000);
        }
        hostDevices = admission.hostDevices;
      }
      return start(ctx, fields, { lane: lane.lane, limits: limits.limits, task: task.task, runtime: runtime.runtime, hostDevices });
    },
  });
}

/** What the manager loads: router location and URL from `agentlab run`'s flags through ControllerDeps. */
export const controller = (deps: ControllerDeps = {}): Controller<AgentRun> => agentRunController({ router: deps.router, routerUrl: deps.routerUrl, runnerImage: deps.runnerImage, vmImage: deps.vmImage, issueTrackers: deps.issueTrackers, issuePollMs: deps.issuePollMs });
