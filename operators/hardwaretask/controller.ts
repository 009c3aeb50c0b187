import { randomBytes } from 'node:crypto';
import type { HardwareTaskStatus } from '../api/generated/hardwaretask.js';
import { callRouter, ModelCallError, modelCallKey } from '../runtime/router-call.js';
import type { ControllerDeps } from '../manager.js';
import { flowChildName, planHardwareTask } from '../model/graph/index.js';
import type { CacheReader, Controller, ControllerHandle, ReconcileContext } from '../runtime/controller.js';
import { isNotFound, type KubeObject } from '../runtime/kube.js';
import type { ReconcileResult } from '../runtime/outcome.js';
import { TransientError } from '../runtime/outcome.js';
import { analysisRequest, nodeFacts, reportOutputs } from './analysis.js';
import { stepApproval, type ApprovalVerdict } from './approval.js';
import { manifestProblems, runManifests, type Manifest } from './kubernetes-step.js';
import { APPROVAL_POLICY, humanDeadline, humanVerdict, waitingText, type PolicyState } from './human.js';
import { substituteStepOutputs } from './references.js';
import { createIssueTracker, type IssueTrackerFactory } from '../issues/index.js';
import { runDocumentStep, type DocumentFile } from './document-step.js';
import { DEFAULT_ISSUE_POLL_MS, taskIssues, type TaskIssue } from './issue-sync.js';
import { issueCommands } from './issue-commands.js';
import { issueStatusView, milestonesDue } from './issue-view.js';
import { HARDWARETASKS, NAMESPACES, NODES, PODS, SECRETS, VALIDATING_ADMISSION_POLICIES, VALIDATING_ADMISSION_POLICY_BINDINGS } from './resources.js';
import { desiredStepPod, HOST_PATHS, hostAccessRefusal, stepPodName } from './step-pod.js';
import { stepRunResult } from './step-result.js';
import { currentStep, taskOutcome, taskPhase } from './task-status.js';
import type { HardwareStep, HardwareTaskObject as Task, StepStatus } from './types.js';
import { HARDWARETASK_FIELDS, NAMESPACE_FIELDS, NODE_FIELDS } from './cache-fields.js';
import { tokenSecretRunMetadata } from '../model/agentrun/usage.js';

export interface HardwareTaskControllerOptions {
  /** Image of the step runner in check and command pods (ControllerDeps.stepRunnerImage; default STEP_RUNNER_IMAGE). */
  stepRunnerImage?: string;
  /** Base URL of the lane router's API (ControllerDeps.routerUrl); analysis steps fail with a clear message without it. */
  routerUrl?: string;
  /** fetch used for router calls (default global fetch). */
  fetch?: typeof fetch;
  /** Time limit of an analysis step's model call (default 10 minutes). */
  modelTimeoutMs?: number;
  /** Builds the issue tracker of spec.issueTracker / spec.github (ControllerDeps.issueTrackers; default createIssueTracker). */
  issueTrackers?: IssueTrackerFactory;
  /** How often a task with a step waiting for a person or an approval reads its issue (default 15 s). */
  issuePollMs?: number;
}

/** The task's own router token Secret (ADR 0013), used by its analysis steps. */
/** `<task>-router-token-hardwaretask`: not an AgentRun's `<run>-router-token` nor a Flow's `<flow>-router-token-flow`, whatever the names. */
export const taskTokenSecretName = (task: string) => flowChildName(task, 'router-token-hardwaretask');
const REVOKED = 'agentlab.dev/revoked';
/** How long a freshly issued token may be refused (the router learns Secrets from its watch). */
const TOKEN_PROPAGATION_MS = 30_000;
type CallState = { state: 'running' } | { state: 'done'; ok: true; answer: string } | { state: 'done'; ok: false; message: string; transient: boolean };
/** Model calls of an analysis step, at most: a router or model that is not up yet (unreachable, 429, 5xx) is asked again. */
export const MAX_ANALYSIS_CALLS = 8;
/** Wait before call n+1 after a transient failure of call n: 5 s doubling, at most 2 minutes. */
export const analysisRetryDelayMs = (failedCall: number) => Math.min(5000 * 2 ** (failedCall - 1), 120_000);
/** A router answer worth asking again: not reached (0), 429 or a 5xx; a refusal (4xx) is final. */
// 422: the router holds this call's key for another request (the node facts changed while the
// operator was down, ADR 0017); the next call is a new attempt with a new key.
export const transientRouterStatus = (status: number) => status === 0 || status === 422 || status === 429 || status >= 500;

/** Annotation asking the operator to run a failed check or command step again: `<step>` or `<step>@<anything unique>`. */
export const RETRY_ANNOTATION = 'agentlab.dev/retry-step';
/** How long a command step's pod may be missing from the cache after it was created (the watch catching up). */
const POD_APPEAR_MS = 30_000;
/** Longest requeue asked of the runtime: a far deadline is re-checked this often (timers overflow past ~24.8 days). */
export const MAX_REQUEUE_MS = 6 * 3600_000;
const MAX_MESSAGE = 1024;

/** Step types this version runs; the others make the task Stalled when they are reached. */
export const SUPPORTED_STEP_TYPES: readonly string[] = ['analysis', 'human', 'check', 'command', 'kubernetes', 'document'];

const truncate = (text: string, max = MAX_MESSAGE) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);
const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const isDone = (s: StepStatus | undefined) => s?.phase === 'Succeeded' || s?.phase === 'Failed' || s?.phase === 'Skipped';

interface Blocker { reason: string; message: string }

/**
 * The HardwareTask controller: plans the steps (dependsOn waves; an invalid graph is Stalled with
 * the field path) and runs them wave by wave: human steps wait in WaitingForHuman for a verified
 * person, check and command steps run as pods pinned to the task's node, any step can wait for a
 * verified approval first. Step types this version does not run make the task Stalled when reached.
 */
export function hardwareTaskController(opts: HardwareTaskControllerOptions = {}): Controller<Task> {
  /** Model calls of analysis steps in flight or finished, by `<ns>/<task>/<uid>/<step>/<run>`; dropped once recorded in status. */
  const calls = new Map<string, CallState>();
  /** When the next call of an analysis step may start, by `<ns>/<task>/<uid>/<step>` (lost on restart: then at once). */
  const retryAt = new Map<string, number>();
  const tokens = new Map<string, { token: string; issuedAt: number }>();
  let handle: ControllerHandle | undefined;
  /** Late kubectl decisions already told about, by task uid, step and decision. */
  const toldLate = new Set<string>();
  const issues = taskIssues({ factory: opts.issueTrackers ?? createIssueTracker, pollMs: opts.issuePollMs ?? DEFAULT_ISSUE_POLL_MS });
  const callKey = (task: Task, step: string, run: number) => `${task.metadata!.namespace}/${task.metadata!.name}/${task.metadata!.uid}/${step}/${run}`;

  async function taskToken(ctx: ReconcileContext<Task>): Promise<{ token: string; issuedAt: number }> {
    const task = ctx.object;
    const known = tokens.get(task.metadata!.uid!);
    if (known) return known;
    const name = taskTokenSecretName(task.metadata!.name!);
    try {
      const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, task.metadata!.namespace, name);
      const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
      if (token) {
        const entry = { token, issuedAt: Date.parse(String(secret.metadata?.creationTimestamp ?? '')) || Date.now() };
        tokens.set(task.metadata!.uid!, entry);
        return entry;
      }
    } catch (err) {
      if (!isNotFound(err)) throw new TransientError('TokenUnreadable', `cannot read Secret ${name}: ${(err as Error).message}`);
    }
    const token = randomBytes(32).toString('base64url');
    await ctx.apply(SECRETS, tokenSecret(task, token, false));
    const entry = { token, issuedAt: Date.now() };
    tokens.set(task.metadata!.uid!, entry);
    return entry;
  }

  /** Marks the task's token revoked once the task ended (kept, so usage still maps to the task). */
  async function revokeToken(ctx: ReconcileContext<Task>): Promise<void> {
    const task = ctx.object;
    const name = taskTokenSecretName(task.metadata!.name!);
    const cached = ctx.cache.get(SECRETS, task.metadata!.namespace, name);
    if (!cached || cached.metadata?.annotations?.[REVOKED] === 'true') return;
    let token: string;
    try {
      const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, task.metadata!.namespace, name);
      token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    } catch (err) {
      if (isNotFound(err)) return;
      throw new TransientError('TokenUnreadable', `cannot read Secret ${name}: ${(err as Error).message}`);
    }
    await ctx.apply(SECRETS, tokenSecret(task, token, true));
    tokens.delete(task.metadata!.uid!);
  }

  function startCall(ctx: ReconcileContext<Task>, key: string, idempotencyKey: string, request: ReturnType<typeof analysisRequest>, token: { token: string; issuedAt: number }): void {
    calls.set(key, { state: 'running' });
    const taskKey = ctx.key;
    const finish = (state: CallState) => {
      if (calls.get(key)?.state === 'running') calls.set(key, state);
      handle?.enqueue(taskKey);
    };
    void callRouter(request, { url: opts.routerUrl!, token: token.token, idempotencyKey, fetch: opts.fetch, timeoutMs: opts.modelTimeoutMs ?? 10 * 60_000, unauthorizedUntil: token.issuedAt + TOKEN_PROPAGATION_MS })
      .then((a) => finish({ state: 'done', ok: true, answer: a.answer }), (err: unknown) => finish(err instanceof ModelCallError
        ? { state: 'done', ok: false, message: err.message, transient: transientRouterStatus(err.status) }
        : { state: 'done', ok: false, message: `model call failed: ${(err as Error).message}`, transient: true }));
  }

  return {
    name: 'hardwaretask',
    for: HARDWARETASKS,
    cacheFields: HARDWARETASK_FIELDS,
    owns: [PODS, SECRETS],
    start(h) {
      handle = h;
    },
    forget(key) {
      issues.forget(key);
      for (const k of calls.keys()) if (k.startsWith(`${key}/`)) calls.delete(k);
      for (const k of retryAt.keys()) if (k.startsWith(`${key}/`)) retryAt.delete(k);
    },
    watches: [
      // Node facts for analysis steps are read from the cache; a node's change starts nothing.
      { resource: NODES, unrestricted: true, fields: NODE_FIELDS, map: () => [] },
      // A namespace's Pod Security label decides whether a hostAccess step may run.
      { resource: NAMESPACES, fields: NAMESPACE_FIELDS, map: (ns, cache) => tasksIn(cache, ns.metadata!.name!), predicate: (o, n) => JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(n.metadata?.labels ?? {}) },
    ],
    async reconcile(ctx): Promise<ReconcileResult> {
      const task = ctx.object;
      const name = task.metadata!.name!;
      const namespace = task.metadata!.namespace!;
      const spec = task.spec;
      const prev: HardwareTaskStatus = task.status ?? {};
      const now = ctx.now();
      const plan = planHardwareTask(spec);

      if (plan.errors.length > 0) {
        const message = truncate(`invalid step graph: ${plan.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, 32768);
        ctx.setStatus({ phase: 'Pending', steps: [] });
        return { outcome: { kind: 'stalled', reason: 'InvalidGraph', message } };
      }
      // The task's issue: opened or linked, and the verified commands on it (/done, /approve, /reject).
      const issue: TaskIssue | undefined = await issues.open(ctx);
      const commands = issue ? issueCommands(issues, ctx.key, issue, seconds(now)) : undefined;
      const docLinks: { label: string; url: string }[] = [];

      const byName = new Map(spec.steps.map((s, i) => [s.name, { step: s, index: i }]));
      const steps = new Map((prev.steps ?? []).map((s) => [s.name, { ...s }]));
      const fields: Record<string, unknown> = {};

      // A retry of a failed check or command step (Flux's requestedAt pattern: the value is handled once).
      const retry = task.metadata?.annotations?.[RETRY_ANNOTATION];
      if (retry && retry !== prev.lastHandledRetry) {
        const target = retry.split('@')[0];
        const st = steps.get(target);
        const entry = byName.get(target);
        if (st?.phase === 'Failed' && entry && ['check', 'command', 'kubernetes', 'document'].includes(entry.step.type)) {
          steps.set(target, { name: target, attempts: st.attempts, podName: st.podName, phase: 'Pending', message: `retry requested (${retry})` });
          ctx.event('Normal', 'StepRetried', `step ${target}: run ${(st.attempts ?? 0) + 1} requested with ${RETRY_ANNOTATION}=${retry}`);
        } else {
          ctx.event('Warning', 'RetryIgnored', `${RETRY_ANNOTATION}=${retry}: step ${target} is ${st?.phase ?? 'unknown'}; only a failed check, command, kubernetes or document step can be retried`);
        }
        fields.lastHandledRetry = retry;
      } else if (prev.lastHandledRetry) {
        fields.lastHandledRetry = prev.lastHandledRetry;
      }

      let policy: PolicyState | undefined;
      const policyState = async () => (policy ??= await readPolicy(ctx));
      const output = (step: string, key: string) => {
        const st = steps.get(step);
        return st?.phase === 'Succeeded' ? st.outputs?.[key] : undefined;
      };
      let requeueAfterMs: number | undefined;
      const requeue = (ms: number) => {
        requeueAfterMs = Math.max(100, Math.min(requeueAfterMs ?? ms, ms, MAX_REQUEUE_MS));
      };
      let blocker: Blocker | undefined;
      let deadlineMessage: string | undefined;
      let waitingMessage: string | undefined;

      for (const { node: stepName } of plan.waves) {
        const { step, index } = byName.get(stepName)!;
        const prevStep = steps.get(stepName);
        // A kubectl decision after the issue decided: the first decision stands, and kubectl's side is told (an event, once per process).
        const late = step.approval?.decision && (prevStep?.approvedVia === 'github' || prevStep?.approvedVia === 'forgejo') ? `${task.metadata!.uid}/${stepName}/${step.approval.decision}/${step.approval.decidedBy ?? ''}` : undefined;
        if (late && !toldLate.has(late)) {
          if (toldLate.size >= 10_000) toldLate.clear();
          toldLate.add(late);
          ctx.event('Normal', 'ApprovalAlreadyDecided', `step ${stepName}: spec.steps[${byName.get(stepName)!.index}].approval.decision ${step.approval!.decision} by ${step.approval!.decidedBy ?? 'unknown'} changes nothing: ${prevStep!.approvalDecision} by ${prevStep!.approvedBy} via ${prevStep!.approvedVia} came first${prevStep!.approvalURL ? ` (${prevStep!.approvalURL})` : ''}`);
        }
        if (isDone(prevStep)) continue;
        const st: StepStatus = { ...(prevStep ?? { name: stepName }), name: stepName };
        st.phase ??= 'Pending';
        const depsDone = (step.dependsOn ?? []).every((d) => steps.get(d)?.phase === 'Succeeded');
        const failing = [...steps.values()].some((s) => s.phase === 'Failed');
        if (!depsDone || (failing && st.phase === 'Pending')) {
          steps.set(stepName, st);
          continue;
        }
        if (!SUPPORTED_STEP_TYPES.includes(step.type)) {
          st.message = `step type ${step.type} is not supported by this version`;
          blocker ??= { reason: 'UnsupportedStepType', message: `spec.steps[${index}] (${step.name}): step type ${step.type} is not supported by this version; the steps before it ran` };
          steps.set(stepName, st);
          continue;
        }
        const base = `spec.steps[${index}]`;

        // The approval gate, before the step does anything. The first decision wins: one taken on the
        // issue (recorded with approvedVia github/forgejo) stands whatever the spec says later.
        const issueDecided = (st.approvedVia === 'github' || st.approvedVia === 'forgejo') && st.approvalDecision === 'Approved';
        if (step.approval && st.phase !== 'Running' && !issueDecided) {
          let verdict: ApprovalVerdict = stepApproval({ name, namespace }, step, index, st, step.approval.decision ? await policyState() : 'installed', now);
          if (verdict.kind === 'waiting' && issue) verdict = (await commands!.approval(step, stepName)) ?? { ...verdict, message: issue.record ? `${verdict.message}, or comment /approve or /reject <reason> on ${issue.record.url}` : verdict.message };
          if (verdict.kind === 'waiting') {
            if (st.phase !== 'AwaitingApproval') ctx.event('Normal', 'AwaitingApproval', truncate(verdict.message));
            st.phase = 'AwaitingApproval';
            st.message = truncate(verdict.message);
            steps.set(stepName, st);
            continue;
          }
          const via = verdict.kind === 'notRequired' ? undefined : verdict.via ?? 'kubectl';
          if (verdict.kind === 'rejected') {
            Object.assign(st, { phase: 'Failed', approvedBy: verdict.decidedBy, approvedAt: verdict.decidedAt, approvalDecision: 'Rejected', approvedVia: via, ...(verdict.url ? { approvalURL: verdict.url } : {}), finishedAt: seconds(now), message: truncate(verdict.message) });
            ctx.event('Warning', 'StepRejected', `step ${stepName} ${verdict.message}`);
            steps.set(stepName, st);
            continue;
          }
          if (verdict.kind === 'approved' && st.approvalDecision !== 'Approved') {
            Object.assign(st, { approvedBy: verdict.decidedBy, approvedAt: verdict.decidedAt, approvalDecision: 'Approved', approvedVia: via, ...(verdict.url ? { approvalURL: verdict.url } : {}) });
            ctx.event('Normal', 'StepApproved', `step ${stepName} approved by ${verdict.decidedBy} via ${via}${verdict.url ? ` (${verdict.url})` : ''}`);
            if (st.phase === 'AwaitingApproval') st.phase = 'Pending';
          }
        }

        if (step.type === 'human') {
          const instructions = substituteStepOutputs(step.human!.instructions, `${base}.human.instructions`, output);
          if ('error' in instructions) {
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(`${instructions.error.field}: ${instructions.error.message}`) });
            steps.set(stepName, st);
            continue;
          }
          const marked = step.human!.completed === true || task.metadata?.annotations?.['agentlab.dev/complete-step'] === stepName;
          let verdict = humanVerdict({ name, namespace, annotations: task.metadata?.annotations, labels: task.metadata?.labels }, step, index, st, marked ? await policyState() : 'installed', now);
          if (verdict.kind !== 'completed' && issue) {
            const done = st.phase === 'WaitingForHuman' ? await commands!.completion(stepName) : undefined;
            if (done) {
              verdict = { kind: 'completed', record: { completedBy: done.login, completedAt: seconds(now), completedVia: issue.tracker.provider, ...(done.notes ? { notes: done.notes } : {}) } };
              st.completedURL = done.commentUrl;
            } else if (issue.record) {
              verdict = { ...verdict, message: `${verdict.message}, or comment /done ${stepName} [notes] on ${issue.record.url}` };
            }
          }
          if (verdict.kind === 'completed') {
            Object.assign(st, { phase: 'Succeeded', finishedAt: seconds(now), ...verdict.record, message: truncate(`done by ${verdict.record.completedBy} (${verdict.record.completedVia})`) });
            st.startedAt ??= seconds(now);
            st.outputs = { completedBy: verdict.record.completedBy, ...(verdict.record.notes ? { notes: verdict.record.notes.slice(0, 4096) } : {}) };
            delete st.instructions;
            ctx.event('Normal', 'HumanStepCompleted', `step ${stepName} done by ${verdict.record.completedBy} via ${verdict.record.completedVia}${verdict.record.notes ? `: ${truncate(verdict.record.notes, 200)}` : ''}`);
            steps.set(stepName, st);
            continue;
          }
          if (st.phase !== 'WaitingForHuman') {
            st.startedAt = seconds(now);
            ctx.event('Normal', 'WaitingForHuman', `step ${stepName}: ${truncate(instructions.value, 400)}`);
          }
          st.phase = 'WaitingForHuman';
          st.instructions = instructions.value.slice(0, 32768);
          st.message = truncate(verdict.message);
          waitingMessage ??= truncate(`step ${stepName}: ${waitingText(step, instructions.value)}\n\n${verdict.message}`, 32768);
          const deadline = humanDeadline(step, st);
          if (deadline) {
            if (now >= deadline) deadlineMessage ??= `step ${stepName} has waited for a person since ${st.startedAt}, past its deadline ${step.human!.deadline} (${seconds(deadline)})`;
            else requeue(deadline.getTime() - now.getTime());
          }
          steps.set(stepName, st);
          continue;
        }

        if (step.type === 'analysis') {
          const run = st.attempts ?? 1;
          const key = callKey(task, stepName, run);
          const retryKey = `${ctx.key}/${task.metadata!.uid}/${stepName}`;
          const call = calls.get(key);
          if (call?.state === 'done') {
            calls.delete(key);
            if (call.ok) {
              const report = reportOutputs(call.answer);
              Object.assign(st, { phase: 'Succeeded', finishedAt: seconds(now), outputs: report.outputs, message: report.message });
              ctx.event('Normal', 'StepSucceeded', `step ${stepName}: ${report.message}`);
            } else if (call.transient && run < MAX_ANALYSIS_CALLS) {
              const delay = analysisRetryDelayMs(run);
              retryAt.set(retryKey, now.getTime() + delay);
              requeue(delay);
              Object.assign(st, { attempts: run + 1, message: truncate(`model call ${run} of at most ${MAX_ANALYSIS_CALLS} failed: ${call.message}; asking again in ${Math.round(delay / 1000)}s`) });
            } else {
              const message = call.transient ? `model call ${run} of ${MAX_ANALYSIS_CALLS} failed, the last: ${call.message}` : call.message;
              Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(message) });
              ctx.event('Warning', 'StepFailed', truncate(`step ${stepName}: ${message}`));
            }
            steps.set(stepName, st);
            continue;
          }
          if (call?.state === 'running') {
            steps.set(stepName, st);
            continue;
          }
          const waitMs = (retryAt.get(retryKey) ?? 0) - now.getTime();
          if (waitMs > 0) {
            requeue(waitMs);
            steps.set(stepName, st);
            continue;
          }
          retryAt.delete(retryKey);
          // Not started, or started by a process that is gone: a model call only reads, so it is (re)issued.
          if (!opts.routerUrl) {
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: 'the operator has no lane router URL: start it with agentlab run --router-url <url> (the Helm chart sets it to the router Service)' });
            steps.set(stepName, st);
            continue;
          }
          const prompt = substituteStepOutputs(step.analysis!.prompt, `${base}.analysis.prompt`, output);
          if ('error' in prompt) {
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(`${prompt.error.field}: ${prompt.error.message}`) });
            steps.set(stepName, st);
            continue;
          }
          const facts = step.analysis!.includeNodeFacts === false ? undefined : nodeFacts(spec.node, ctx.cache.get(NODES, undefined, spec.node));
          const token = await taskToken(ctx);
          // The same call after an operator restart sends the same key: the router replays the first one.
          startCall(ctx, key, modelCallKey(task.metadata!.uid!, stepName, run), analysisRequest(step, prompt.value, facts), token);
          if (st.phase !== 'Running') ctx.event('Normal', 'StepStarted', `step ${stepName} (analysis): asking model ${step.analysis!.model ?? 'default'} through the namespace's lane`);
          Object.assign(st, { phase: 'Running', attempts: run, startedAt: st.startedAt ?? seconds(now), message: `waiting for model ${step.analysis!.model ?? 'default'}${run > 1 ? ` (call ${run})` : ''}` });
          steps.set(stepName, st);
          continue;
        }

        if (step.type === 'kubernetes') {
          const sa = spec.serviceAccountName;
          if (!sa) {
            st.message = 'waiting for spec.serviceAccountName: a kubernetes step acts as a ServiceAccount of the task\'s namespace';
            blocker ??= { reason: 'ServiceAccountRequired', message: `${base} (${stepName}): a kubernetes step acts as a ServiceAccount of the task's namespace, never as the operator: set spec.serviceAccountName to a ServiceAccount whose RBAC allows these manifests` };
            steps.set(stepName, st);
            continue;
          }
          const manifests = (step.kubernetes!.manifests ?? []) as Manifest[];
          const problems = manifestProblems(manifests, base);
          const action = step.kubernetes!.action ?? 'Apply';
          const r = problems.length > 0 ? { ok: false, done: [], message: problems.join('; ') } : await runManifests(ctx.client, action, manifests, namespace, sa);
          Object.assign(st, { phase: r.ok ? 'Succeeded' : 'Failed', attempts: (st.attempts ?? 0) + 1, startedAt: seconds(now), finishedAt: seconds(now), message: truncate(r.message) });
          st.outputs = { objects: r.done.join(', ').slice(0, 4096) };
          ctx.event(r.ok ? 'Normal' : 'Warning', r.ok ? 'StepSucceeded' : 'StepFailed', truncate(`step ${stepName}: ${r.message}`));
          steps.set(stepName, st);
          continue;
        }

        if (step.type === 'document') {
          const doc = step.document!;
          const files: DocumentFile[] = [];
          let bad: string | undefined;
          doc.files.forEach((f, i) => {
            const r = substituteStepOutputs(f.content, `${base}.document.files[${i}].content`, output);
            if ('error' in r) bad ??= `${r.error.field}: ${r.error.message}`;
            else files.push({ path: f.path, content: r.value });
          });
          const commitMessage = substituteStepOutputs(doc.commitMessage ?? `docs: ${stepName} of HardwareTask ${namespace}/${name} on ${spec.node}`, `${base}.document.commitMessage`, output);
          if ('error' in commitMessage) bad ??= `${commitMessage.error.field}: ${commitMessage.error.message}`;
          if (bad || 'error' in commitMessage) {
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(bad ?? '') });
            steps.set(stepName, st);
            continue;
          }
          const r = await runDocumentStep(issue, step, base, files, commitMessage.value, { namespace, name });
          if (r.kind === 'done') {
            Object.assign(st, { phase: 'Succeeded', attempts: (st.attempts ?? 0) + 1, startedAt: st.startedAt ?? seconds(now), finishedAt: seconds(now), outputs: r.outputs, message: truncate(r.message) });
            docLinks.push(...r.links);
            ctx.event('Normal', 'StepSucceeded', truncate(`step ${stepName}: ${r.message}`));
          } else if (r.kind === 'failed') {
            Object.assign(st, { phase: 'Failed', attempts: (st.attempts ?? 0) + 1, finishedAt: seconds(now), message: truncate(r.message) });
            ctx.event('Warning', 'StepFailed', truncate(`step ${stepName}: ${r.message}`));
          } else {
            st.message = truncate(r.message);
            if (r.kind === 'stalled') blocker ??= { reason: 'IssueTrackerRequired', message: r.message };
          }
          steps.set(stepName, st);
          continue;
        }

        // check and command: one pod per run, pinned to the node.
        const block = (step.check ?? step.command)!;
        if (block.hostAccess) {
          const refusal = hostAccessRefusal(ctx.cache.get(NAMESPACES, undefined, namespace), namespace);
          if (refusal) {
            st.message = truncate(`${base}.${step.type}.hostAccess: ${refusal}`);
            blocker ??= { reason: 'HostAccessForbidden', message: `${base}.${step.type}.hostAccess: ${refusal}` };
            steps.set(stepName, st);
            continue;
          }
        }
        // The pod as the apply answered it, when this reconcile (re)applied it.
        let applied: KubeObject | undefined;
        if (st.phase !== 'Running') {
          const commands: string[] = [];
          let bad: string | undefined;
          block.commands.forEach((c, i) => {
            const r = substituteStepOutputs(c, `${base}.${step.type}.commands[${i}]`, output);
            if ('error' in r) bad ??= `${r.error.field}: ${r.error.message}`;
            else commands.push(r.value);
          });
          if (bad) {
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(bad) });
            steps.set(stepName, st);
            continue;
          }
          const attempt = (st.attempts ?? 0) + 1;
          const pod = desiredStepPod({ task: { name, namespace, node: spec.node }, step, attempt, commands, stepRunnerImage: opts.stepRunnerImage });
          applied = await ctx.apply(PODS, pod);
          Object.assign(st, { phase: 'Running', attempts: attempt, podName: pod.metadata!.name, startedAt: seconds(now), message: `running on node ${spec.node} in pod ${pod.metadata!.name}` });
          delete st.finishedAt;
          delete st.outputs;
          ctx.event('Normal', 'StepStarted', `step ${stepName} (${step.type}) run ${attempt} on node ${spec.node}: pod ${pod.metadata!.name}`);
          if (block.hostAccess) ctx.event('Normal', 'HostAccess', `step ${stepName}: pod ${pod.metadata!.name} runs privileged on node ${spec.node} with the host's ${HOST_PATHS.join(', ')}${step.approval?.decision === 'Approved' ? `, approved by ${step.approval.decidedBy}` : ''}`);
          // No `continue`: the pod can be older than this reconcile and have ended already (created by
          // a reconcile whose status write was lost: the operator killed between the apply and the
          // write, or the write refused). Its end was the last event it will ever send, so its result is
          // read now, below; waiting for an event would leave the step Running for good.
        }
        const podName = stepPodName(name, stepName, st.attempts ?? 1);
        const result = stepRunResult(step, applied ?? ctx.cache.get(PODS, namespace, podName));
        if (result.kind === 'absent') {
          const age = now.getTime() - Date.parse(st.startedAt ?? now.toISOString());
          if (age < POD_APPEAR_MS) {
            requeue(POD_APPEAR_MS - age);
          } else if (step.type === 'command') {
            // Never re-create a command's pod: it may have run. A person decides (retry annotation).
            Object.assign(st, { phase: 'Failed', finishedAt: seconds(now), message: truncate(`pod ${podName} is gone and whether its commands ran is unknown; a command step is never re-run by itself: check the node, then annotate ${RETRY_ANNOTATION}=${stepName}@<any new value> to run it again`) });
            ctx.event('Warning', 'StepFailed', `step ${stepName}: ${st.message}`);
          } else {
            const pod = desiredStepPod({ task: { name, namespace, node: spec.node }, step, attempt: st.attempts ?? 1, commands: block.commands, stepRunnerImage: opts.stepRunnerImage });
            await ctx.apply(PODS, pod);
          }
        } else if (result.kind === 'running') {
          st.message = truncate(`running on node ${spec.node} in pod ${podName}${result.detail ? `: ${result.detail}` : ''}`);
        } else {
          Object.assign(st, { phase: result.kind === 'succeeded' ? 'Succeeded' : 'Failed', finishedAt: seconds(now), outputs: result.outputs, message: truncate(result.message) });
          ctx.event(result.kind === 'succeeded' ? 'Normal' : 'Warning', result.kind === 'succeeded' ? 'StepSucceeded' : 'StepFailed', truncate(`step ${stepName}: ${result.message}`));
        }
        steps.set(stepName, st);
      }

      const list = plan.waves.map((w) => steps.get(w.node) ?? { name: w.node, phase: 'Pending' as const });
      const phase = taskPhase(list);
      const current = currentStep(list);
      Object.assign(fields, { phase, steps: list.map(clean), ...(current ? { currentStep: current } : {}) });
      if (phase === 'Succeeded' || phase === 'Failed') await revokeToken(ctx);
      if (phase !== prev.phase && (phase === 'Succeeded' || phase === 'Failed')) {
        ctx.event(phase === 'Succeeded' ? 'Normal' : 'Warning', phase === 'Succeeded' ? 'TaskSucceeded' : 'TaskFailed', taskOutcome(phase, list).message);
      }
      let issueRequeueMs: number | undefined;
      ctx.setCondition(waitingMessage
        ? { type: 'WaitingForHuman', status: 'True', reason: 'WaitingForHuman', message: waitingMessage }
        : { type: 'WaitingForHuman', status: 'False', reason: 'NoHumanStepWaiting', message: 'no step waits for a person' });
      const approving = list.find((s) => s.phase === 'AwaitingApproval');
      ctx.setCondition(approving
        ? { type: 'ApprovalRequired', status: 'True', reason: 'AwaitingApproval', message: approving.message ?? `step ${approving.name} waits for approval` }
        : { type: 'ApprovalRequired', status: 'False', reason: 'NoApprovalPending', message: 'no step waits for an approval' });
      if (issue) {
        await commands!.answerLeftovers(list);
        const links = [...docLinks, ...list.flatMap((x) => (x.outputs?.commitURL ? x.outputs.commitURL.split(' ').map((url) => ({ label: `documentation commit (${x.name})`, url })) : []))];
        const uniqueLinks = links.filter((l, i) => links.findIndex((m) => m.url === l.url) === i);
        const outcomeNow = blocker && phase !== 'Failed' && phase !== 'Succeeded' ? blocker.message : taskOutcome(phase, list).message;
        const view = issueStatusView(task, list, phase, outcomeNow, uniqueLinks);
        const humanText = (stepName: string) => {
          const entry = byName.get(stepName);
          const st = list.find((x) => x.name === stepName);
          return entry?.step.human ? waitingText(entry.step, st?.instructions ?? entry.step.human.instructions) : undefined;
        };
        const wait = await issues.publish(ctx, issue, { fields, phase, view, milestones: milestonesDue(task, list, phase, humanText) });
        if (wait !== undefined) issueRequeueMs = wait;
      }
      ctx.setStatus(fields);
      if (spec.steps.some((s) => s.human?.deadline)) {
        ctx.setCondition(deadlineMessage
          ? { type: 'HumanDeadlineExceeded', status: 'True', reason: 'DeadlineExceeded', message: deadlineMessage }
          : { type: 'HumanDeadlineExceeded', status: 'False', reason: 'WithinDeadline', message: 'no human step is past its deadline' });
      }
      const outcome = blocker && phase !== 'Failed' && phase !== 'Succeeded' ? { kind: 'stalled' as const, ...blocker } : taskOutcome(phase, list);
      const result: ReconcileResult = { outcome };
      if (requeueAfterMs !== undefined && phase !== 'Succeeded' && phase !== 'Failed') result.requeueAfterMs = requeueAfterMs;
      if (issueRequeueMs !== undefined) result.requeueAfterMs = Math.min(result.requeueAfterMs ?? issueRequeueMs, issueRequeueMs);
      return result;
    },
  };
}

/** Whether the admission policy that verifies completions and approvals is installed (policy and a Deny binding). */
async function readPolicy(ctx: ReconcileContext<Task>): Promise<PolicyState> {
  try {
    await ctx.client.get(VALIDATING_ADMISSION_POLICIES, undefined, APPROVAL_POLICY);
    const binding = await ctx.client.get<KubeObject & { spec?: { policyName?: string; validationActions?: string[] } }>(VALIDATING_ADMISSION_POLICY_BINDINGS, undefined, APPROVAL_POLICY);
    return binding.spec?.policyName === APPROVAL_POLICY && (binding.spec.validationActions ?? []).includes('Deny') ? 'installed' : 'missing';
  } catch (err) {
    if (isNotFound(err)) return 'missing';
    throw new TransientError('ApprovalPolicyReadFailed', `reading ValidatingAdmissionPolicy ${APPROVAL_POLICY}: ${(err as Error).message}`);
  }
}

/** The task's router token Secret (ADR 0013): its requests are the task namespace's, through that namespace's lane. */
function tokenSecret(task: Task, token: string, revoked: boolean): KubeObject {
  const name = task.metadata!.name!;
  // The run's name: a label when it fits one (63 characters), an annotation always (the router reads it first).
  const named = tokenSecretRunMetadata(name);
  const labels: Record<string, string> = { 'agentlab.dev/router-token': 'true', ...named.labels };
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
    metadata: { name: taskTokenSecretName(name), namespace: task.metadata!.namespace, labels, annotations: { ...named.annotations, ...(revoked ? { [REVOKED]: 'true' } : {}) } },
    data: { token: Buffer.from(token).toString('base64') },
  } as KubeObject;
}

function tasksIn(cache: CacheReader, namespace: string): string[] {
  return cache.list<Task>(HARDWARETASKS).filter((t) => t.metadata?.namespace === namespace).map((t) => `${namespace}/${t.metadata!.name}`);
}

/** A step status without undefined values (the API server would drop them and the status would look changed). */
function clean(s: StepStatus): StepStatus {
  return JSON.parse(JSON.stringify(s)) as StepStatus;
}

export const controller = (deps: ControllerDeps = {}): Controller<Task> => hardwareTaskController({
  routerUrl: deps.routerUrl, stepRunnerImage: deps.stepRunnerImage, issueTrackers: deps.issueTrackers, issuePollMs: deps.issuePollMs,
});

export type { HardwareStep };
