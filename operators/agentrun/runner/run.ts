// One run from config to summary: the start event, the loop, the limit/error and end events.
// I/O is injected (the model, the tools, where lines go), so tests drive it without a process.
import type { LanguageModel } from 'ai';
import { DEFAULT_SYSTEM_PROMPT, localTools, type RunnerConfig, type RunnerEnv } from './config.js';
import { runAgentLoop, type LoopTools } from './loop.js';
import { eventLine, type EndReason, type RunnerEvent, type RunSummary } from './output.js';
import type { KubeReader } from './tools/kubernetes.js';
import { ToolRegistry, toolsForRun } from './tools/registry.js';

export interface RunDeps {
  model: LanguageModel;
  tools: LoopTools;
  /** Receives each stdout line (JSON, newline-terminated). */
  write(line: string): void;
  /** Strings that must never be printed (the router token). */
  secrets: readonly string[];
  now?: () => number;
  cancel?: AbortSignal;
  cancelGraceMs?: number;
}

/**
 * The runner's own deadline: the run's timeout less a margin (10 %, at most 5 s), so that it
 * ends and reports Timeout before the kubelet's activeDeadlineSeconds (the same timeout,
 * counted from the pod's start) kills it.
 */
export function runnerDeadlineMs(timeoutSeconds: number): number {
  const ms = timeoutSeconds * 1000;
  return Math.max(1, ms - Math.min(5_000, Math.floor(ms / 10)));
}

/** Per model call max_tokens: what the router reserves against the run's token limit. */
export const MAX_OUTPUT_TOKENS = 4096;

export function failure(reason: EndReason, message: string): RunSummary {
  return { outcome: 'Failed', reason, message, result: '', turns: 0, toolCalls: 0, toolErrors: 0 };
}

/** The tools the run's spec.tools enables; a tool this runner cannot offer fails the run. */
export async function toolsForConfig(
  config: RunnerConfig,
  env: Pick<RunnerEnv, 'workspace' | 'egressProxy' | 'token'> & Partial<Pick<RunnerEnv, 'mounts' | 'routerUrl'>>,
  /** The API server as the run's ServiceAccount, made (and its client loaded) only when the kubernetes tool is listed. */
  kubernetesApi?: () => KubeReader | Promise<KubeReader>,
): Promise<{ tools: LoopTools } | { failure: RunSummary }> {
  try {
    const kube = kubernetesApi && config.tools.some((t) => t.name === 'kubernetes') ? { kubernetes: { api: await kubernetesApi(), namespace: config.run.namespace } } : {};
    // The http tool's only way out is the router's egress proxy, which knows the run by its token.
    const http = env.egressProxy ? { http: { proxyUrl: env.egressProxy, proxyAuthorization: `Bearer ${env.token}` } } : {};
    // The github tool is served by the router, which acts for the run with the forge token.
    const github = env.routerUrl ? { github: { routerUrl: env.routerUrl, token: env.token } } : {};
    const { tools, notImplemented } = await toolsForRun(localTools(config.tools, env.mounts ?? {}), { workspace: env.workspace, ...http, ...kube, ...github });
    if (notImplemented.length > 0) {
      return { failure: failure('ToolNotImplemented', `spec.tools lists ${notImplemented.join(', ')}, which this agent runner does not provide (or whose settings block is missing); remove it from spec.tools`) };
    }
    return { tools: new ToolRegistry(tools) };
  } catch (e) {
    return { failure: failure('ConfigError', `spec.tools: ${(e as Error).message}`) };
  }
}

/** Emits a start event, runs the loop and emits the closing events; never throws. */
export async function runAgent(config: RunnerConfig, deps: RunDeps): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const emit = (e: RunnerEvent) => deps.write(eventLine(e, deps.secrets));
  emit({
    type: 'start',
    turn: 0,
    run: config.run,
    model: config.model,
    tools: deps.tools.definitions().map((d) => d.name),
    limits: { ...config.limits },
    ...(config.transcript.includePrompts ? { task: config.task, systemPrompt: config.systemPrompt ?? DEFAULT_SYSTEM_PROMPT } : {}),
  });
  let summary: RunSummary;
  try {
    summary = await runAgentLoop({
      model: deps.model,
      tools: deps.tools,
      systemPrompt: config.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
      task: config.task,
      limits: { maxTurns: config.limits.maxTurns, maxTokens: config.limits.maxTokens, timeoutMs: runnerDeadlineMs(config.limits.timeoutSeconds) },
      maxOutputTokens: Math.min(MAX_OUTPUT_TOKENS, config.limits.maxTokens),
      ...(deps.cancel ? { cancel: deps.cancel } : {}),
      ...(deps.cancelGraceMs !== undefined ? { cancelGraceMs: deps.cancelGraceMs } : {}),
      emit,
    });
  } catch (e) {
    summary = failure('RunnerError', `agent loop failed: ${(e as Error)?.message ?? String(e)}`);
  }
  finish(summary, emit, now() - started);
  return summary;
}

/** The limit or error event (when the run did not succeed) and the end event. */
export function finish(summary: RunSummary, emit: (e: RunnerEvent) => void, durationMs: number): void {
  if (summary.outcome === 'LimitExceeded') emit({ type: 'limit', turn: summary.turns, reason: summary.reason, message: summary.message });
  if (summary.outcome === 'Failed') emit({ type: 'error', turn: summary.turns, reason: summary.reason, message: summary.message });
  emit({ type: 'end', turn: summary.turns, outcome: summary.outcome, reason: summary.reason, turns: summary.turns, toolCalls: summary.toolCalls, toolErrors: summary.toolErrors, durationMs });
}
