// The runner's inputs: the run config file the AgentRun controller writes (ConfigMap
// `<run>-config`, key run.json, mounted at /agentlab/run) and the pod's environment.
import type { AgentTool } from '../../api/generated/agentrun.js';

export interface RunLimits {
  /** Model calls the agent may make. */
  maxTurns: number;
  /** Prompt plus completion tokens over the whole run, as the model's usage reports them. */
  maxTokens: number;
  /** Wall-clock limit of the run. */
  timeoutSeconds: number;
}

export interface RunnerConfig {
  run: { namespace: string; name: string; uid: string };
  /** The lane's logical model name (e.g. `default`). */
  model: string;
  task: string;
  systemPrompt?: string;
  tools: AgentTool[];
  limits: RunLimits;
  transcript: { includePrompts: boolean };
}

/** The CRD's defaults (spec.limits), applied when the config leaves a limit out. */
export const DEFAULT_LIMITS: RunLimits = { maxTurns: 30, maxTokens: 200_000, timeoutSeconds: 1800 };

export const DEFAULT_SYSTEM_PROMPT =
  'You are an agent running in a sandbox on a Kubernetes cluster. Use the tools you are given to do the task; ' +
  'a tool result with ok: false tells you why a call was refused or failed. When the task is done, answer with a short summary of what you did and found, without calling a tool.';

/** A config file or environment the runner cannot work with; the message names the file and field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks run.json; `source` (the file path) prefixes every error. */
export function parseRunConfig(text: string, source: string): RunnerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${source}: not valid JSON (${(e as Error).message}); the AgentRun controller writes this file from the ConfigMap <run>-config, key run.json`);
  }
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(`${source}: ${field}: ${problem}`);
  };
  if (!isObj(raw)) return fail('(root)', 'must be a JSON object');
  const str = (v: unknown, field: string, required = true): string | undefined => {
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') return fail(field, 'must be a non-empty string');
    return v;
  };
  if (!isObj(raw.run)) return fail('run', 'must be an object with namespace, name and uid');
  const run = { namespace: str(raw.run.namespace, 'run.namespace')!, name: str(raw.run.name, 'run.name')!, uid: str(raw.run.uid, 'run.uid')! };
  const model = str(raw.model, 'model')!;
  const task = str(raw.task, 'task')!;
  const systemPrompt = str(raw.systemPrompt, 'systemPrompt', false);
  const toolsRaw = raw.tools ?? [];
  if (!Array.isArray(toolsRaw)) return fail('tools', 'must be a list (spec.tools of the AgentRun)');
  const tools = toolsRaw.map((t, i) => {
    if (!isObj(t) || typeof t.name !== 'string' || t.name === '') return fail(`tools[${i}].name`, 'must be a non-empty string');
    return t as unknown as AgentTool;
  });
  const limitsRaw = raw.limits ?? {};
  if (!isObj(limitsRaw)) return fail('limits', 'must be an object');
  const limit = (key: keyof RunLimits): number => {
    const v = limitsRaw[key];
    if (v === undefined || v === null) return DEFAULT_LIMITS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return fail(`limits.${key}`, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const transcriptRaw = raw.transcript ?? {};
  if (!isObj(transcriptRaw)) return fail('transcript', 'must be an object');
  if (transcriptRaw.includePrompts !== undefined && typeof transcriptRaw.includePrompts !== 'boolean') return fail('transcript.includePrompts', 'must be true or false');
  return {
    run,
    model,
    task,
    ...(systemPrompt !== undefined ? { systemPrompt } : {}),
    tools,
    limits: { maxTurns: limit('maxTurns'), maxTokens: limit('maxTokens'), timeoutSeconds: limit('timeoutSeconds') },
    transcript: { includePrompts: transcriptRaw.includePrompts === true },
  };
}

export interface RunnerEnv {
  /** Base URL of the lane router; its OpenAI-compatible API is under /v1. */
  routerUrl: string;
  /** The run's router token (Secret `<run>-router-token`, key token). Never printed. */
  token: string;
  configPath: string;
  workspace: string;
  /** HTTP forward proxy for the http tool (the router). */
  egressProxy?: string;
  /** Where the termination message goes (the container's terminationMessagePath). */
  terminationPath: string;
  /**
   * Where the pod's mounts really are, when a node simulator runs the runner as a local process
   * (mount path -> local directory); empty in a container.
   */
  mounts: Record<string, string>;
}

export const ENV = {
  routerUrl: 'AGENTLAB_ROUTER_URL',
  token: 'AGENTLAB_ROUTER_TOKEN',
  config: 'AGENTLAB_RUN_CONFIG',
  workspace: 'AGENTLAB_WORKSPACE',
  egressProxy: 'AGENTLAB_EGRESS_PROXY',
  /** Set by the node simulator, which cannot write /dev/termination-log. */
  terminationPath: 'AGENTLAB_TERMINATION_MESSAGE_PATH',
  /** Set by the node simulator: JSON {"<mountPath>": "<local directory>"} (hack/nodesim/volumes.ts). */
  simMounts: 'AGENTLAB_SIM_MOUNTS',
} as const;

/** Reads the runner's environment; a missing or malformed variable is named in the error. */
export function runnerEnv(env: Record<string, string | undefined>): RunnerEnv {
  const need = (name: string): string => {
    const v = env[name];
    if (v === undefined || v.trim() === '') throw new ConfigError(`environment variable ${name} is not set; the AgentRun controller sets it on the agent container`);
    return v.trim();
  };
  const url = (name: string, v: string): string => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`${name}=${JSON.stringify(v)}: not a URL; expected the lane router's base URL, e.g. http://agentlab-router.agentlab-system.svc:8080`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name}=${JSON.stringify(v)}: must be an http:// or https:// URL`);
    return v.replace(/\/+$/, '');
  };
  const proxy = env[ENV.egressProxy]?.trim();
  const mounts = simMounts(env[ENV.simMounts]);
  return {
    routerUrl: url(ENV.routerUrl, need(ENV.routerUrl)),
    token: need(ENV.token),
    configPath: env[ENV.config]?.trim() || '/agentlab/run/run.json',
    workspace: env[ENV.workspace]?.trim() || '/workspace',
    ...(proxy ? { egressProxy: url(ENV.egressProxy, proxy) } : {}),
    terminationPath: env[ENV.terminationPath]?.trim() || '/dev/termination-log',
    mounts,
  };
}

function simMounts(raw: string | undefined): Record<string, string> {
  if (!raw?.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  if (!isObj(v) || !Object.entries(v).every(([k, p]) => k.startsWith('/') && typeof p === 'string' && p.startsWith('/'))) {
    throw new ConfigError(`${ENV.simMounts}: expected a JSON object of absolute mount paths to absolute local paths`);
  }
  return v as Record<string, string>;
}

/** A path in the pod translated through the simulator's mounts (the longest mount path wins). */
export function localPath(p: string, mounts: Record<string, string>): string {
  const m = Object.keys(mounts).sort((a, b) => b.length - a.length).find((mp) => p === mp || p.startsWith(`${mp}/`));
  return m ? mounts[m] + p.slice(m.length) : p;
}

/** spec.tools with the files tool's paths translated through the simulator's mounts. */
export function localTools(tools: AgentTool[], mounts: Record<string, string>): AgentTool[] {
  if (Object.keys(mounts).length === 0) return tools;
  return tools.map((t) => (t.files ? { ...t, files: { ...t.files, paths: t.files.paths.map((p) => localPath(p, mounts)) } } : t));
}
