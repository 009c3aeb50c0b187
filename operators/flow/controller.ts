import { createHash, randomBytes } from 'node:crypto';
import type { FlowNode, FlowStatus } from '../api/generated/flow.js';
import type { FlowObject as Flow } from './types.js';
import type { ControllerDeps } from '../manager.js';
import { agentRunName, flowDependencies, flowPlanDigest, flowTokenSecretName, outputsConfigMapName, planFlowRun, toolPodName, type FlowPlanEntry } from '../model/graph/index.js';
import type { Controller, ControllerHandle, ReconcileContext } from '../runtime/controller.js';
import { isNotFound, type KubeObject } from '../runtime/kube.js';
import type { ReconcileResult } from '../runtime/outcome.js';
import { TransientError } from '../runtime/outcome.js';
import { flowOutcome, flowPhase, progressOf } from './flow-status.js';
import { paramValues, resolveInputs, substitute, type RunValues } from './inputs.js';
import { modelRequest } from './model-call.js';
import { callRouter, ModelCallError, modelCallKey } from '../runtime/router-call.js';
import { decideNode, isTerminal, truncate, type AttemptResult, type Hold, type NodeStatus } from './node-state.js';
import { MAX_STATUS_OUTPUT, MAX_STATUS_OUTPUTS_TOTAL, modelOutputs, outputsSize, splitForStatus } from './outputs.js';
import { isCutDown } from '../runtime/cache-transform.js';
import { readPrimary } from '../runtime/primary-cache.js';
import { FINISHED_FLOW_FIELDS, isFinishedFlow } from './cache-fields.js';
import { AGENTRUNS, CONFIGMAPS, FLOWS, PODS, SECRETS, VALIDATING_ADMISSION_POLICIES, VALIDATING_ADMISSION_POLICY_BINDINGS } from './resources.js';
import { agentAttemptResult, desiredAgentRun } from './agent-node.js';
import { verifyRequest, verifyResult } from './verify-node.js';
import { flowUsage } from './usage.js';
import { desiredSubflow, flowDepth, subflowAttemptResult } from './subflow-node.js';
import { runUsageConfigMapName, runUsageFromConfigMap, tokenSecretRunMetadata, type RunUsageFigures } from '../model/agentrun/usage.js';
import { DEFAULT_ROUTER } from '../lanepolicy/desiredNetworkPolicy.js';
import type { AgentRunStatus } from '../api/generated/agentrun.js';
import { APPROVAL_POLICY, approvalHowTo, approvalNodeResult, planGateVerdict, type PolicyState } from './approval.js';
import { toolAttemptResult, toolPodObservation } from './tool-attempt.js';
import { desiredToolPod, FLOW_LABEL, MAX_TOOL_INPUT_BYTES, NODE_LABEL } from './tool-pod.js';
import { durationSeconds } from '../model/steps/duration.js';
import { checkSchedule } from './schedule.js';
import { reconcileSchedule } from './scheduled-flow.js';
import { acquireRunConfigMapSweep } from '../agentrun/run-configmap-sweep.js';

export interface FlowControllerOptions {
  /** Base URL of the lane router's API (ControllerDeps.routerUrl); model nodes fail with a clear message without it. */
  routerUrl?: string;
  /** fetch used for router calls (default global fetch). */
  fetch?: typeof fetch;
  /** Image of the step runner in tool pods (default STEP_RUNNER_IMAGE). */
  stepRunnerImage?: string;
  /** First retry delay of a failed node attempt; doubles per attempt (default 1 s, capped at 5 minutes). */
  backoffMs?: number;
  /** Time limit of a model call whose node sets no timeout (default 10 minutes). */
  defaultModelTimeoutMs?: number;
  /** Namespace of the lane router, where it writes run usage ConfigMaps (default DEFAULT_ROUTER's). */
  routerNamespace?: string;
  /** The clock scheduled flows read (default the runtime's); tests move it to reach scheduled times. */
  now?: () => Date;
  /** The sweep of the router's run ConfigMaps whose run is gone, shared with the AgentRun controller (ADR 0016); false turns it off. */
  runConfigMapSweep?: false | { intervalMs?: number; graceMs?: number };
}

/** After a flow ends, how long its usage is re-read (the router and AgentRuns report late usage). */
const USAGE_SETTLE_MS = 2 * 60_000;
const USAGE_REFRESH_MS = 10_000;

const RUN_STARTED: readonly (FlowStatus['phase'])[] = ['Running', 'Succeeded', 'Failed', 'Suspended', 'AwaitingApproval'];
const TOKEN_ANNOTATIONS = { lane: 'agentlab.dev/lane', sensitive: 'agentlab.dev/sensitive', revoked: 'agentlab.dev/revoked' };
/** How long a freshly issued token may be refused (the router learns Secrets from its watch). */
const TOKEN_PROPAGATION_MS = 30_000;

type PlannedFlow = ReturnType<typeof planFlowRun> & { digest?: string };

type CallState = { state: 'running' } | { state: 'done'; result: AttemptResult };

/**
 * The Flow controller: plans every flow (status.plan, planDigest; an invalid graph or a node type
 * this version does not run is Stalled with the field path), stops at phase Planned in mode Plan,
 * and otherwise runs tool nodes as pods (operators/flow/tool-pod.ts) and model nodes as one call
 * through the lane router each, wave after wave, with retries, time limits and typed outputs.
 */
export function flowController(opts: FlowControllerOptions = {}): Controller<Flow> {
  const backoffMs = opts.backoffMs ?? 1000;
  /** Model calls in flight or finished, by `<ns>/<flow>/<uid>/<node>/<attempt>`; dropped once recorded in status. */
  const calls = new Map<string, CallState>();
  /** Router tokens by flow uid, and when each was issued (read from the Secret once per process). */
  const tokens = new Map<string, { token: string; issuedAt: number }>();
  /**
   * The plan of each running flow, by key, with a hash of what it was planned from: planning and
   * digesting a 200-node graph costs ~5 ms, a third of such a flow's reconcile, and a running flow
   * is reconciled once per change of a child's result. Another spec (or name) is planned again;
   * a finished flow's plan is not kept (it is reconciled rarely, and most stored flows are finished).
   */
  const plans = new Map<string, { from: string; planned: PlannedFlow }>();
  let handle: ControllerHandle | undefined;
  let releaseSweep: (() => Promise<void>) | undefined;

  const callKey = (flow: Flow, node: string, attempt: number) => `${flow.metadata!.namespace}/${flow.metadata!.name}/${flow.metadata!.uid}/${node}/${attempt}`;

  async function flowToken(ctx: ReconcileContext<Flow>): Promise<{ token: string; issuedAt: number }> {
    const flow = ctx.object;
    const known = tokens.get(flow.metadata!.uid!);
    if (known) return known;
    const name = flowTokenSecretName(flow.metadata!.name!);
    try {
      const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, flow.metadata!.namespace, name);
      const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
      if (token) {
        const entry = { token, issuedAt: Date.parse(String(secret.metadata?.creationTimestamp ?? '')) || Date.now() };
        tokens.set(flow.metadata!.uid!, entry);
        return entry;
      }
    } catch (err) {
      if (!isNotFound(err)) throw new TransientError('TokenUnreadable', `cannot read Secret ${name}: ${(err as Error).message}`);
    }
    const token = randomBytes(32).toString('base64url');
    await ctx.apply(SECRETS, tokenSecret(flow, token, false));
    const entry = { token, issuedAt: Date.now() };
    tokens.set(flow.metadata!.uid!, entry);
    return entry;
  }

  /** Whether the admission policy that verifies decidedBy is installed with a Deny binding (read on demand). */
  async function policyState(ctx: ReconcileContext<Flow>): Promise<PolicyState> {
    try {
      await ctx.client.get(VALIDATING_ADMISSION_POLICIES, undefined, APPROVAL_POLICY);
      const binding = await ctx.client.get<KubeObject & { spec?: { policyName?: string; validationActions?: string[] } }>(VALIDATING_ADMISSION_POLICY_BINDINGS, undefined, APPROVAL_POLICY);
      return binding.spec?.policyName === APPROVAL_POLICY && (binding.spec.validationActions ?? []).includes('Deny') ? 'installed' : 'missing';
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw new TransientError('ApprovalPolicyReadFailed', `reading ValidatingAdmissionPolicy ${APPROVAL_POLICY}: ${(err as Error).message}`);
    }
  }

  /** What the router counted for the flow's own token (model and verify calls), from its run usage ConfigMap. */
  async function routerUsage(ctx: ReconcileContext<Flow>): Promise<RunUsageFigures | undefined> {
    const flow = ctx.object;
    const ns = opts.routerNamespace ?? DEFAULT_ROUTER.namespace;
    const name = runUsageConfigMapName(flow.metadata!.namespace!, 'Flow', flow.metadata!.name!);
    try {
      // Not an earlier flow's of the same name (another UID).
      return runUsageFromConfigMap(await ctx.client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, ns, name), flow.metadata!.uid);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new TransientError('UsageReadFailed', `reading run usage ConfigMap ${ns}/${name}: ${(err as Error).message}`);
    }
  }

  /**
   * Agent and sub-flow nodes' totalTokens follow their last child's usage: an AgentRun's usage can
   * arrive after it ended (the router's flush), when the node has already succeeded.
   */
  function refreshChildTokens(ctx: ReconcileContext<Flow>, list: NodeStatus[]): NodeStatus[] {
    const flow = ctx.object;
    const types = new Map(flow.spec.nodes.map((n) => [n.id, n.type]));
    return list.map((st) => {
      const type = types.get(st.id);
      if ((type !== 'agent' && type !== 'flow') || !st.attempts || !isTerminal(st.phase)) return st;
      const child = ctx.cache.get(type === 'agent' ? AGENTRUNS : FLOWS, flow.metadata!.namespace, agentRunName(flow.metadata!.name!, st.id, st.attempts)) as (KubeObject & { status?: { usage?: { totalTokens?: number } } }) | undefined;
      const tokens = child?.status?.usage?.totalTokens;
      return tokens !== undefined && tokens > (st.totalTokens ?? 0) ? { ...st, totalTokens: tokens } : st;
    });
  }

  /** status.usage from the child AgentRuns (cache) and the router's count for the flow token. */
  async function usageNow(ctx: ReconcileContext<Flow>, list: readonly NodeStatus[]): Promise<FlowStatus['usage']> {
    const flow = ctx.object;
    const types = new Map(flow.spec.nodes.map((n) => [n.id, n.type]));
    const agentRuns: AgentRunStatus['usage'][] = [];
    const callNodes: NodeStatus[] = [];
    for (const st of list) {
      const type = types.get(st.id);
      if (type === 'flow') {
        for (let a = 1; a <= (st.attempts ?? 0); a++) {
          const child = ctx.cache.get(FLOWS, flow.metadata!.namespace, agentRunName(flow.metadata!.name!, st.id, a)) as Flow | undefined;
          agentRuns.push(child?.status?.usage);
        }
      } else if (type === 'agent') {
        for (let a = 1; a <= (st.attempts ?? 0); a++) {
          const run = ctx.cache.get(AGENTRUNS, flow.metadata!.namespace, agentRunName(flow.metadata!.name!, st.id, a)) as (KubeObject & { status?: AgentRunStatus }) | undefined;
          agentRuns.push(run?.status?.usage ?? (a === st.attempts && st.totalTokens ? { totalTokens: st.totalTokens } : undefined));
        }
      } else if ((type === 'model' || type === 'verify') && (st.attempts ?? 0) > 0) {
        callNodes.push(st);
      }
    }
    const router = callNodes.length > 0 ? await routerUsage(ctx) : undefined;
    return flowUsage({ agentRuns, router, callNodes });
  }

  /** Marks the flow's token revoked once the run ended (kept, so usage still maps to the flow). */
  async function revokeToken(ctx: ReconcileContext<Flow>): Promise<void> {
    const flow = ctx.object;
    const name = flowTokenSecretName(flow.metadata!.name!);
    const cached = ctx.cache.get(SECRETS, flow.metadata!.namespace, name);
    if (!cached || cached.metadata?.annotations?.[TOKEN_ANNOTATIONS.revoked] === 'true') return;
    let token: string;
    try {
      const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, flow.metadata!.namespace, name);
      token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    } catch (err) {
      if (isNotFound(err)) return;
      throw new TransientError('TokenUnreadable', `cannot read Secret ${name}: ${(err as Error).message}`);
    }
    await ctx.apply(SECRETS, tokenSecret(flow, token, true));
    tokens.delete(flow.metadata!.uid!);
  }

  function startModelCall(ctx: ReconcileContext<Flow>, attempt: number, node: FlowNode, request: ReturnType<typeof modelRequest>, token: { token: string; issuedAt: number }, toResult: (answer: string, totalTokens: number) => AttemptResult): void {
    const key = callKey(ctx.object, node.id, attempt);
    calls.set(key, { state: 'running' });
    const flowKey = ctx.key;
    const timeoutMs = node.timeout ? durationSeconds(node.timeout) * 1000 : opts.defaultModelTimeoutMs ?? 10 * 60_000;
    const finish = (result: AttemptResult) => {
      if (calls.get(key)?.state === 'running') calls.set(key, { state: 'done', result });
      handle?.enqueue(flowKey);
    };
    // The same attempt after an operator restart sends the same key: the router replays the first call.
    const idempotencyKey = modelCallKey(ctx.object.metadata!.uid!, node.id, attempt);
    void callRouter(request, { url: opts.routerUrl!, token: token.token, idempotencyKey, fetch: opts.fetch, timeoutMs, unauthorizedUntil: token.issuedAt + TOKEN_PROPAGATION_MS })
      .then((answer) => {
        finish(toResult(answer.answer, answer.promptTokens + answer.completionTokens));
      }, (err: unknown) => {
        finish({ kind: 'failed', message: err instanceof ModelCallError ? err.message : `model call failed: ${(err as Error).message}` });
      });
  }

  /** Full output values of succeeded nodes: status outputs, else the node's ConfigMap (read once per reconcile). */
  async function outputReader(ctx: ReconcileContext<Flow>, nodes: Map<string, NodeStatus>): Promise<(id: string) => Promise<Record<string, string>>> {
    const loaded = new Map<string, Record<string, string>>();
    return async (id: string) => {
      const st = nodes.get(id);
      if (!st || st.phase !== 'Succeeded') return {};
      if (!st.outputsRef) return st.outputs as Record<string, string> ?? {};
      if (!loaded.has(id)) {
        try {
          const cm = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, ctx.object.metadata!.namespace, st.outputsRef);
          loaded.set(id, cm.data ?? {});
        } catch (err) {
          throw new TransientError('OutputsUnreadable', `cannot read ConfigMap ${st.outputsRef} with the outputs of node ${id}: ${(err as Error).message}`);
        }
      }
      return loaded.get(id)!;
    };
  }

  /** Values for ${...} of a node: params and the full outputs of the nodes it depends on. */
  async function runValues(ctx: ReconcileContext<Flow>, deps: string[], read: (id: string) => Promise<Record<string, string>>): Promise<RunValues> {
    const outputs = new Map<string, Record<string, string>>();
    for (const d of deps) outputs.set(d, await read(d));
    return { params: paramValues(ctx.object.spec), output: (n, name) => outputs.get(n)?.[name] };
  }

  /** Creates what an attempt needs (tool: its pod; model: the call); a failure to resolve its inputs is returned. */
  async function launch(ctx: ReconcileContext<Flow>, node: FlowNode, index: number, attempt: number, values: RunValues): Promise<AttemptResult | undefined> {
    const flow = ctx.object;
    const base = `spec.nodes[${index}]`;
    const inputs = resolveInputs(node, index, values);
    if ('error' in inputs) return { kind: 'failed', message: `${inputs.error.field}: ${inputs.error.message}`, final: true };
    const withInputs: RunValues = { ...values, inputs: inputs.value };
    const sub = (text: string | undefined, field: string) => (text === undefined ? { value: undefined } : substitute(text, `${base}.${field}`, withInputs));
    if (node.type === 'tool') {
      const size = Object.values(inputs.value).reduce((n, v) => n + Buffer.byteLength(v), 0);
      if (size > MAX_TOOL_INPUT_BYTES) return { kind: 'failed', message: `${base}.inputs: the inputs take ${size} bytes; a tool pod carries at most ${MAX_TOOL_INPUT_BYTES}`, final: true };
      const command: string[] = [];
      const args: string[] = [];
      for (const [list, field, out] of [[node.tool!.command ?? [], 'tool.command', command], [node.tool!.args ?? [], 'tool.args', args]] as const) {
        for (let i = 0; i < list.length; i++) {
          const r = substitute(list[i], `${base}.${field}[${i}]`, withInputs);
          if ('error' in r) return { kind: 'failed', message: `${r.error.field}: ${r.error.message}`, final: true };
          out.push(r.value);
        }
      }
      await ctx.apply(PODS, desiredToolPod({ flow: { name: flow.metadata!.name!, namespace: flow.metadata!.namespace! }, node, attempt, inputs: inputs.value, command, args, stepRunnerImage: opts.stepRunnerImage }));
      return undefined;
    }
    if (node.type === 'approval') {
      const text = sub(node.approval!.message, 'approval.message');
      if ('error' in text) return { kind: 'failed', message: `${text.error.field}: ${text.error.message}`, final: true };
      return { kind: 'awaiting', message: approvalHowTo({ name: flow.metadata!.name!, namespace: flow.metadata!.namespace! }, node, index, text.value) };
    }
    if (node.type === 'flow') {
      const parent = { name: flow.metadata!.name!, namespace: flow.metadata!.namespace!, lane: flow.spec.lane, sensitive: flow.spec.sensitive, depth: flowDepth(flow) };
      const cachedTemplate = ctx.cache.get(FLOWS, parent.namespace, node.flow!.name) as Flow | undefined;
      // A finished template is cached without its spec (cache-fields.ts): read it from the API server.
      const template = cachedTemplate && isCutDown(cachedTemplate) ? await readPrimary<Flow>(ctx.client, FLOWS, `${parent.namespace}/${node.flow!.name}`) : cachedTemplate;
      const child = desiredSubflow({ parent, node, index, name: agentRunName(parent.name, node.id, attempt), template, inputs: inputs.value });
      if ('error' in child) return { kind: 'failed', message: child.error, final: true };
      await ctx.apply(FLOWS, child.flow);
      return undefined;
    }
    if (node.type === 'agent') {
      const task = sub(node.agent!.task, 'agent.task');
      if ('error' in task) return { kind: 'failed', message: `${task.error.field}: ${task.error.message}`, final: true };
      const system = sub(node.agent!.systemPrompt, 'agent.systemPrompt');
      if ('error' in system) return { kind: 'failed', message: `${system.error.field}: ${system.error.message}`, final: true };
      const f = { name: flow.metadata!.name!, namespace: flow.metadata!.namespace!, lane: flow.spec.lane, sensitive: flow.spec.sensitive };
      await ctx.apply(AGENTRUNS, desiredAgentRun({ flow: f, node, name: agentRunName(f.name, node.id, attempt), task: task.value!, systemPrompt: system.value }));
      return undefined;
    }
    // model and verify: one call through the lane router
    if (!opts.routerUrl) {
      return { kind: 'failed', final: true, message: 'the operator has no lane router URL: start it with agentlab run --router-url <url> (the Helm chart sets it to the router Service)' };
    }
    if (node.type === 'verify') {
      const criteria = sub(node.verify!.criteria, 'verify.criteria');
      if ('error' in criteria) return { kind: 'failed', message: `${criteria.error.field}: ${criteria.error.message}`, final: true };
      const { node: target, output } = node.verify!.target;
      const answer = values.output(target, output);
      if (answer === undefined) return { kind: 'failed', final: true, message: `${base}.verify.target: node "${target}" produced no output "${output}"` };
      const token = await flowToken(ctx);
      startModelCall(ctx, attempt, node, verifyRequest(node, criteria.value!, answer), token, (reply, totalTokens) => verifyResult(node, reply, totalTokens));
      return undefined;
    }
    const prompt = sub(node.model!.prompt, 'model.prompt');
    if ('error' in prompt) return { kind: 'failed', message: `${prompt.error.field}: ${prompt.error.message}`, final: true };
    const system = sub(node.model!.system, 'model.system');
    if ('error' in system) return { kind: 'failed', message: `${system.error.field}: ${system.error.message}`, final: true };
    const token = await flowToken(ctx);
    startModelCall(ctx, attempt, node, modelRequest(node, prompt.value!, system.value), token, (answer, totalTokens) => {
      const checked = modelOutputs(node, answer);
      return 'error' in checked ? { kind: 'failed', message: checked.error, final: true } : { kind: 'succeeded', outputs: checked.outputs, totalTokens };
    });
    return undefined;
  }

  function attemptResult(flow: Flow, node: FlowNode, index: number, st: NodeStatus | undefined, cache: ReconcileContext<Flow>['cache'], policy: PolicyState, now: Date): AttemptResult {
    const attempt = st?.attempts ?? 0;
    if (attempt === 0) return { kind: 'absent' };
    if (node.type === 'approval') {
      const decided = Boolean(node.approval?.decision && node.approval.decidedBy);
      if (!decided && st?.phase !== 'AwaitingApproval') return { kind: 'absent' };
      const limit = node.timeout ? durationSeconds(node.timeout) * 1000 : undefined;
      const started = Date.parse(st?.startedAt ?? '');
      const timedOut = limit !== undefined && Number.isFinite(started) && now.getTime() - started >= limit ? node.timeout : undefined;
      return approvalNodeResult(node, index, policy, timedOut);
    }
    if (node.type === 'tool') return toolAttemptResult(node, cache.get(PODS, flow.metadata!.namespace, toolPodName(flow.metadata!.name!, node.id, attempt)));
    if (node.type === 'flow') {
      const childName = agentRunName(flow.metadata!.name!, node.id, attempt);
      return subflowAttemptResult(node, childName, cache.get(FLOWS, flow.metadata!.namespace, childName) as Flow | undefined);
    }
    if (node.type === 'agent') {
      const runName = agentRunName(flow.metadata!.name!, node.id, attempt);
      return agentAttemptResult(node, runName, cache.get(AGENTRUNS, flow.metadata!.namespace, runName));
    }
    const call = calls.get(callKey(flow, node.id, attempt));
    if (!call) return { kind: 'absent' };
    return call.state === 'running' ? { kind: 'running', detail: 'waiting for the model' } : call.result;
  }

  return {
    name: 'flow',
    for: FLOWS,
    // Most stored flows are history: a finished one is cached without its spec and read live when reconciled.
    finishedCache: { is: isFinishedFlow, fields: FINISHED_FLOW_FIELDS },
    owns: [PODS, SECRETS, CONFIGMAPS, AGENTRUNS, FLOWS],
    // A tool pod's result is all the flow reads of it: its other updates requeue nothing (a
    // 200-node flow was reconciled ~5 times per pod, ~18 ms each, for one change of result).
    ownedChanged: (resource, oldObj, newObj) => resource.plural !== PODS.plural || resource.group !== PODS.group || toolPodObservation(oldObj) !== toolPodObservation(newObj),
    start(h) {
      handle = h;
      if (opts.runConfigMapSweep !== false) releaseSweep = acquireRunConfigMapSweep({ client: h.client, log: h.log, routerNamespace: opts.routerNamespace ?? DEFAULT_ROUTER.namespace, ...opts.runConfigMapSweep });
    },
    async stop() {
      await releaseSweep?.();
      releaseSweep = undefined;
    },
    forget(key) {
      for (const k of calls.keys()) if (k.startsWith(`${key}/`)) calls.delete(k);
      plans.delete(key);
    },
    async reconcile(ctx): Promise<ReconcileResult> {
      const flow = ctx.object;
      const name = flow.metadata!.name!;
      const spec = flow.spec;
      const prev: FlowStatus = flow.status ?? {};
      const now = ctx.now();
      const { plan, errors, unsupported, digest } = planOf(ctx.key, name, spec, prev.phase !== 'Succeeded' && prev.phase !== 'Failed');
      const started = RUN_STARTED.includes(prev.phase) && prev.startTime !== undefined;
      const total = spec.nodes.length;

      if (started && prev.planDigest && digest !== prev.planDigest) {
        ctx.setStatus(statusFields(prev));
        const message = `the graph changed after the run started (the run's plan is ${prev.planDigest}, the spec's is ${digest ?? 'invalid'}); a started flow keeps its plan: delete and re-create the Flow to run the new graph`;
        return { outcome: { kind: 'stalled', reason: 'GraphChanged', message } };
      }
      if (errors.length > 0) {
        ctx.setStatus({ phase: 'Pending', progress: `0/${total}`, plan: [] });
        const message = `invalid graph: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
        ctx.setCondition({ type: 'Planned', status: 'False', reason: 'InvalidGraph', message: truncate(message, 32768) });
        return { outcome: { kind: 'stalled', reason: 'InvalidGraph', message: truncate(message, 32768) } };
      }
      const waves = new Set(plan.map((p) => p.wave)).size;
      ctx.setCondition({ type: 'Planned', status: 'True', reason: 'Planned', message: `${plan.length} nodes in ${waves} waves, plan ${digest}` });
      const badSchedule = checkSchedule(spec);
      if (badSchedule) {
        ctx.setStatus({ phase: 'Pending', plan, planDigest: digest });
        return { outcome: { kind: 'stalled', reason: 'InvalidSchedule', message: `${badSchedule.field}: ${badSchedule.message}` } };
      }
      if (unsupported.length > 0) {
        ctx.setStatus({ phase: 'Pending', progress: `0/${total}`, plan, planDigest: digest });
        const message = unsupported.map((e) => `${e.field}: ${e.message}`).join('; ');
        return { outcome: { kind: 'stalled', reason: 'UnsupportedNodeType', message } };
      }
      if (!started && (spec.mode ?? 'Run') === 'Plan') {
        ctx.setStatus({ phase: 'Planned', progress: `0/${total}`, plan, planDigest: digest });
        return { outcome: { kind: 'ready', reason: 'Planned', message: `planned ${plan.length} nodes in ${waves} waves (${digest}); mode Plan runs nothing: set spec.mode to Run to run it` } };
      }
      let gateRecord: FlowStatus['approval'] = prev.approval;
      if (!started && spec.approval?.required) {
        const gate = planGateVerdict({ name, namespace: flow.metadata!.namespace! }, spec, digest!, prev.approval, await policyState(ctx), now);
        const waitingStatus = { phase: 'AwaitingApproval' as const, progress: `0/${total}`, plan, planDigest: digest };
        switch (gate.kind) {
          case 'policyMissing':
            ctx.setStatus(waitingStatus);
            ctx.setCondition({ type: 'ApprovalRequired', status: 'True', reason: 'ApprovalPolicyMissing', message: gate.message });
            return { outcome: { kind: 'stalled', reason: 'ApprovalPolicyMissing', message: gate.message }, requeueAfterMs: 30_000 };
          case 'waiting':
            ctx.setStatus(waitingStatus);
            ctx.setCondition({ type: 'ApprovalRequired', status: 'True', reason: gate.refused ? 'ApprovalRefused' : 'WaitingForApproval', message: truncate(gate.message, 32768) });
            if (gate.refused && prev.conditions?.find((c) => c.type === 'ApprovalRequired')?.message !== truncate(gate.message, 32768)) {
              ctx.event('Warning', 'ApprovalRefused', truncate(`${gate.refused}: approve the current plan`, 1024));
            }
            return { outcome: { kind: 'progressing', reason: gate.refused ? 'ApprovalRefused' : 'WaitingForApproval', message: truncate(gate.message, 32768) } };
          case 'rejected': {
            const message = `plan ${digest} rejected by ${gate.record.decidedBy}${gate.record.reason ? `: ${gate.record.reason}` : ''}`;
            ctx.setStatus({ ...waitingStatus, phase: 'Failed', approval: gate.record, completionTime: prev.completionTime ?? now.toISOString() });
            ctx.setCondition({ type: 'ApprovalRequired', status: 'False', reason: 'Rejected', message });
            if (prev.phase !== 'Failed') ctx.event('Warning', 'PlanRejected', message);
            return { outcome: { kind: 'stalled', reason: 'Rejected', message } };
          }
          case 'approved':
            gateRecord = gate.record;
            ctx.event('Normal', 'PlanApproved', `plan ${digest} approved by ${gate.record.decidedBy}`);
            break;
          default:
            break;
        }
      }
      if (gateRecord?.decision === 'Approved') {
        // Conditions not set in a reconcile are dropped: the approved gate is restated on every one.
        ctx.setCondition({ type: 'ApprovalRequired', status: 'False', reason: 'Approved', message: `plan ${gateRecord.planDigest} approved by ${gateRecord.decidedBy}${gateRecord.reason ? `: ${gateRecord.reason}` : ''}` });
      }
      // A schedule runs nothing itself: each scheduled time creates a child Flow (operators/flow/schedule.ts).
      if (spec.schedule) return reconcileSchedule(ctx, { plan, digest: digest!, approval: gateRecord, now: opts.now?.() ?? now });
      if (prev.phase === 'Succeeded' || prev.phase === 'Failed') {
        await revokeToken(ctx);
        // Usage reported after the end (the router's flush, a child's last read) is still added.
        const ended = prev.startTime ? refreshChildTokens(ctx, prev.nodes ?? []) : prev.nodes;
        const usage = prev.startTime ? await usageNow(ctx, ended ?? []) : prev.usage;
        ctx.setStatus(statusFields({ ...prev, nodes: ended, usage }));
        const result: ReconcileResult = { outcome: flowOutcome(prev.phase, prev.nodes ?? [], plan) };
        const endedAt = Date.parse(prev.completionTime ?? '');
        if (prev.startTime && Number.isFinite(endedAt) && now.getTime() - endedAt < USAGE_SETTLE_MS) result.requeueAfterMs = USAGE_REFRESH_MS;
        return result;
      }

      // Run (or keep running) the plan.
      const policy: PolicyState = spec.nodes.some((n) => n.approval?.decision) ? await policyState(ctx) : 'installed';
      const nodes = new Map((prev.nodes ?? []).map((n) => [n.id, { ...n }]));
      const byId = new Map(spec.nodes.map((n, i) => [n.id, { node: n, index: i }]));
      const deps = flowDependencies(spec);
      const read = await outputReader(ctx, nodes);
      let requeueAfterMs: number | undefined;
      const requeue = (ms: number | undefined) => {
        if (ms !== undefined) requeueAfterMs = Math.max(50, Math.min(requeueAfterMs ?? ms, ms));
      };

      for (const entry of plan) {
        const { node, index } = byId.get(entry.node)!;
        const failing = [...nodes.values()].find((n) => n.phase === 'Failed');
        const hold: Hold = failing ? { kind: 'failing', node: failing.id } : spec.suspend ? { kind: 'suspended' } : { kind: 'none' };
        const st = nodes.get(node.id);
        const decision = decideNode({
          node, status: st, hold, now, backoffMs,
          deps: (deps.get(node.id) ?? []).map((id) => ({ id, phase: nodes.get(id)?.phase })),
          attempt: attemptResult(flow, node, index, st, ctx.cache, policy, now),
        });
        let next = decision.status;
        requeue(decision.requeueAfterMs);
        if (decision.event) ctx.event(decision.event.type, decision.event.reason, decision.event.message);
        const found = decision.run !== undefined ? attemptResult(flow, node, index, next, ctx.cache, policy, now) : undefined;
        if (decision.run !== undefined && found?.kind === 'absent') {
          const values = await runValues(ctx, deps.get(node.id) ?? [], read);
          const failed = await launch(ctx, node, index, decision.run, values);
          if (failed) {
            const d = decideNode({ node, status: next, hold, now, backoffMs, deps: [], attempt: failed });
            next = d.status;
            if (d.event) ctx.event(d.event.type, d.event.reason, d.event.message);
          }
        } else if (found && decision.run !== (st?.attempts ?? 0)) {
          // The attempt just started already has its child: a process killed after creating it and
          // before recording the attempt made it. It may have ended (no event will come): take its result now.
          const d = decideNode({ node, status: next, hold, now, backoffMs, deps: [], attempt: found });
          next = d.status;
          requeue(d.requeueAfterMs);
          if (d.event) ctx.event(d.event.type, d.event.reason, d.event.message);
        }
        if (next.phase === 'Succeeded' && st?.phase !== 'Succeeded') {
          const used = [...nodes.values()].reduce((n, other) => n + (other.id === node.id ? 0 : outputsSize(other.outputs as Record<string, string> | undefined)), 0);
          next = await storeOutputs(ctx, next, MAX_STATUS_OUTPUTS_TOTAL - used);
        }
        if (node.type === 'tool' && next.attempts) next.child = `Pod/${toolPodName(name, node.id, next.attempts)}`;
        if (node.type === 'approval' && next.phase === 'AwaitingApproval') {
          if (node.timeout && next.startedAt) requeue(Date.parse(next.startedAt) + durationSeconds(node.timeout) * 1000 - now.getTime());
          if (policy === 'missing' && node.approval?.decision) requeue(30_000);
        }
        if (node.type === 'agent' && next.attempts) next.child = `AgentRun/${agentRunName(name, node.id, next.attempts)}`;
        if (node.type === 'flow' && next.attempts) next.child = `Flow/${agentRunName(name, node.id, next.attempts)}`;
        nodes.set(node.id, next);
        // A finished call is forgotten only once status records the node as ended (st is what the
        // API server holds): if this reconcile's status write fails, the next one still finds the
        // result here instead of calling the model again.
        if (isTerminal(st?.phase) && (node.type === 'model' || node.type === 'verify')) {
          for (let a = 1; a <= (st?.attempts ?? 0); a++) calls.delete(callKey(flow, node.id, a));
        }
      }

      const list = refreshChildTokens(ctx, plan.map((p) => nodes.get(p.node) ?? { id: p.node, phase: 'Pending' as const }));
      const phase = flowPhase(list, Boolean(spec.suspend));
      const fields: FlowStatus = {
        phase,
        progress: progressOf(list),
        startTime: prev.startTime ?? now.toISOString(),
        plan,
        planDigest: digest,
        nodes: list,
        usage: await usageNow(ctx, list),
        approval: gateRecord,
      };
      if (phase === 'Succeeded' || phase === 'Failed') {
        fields.completionTime = now.toISOString();
        // The token is revoked by the next reconcile, once the API server holds this end: if this
        // status write is lost (a SIGKILL), a model node is called again and needs the token.
        ctx.event(phase === 'Succeeded' ? 'Normal' : 'Warning', phase === 'Succeeded' ? 'FlowSucceeded' : 'FlowFailed', flowOutcome(phase, list, plan).message);
      }
      ctx.setStatus(statusFields(fields));
      const result: ReconcileResult = { outcome: flowOutcome(phase, list, plan) };
      if (requeueAfterMs !== undefined && phase !== 'Succeeded' && phase !== 'Failed') result.requeueAfterMs = requeueAfterMs;
      if (phase === 'Succeeded' || phase === 'Failed') result.requeueAfterMs = USAGE_REFRESH_MS;
      return result;
    },
  };

  function planOf(key: string, name: string, spec: Flow['spec'], keep: boolean): PlannedFlow {
    const from = createHash('sha256').update(name).update('\0').update(JSON.stringify(spec)).digest('base64');
    const known = plans.get(key);
    if (known?.from === from) return known.planned;
    const { plan, errors, unsupported } = planFlowRun(name, spec);
    const planned: PlannedFlow = { plan, errors, unsupported, digest: errors.length === 0 ? flowPlanDigest(spec, plan) : undefined };
    if (keep) plans.set(key, { from, planned });
    else plans.delete(key);
    return planned;
  }

  /** Outputs larger than status allows go to the node's ConfigMap (all of them, so one read gets the set). */
  async function storeOutputs(ctx: ReconcileContext<Flow>, st: NodeStatus, room: number): Promise<NodeStatus> {
    const outputs = (st.outputs ?? {}) as Record<string, string>;
    const { inline, needsConfigMap, overBudget } = splitForStatus(outputs, room);
    if (!needsConfigMap) return st;
    const flow = ctx.object;
    const cmName = outputsConfigMapName(flow.metadata!.name!, st.id);
    await ctx.apply(CONFIGMAPS, {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: cmName, namespace: flow.metadata!.namespace, labels: nodeLabels(flow.metadata!.name!, st.id) },
      data: outputs,
    });
    const large = Object.keys(outputs).filter((k) => !(k in inline));
    const why = overBudget ? `the flow's status holds at most ${MAX_STATUS_OUTPUTS_TOTAL} bytes of outputs: all outputs` : `${large.join(', ')} larger than ${MAX_STATUS_OUTPUT} characters`;
    return { ...st, outputs: inline, outputsRef: cmName, message: truncate(`${st.message ?? 'succeeded'}; ${why}: in ConfigMap ${cmName}`) };
  }
}

function nodeLabels(flow: string, node: string): Record<string, string> {
  const labels: Record<string, string> = { [NODE_LABEL]: node };
  if (flow.length <= 63) labels[FLOW_LABEL] = flow;
  return labels;
}

/** The Flow's router token Secret (ADR 0013): the run label, the lane and sensitivity of the flow. */
function tokenSecret(flow: Flow, token: string, revoked: boolean): KubeObject {
  const name = flow.metadata!.name!;
  // The run's name: a label when it fits one (63 characters), an annotation always (the router reads it first).
  const named = tokenSecretRunMetadata(name);
  const labels: Record<string, string> = { 'agentlab.dev/router-token': 'true', ...named.labels };
  const annotations: Record<string, string> = { ...named.annotations };
  if (flow.spec.lane) annotations[TOKEN_ANNOTATIONS.lane] = flow.spec.lane;
  if (flow.spec.sensitive) annotations[TOKEN_ANNOTATIONS.sensitive] = 'true';
  if (revoked) annotations[TOKEN_ANNOTATIONS.revoked] = 'true';
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
    metadata: { name: flowTokenSecretName(name), namespace: flow.metadata!.namespace, labels, annotations },
    data: { token: Buffer.from(token).toString('base64') },
  } as KubeObject;
}

/** Status fields without undefined values (the API server would drop them and the status would look changed). */
function statusFields(s: FlowStatus): Record<string, unknown> {
  const { conditions: _c, observedGeneration: _g, ...rest } = s;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

export const controller = (deps: ControllerDeps = {}): Controller<Flow> => flowController({ routerUrl: deps.routerUrl, routerNamespace: deps.router?.namespace, stepRunnerImage: deps.stepRunnerImage });

export type { FlowPlanEntry };
