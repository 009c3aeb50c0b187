// The agent loop: the Vercel AI SDK's streamText tool loop (ADR 0005) over an injected model,
// with the run's tools from the registry and the run's limits as stop conditions.
import { jsonSchema, stepCountIs, streamText, tool, type LanguageModel, type ToolSet } from 'ai';
import { classifyModelError } from './model-errors.js';
import { outputText, type EndReason, type Outcome, type RunnerEvent, type RunSummary } from './output.js';
import type { ToolDefinition, ToolResult } from './tools/registry.js';

export interface LoopTools {
  definitions(): ToolDefinition[];
  /** Never throws: refusals and failures come back as `{ ok: false, error }`. */
  call(name: string, args: unknown): Promise<ToolResult>;
}

export interface LoopLimits {
  maxTurns: number;
  maxTokens: number;
  timeoutMs: number;
}

export interface AgentLoopOptions {
  model: LanguageModel;
  tools: LoopTools;
  systemPrompt: string;
  task: string;
  limits: LoopLimits;
  /** Aborted on SIGTERM: no new call starts, the current one may finish within cancelGraceMs. */
  cancel?: AbortSignal;
  /** How long an in-flight model call may continue after `cancel` (default 3 s, inside the kubelet's grace period). */
  cancelGraceMs?: number;
  /** max_tokens of each model call (the router reserves it against the run's token limit). */
  maxOutputTokens?: number;
  emit(e: RunnerEvent): void;
}

/** How the loop ended, with its counts; `run.ts` adds the start, limit/error and end events. */
export type LoopResult = RunSummary;

const DEFAULT_CANCEL_GRACE_MS = 3_000;

interface Stop {
  outcome: Outcome;
  reason: EndReason;
  message: string;
}

/** Error class names of tool calls the SDK could not parse, as the registry's error codes. */
function invalidCallCode(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  if (name === 'AI_NoSuchToolError') return 'UnknownTool';
  if (name === 'AI_InvalidToolInputError') return 'InvalidArguments';
  return 'Failed';
}

export async function runAgentLoop(o: AgentLoopOptions): Promise<LoopResult> {
  const counts = { turns: 0, toolCalls: 0, toolErrors: 0 };
  let tokens = 0;
  let text = '';
  let lastText = '';
  let lastFinish: string | undefined;
  let modelError: unknown;
  let forced: Stop | undefined; // timeout or an expired cancel grace: the call in flight is aborted
  let cancelRequested = false;
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const forceStop = (s: Stop) => {
    forced ??= s;
    abort.abort();
  };
  timers.push(setTimeout(() => forceStop({ outcome: 'LimitExceeded', reason: 'Timeout', message: `the run reached its timeout of ${Math.round(o.limits.timeoutMs / 1000)}s` }), o.limits.timeoutMs));
  const cancelled: Stop = { outcome: 'Failed', reason: 'Cancelled', message: 'the run was cancelled (SIGTERM)' };
  const onCancel = () => {
    cancelRequested = true;
    timers.push(setTimeout(() => forceStop(cancelled), o.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS));
  };
  if (o.cancel?.aborted) onCancel();
  else o.cancel?.addEventListener('abort', onCancel, { once: true });

  const tools: ToolSet = {};
  for (const d of o.tools.definitions()) {
    tools[d.name] = tool({
      description: d.description,
      // The registry checks arguments against this schema (operators/schema), so the SDK does not.
      inputSchema: jsonSchema<Record<string, unknown>>(d.parameters as Parameters<typeof jsonSchema>[0]),
      execute: async (input): Promise<ToolResult> =>
        cancelRequested ? { ok: false, error: { code: 'Failed', message: 'the run is being cancelled; the call was not made' } } : o.tools.call(d.name, input),
    });
  }

  // Once the loop has returned (a forced stop does not wait for a tool still running), nothing more is emitted.
  let closed = false;
  const emit = (e: RunnerEvent) => {
    if (!closed) o.emit(e);
  };
  const flushText = () => {
    if (text.trim() !== '') {
      emit({ type: 'assistant', turn: counts.turns, text });
      lastText = text;
    }
    text = '';
  };
  const invalid = new Map<string, string>();

  const consume = async () => {
    const result = streamText({
      model: o.model,
      system: o.systemPrompt,
      prompt: o.task,
      tools,
      maxRetries: 0, // the router already falls back between providers; a 429 must not be retried
      ...(o.maxOutputTokens !== undefined ? { maxOutputTokens: o.maxOutputTokens } : {}),
      abortSignal: abort.signal,
      stopWhen: [stepCountIs(o.limits.maxTurns), () => tokens >= o.limits.maxTokens, () => cancelRequested],
      // A turn is a model call made, counted before it is sent (one that fails or is cut off counts).
      prepareStep: () => {
        counts.turns += 1;
        return undefined;
      },
      onError: () => {}, // errors arrive as 'error' parts below
    });
    for await (const part of result.fullStream) {
      switch (part.type) {
        case 'start-step':
          text = '';
          break;
        case 'text-delta':
          text += part.text;
          break;
        case 'tool-call':
          flushText();
          counts.toolCalls += 1;
          if ((part as { invalid?: boolean }).invalid) invalid.set(part.toolCallId, invalidCallCode((part as { error?: unknown }).error));
          emit({ type: 'tool_call', turn: counts.turns, id: part.toolCallId, name: part.toolName, args: outputText(part.input) });
          break;
        case 'tool-result': {
          const r = part.output as ToolResult;
          if (r?.ok === true) {
            emit({ type: 'tool_result', turn: counts.turns, id: part.toolCallId, name: part.toolName, ok: true, output: outputText(r.result) });
          } else {
            counts.toolErrors += 1;
            emit({ type: 'tool_result', turn: counts.turns, id: part.toolCallId, name: part.toolName, ok: false, error: r?.error ?? { code: 'Failed', message: outputText(r) } });
          }
          break;
        }
        case 'tool-error':
          counts.toolErrors += 1;
          emit({ type: 'tool_result', turn: counts.turns, id: part.toolCallId, name: part.toolName, ok: false, error: { code: invalid.get(part.toolCallId) ?? 'Failed', message: outputText(part.error) } });
          break;
        case 'finish-step': {
          flushText();
          const u = part.usage;
          tokens += u.totalTokens ?? (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
          lastFinish = part.finishReason;
          break;
        }
        case 'error':
          modelError ??= part.error;
          break;
        default:
          break;
      }
    }
  };
  // A forced stop (timeout, cancel grace over) returns at once: the SDK would wait for a tool
  // call still running (a command up to its own timeout), past the kubelet's grace period.
  const forcedStop = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  const consuming = consume().catch((e: unknown) => {
    if (!forced) modelError ??= e;
  });
  try {
    await Promise.race([consuming, forcedStop]);
  } finally {
    for (const t of timers) clearTimeout(t);
    o.cancel?.removeEventListener('abort', onCancel);
  }
  flushText();
  closed = true;

  const summary = (s: Stop): LoopResult => ({ ...s, result: lastText, ...counts });
  if (forced) return summary(forced);
  if (modelError !== undefined) return summary(classifyModelError(modelError));
  if (cancelRequested) return summary(cancelled);
  if (lastFinish === 'tool-calls') {
    // The model asked for more, and a stop condition ended the loop.
    if (tokens >= o.limits.maxTokens) return summary({ outcome: 'LimitExceeded', reason: 'MaxTokens', message: `the run used ${tokens} tokens, its limit is ${o.limits.maxTokens}` });
    if (counts.turns >= o.limits.maxTurns) return summary({ outcome: 'LimitExceeded', reason: 'MaxTurns', message: `the run reached its limit of ${o.limits.maxTurns} model calls` });
  }
  if (counts.turns === 0) return summary({ outcome: 'Failed', reason: 'ModelError', message: 'the model call ended without an answer' });
  return summary({ outcome: 'Succeeded', reason: 'Completed', message: `answered after ${counts.turns} model call(s) and ${counts.toolCalls} tool call(s)` });
}
