/**
 * The LanePolicy spec as the controller and the router use it, read defensively from the raw
 * object. The CRD (crds/lanepolicies.agentlab.dev.yaml) validates at admission; this parser is
 * the second line: it turns whatever is stored into a typed lane or a list of errors naming the
 * field, so a bad object degrades to "this lane is Stalled / refuses requests", never a crash.
 */

import { RUNTIME_PORTS } from '../modelserver/runtime.js';

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: LabelSelectorOperator; values?: string[] }[];
}

export type CloudProviderType = 'anthropic' | 'openai' | 'gemini' | 'openai-compatible';
export type ProviderType = 'ollama' | CloudProviderType;
export type Locality = 'local' | 'cloud';

/** Error classes a lane may fall back on (spec.fallback.onErrors). */
export const FALLBACK_CLASSES = ['Unavailable', 'RateLimited', 'ServerError', 'Timeout'] as const;
export type FallbackClass = (typeof FALLBACK_CLASSES)[number];

export interface SecretKeyRef { name: string; namespace: string; key: string }

export interface LaneProvider {
  /** Stable name used in status, metrics and error messages. */
  name: string;
  /** USD per million tokens; local providers cost nothing unless priced. */
  price?: { input: number; output: number };
  type: ProviderType;
  locality: Locality;
  /**
   * Local ModelServer; the router reaches it through its Service. `type` follows its runtime
   * when parseLaneSpec is given the ModelServers (ollama until then).
   */
  modelServerRef?: { name: string; namespace: string };
  /** Endpoint override (openai-compatible: required; others: for proxies and tests). */
  baseURL?: string;
  secretRef?: SecretKeyRef;
  /** logical model name -> provider model name; '*' maps any logical name. */
  models: Record<string, string>;
}

export type BudgetPeriod = 'Daily' | 'Weekly' | 'Monthly';

/** The parts of a ModelServer that decide how it is spoken to (read as loosely as the lane). */
export interface ModelServerLike {
  spec?: { runtime?: string; models?: { name?: string }[]; vllm?: { extraArgs?: string[] } };
}

/** How the router talks to a ModelServer, decided by its runtime. */
export interface ModelServerAPI {
  /** The wire protocol: Ollama's own API, or the OpenAI-compatible API vLLM serves. */
  type: 'ollama' | 'openai-compatible';
  /** Appended to the Service's URL to form the adapter's base URL (OpenAI's paths start at /v1). */
  basePath: string;
  /** GET path that answers 200 while the server is up (the pod's probes use the same one). */
  healthPath: string;
  /** The model names the server answers to: vLLM's --served-model-name. Undefined for Ollama (any pulled model). */
  servedModels?: string[];
}

/**
 * vLLM's served names as the operator starts it (operators/modelserver/desired.ts): the first
 * spec model, unless spec.vllm.extraArgs passes its own --served-model-name (the later flag
 * wins in vLLM's argument parser; the flag takes one or more names).
 */
function vllmServedModels(spec: NonNullable<ModelServerLike['spec']>): string[] {
  let served = [spec.models?.[0]?.name ?? ''];
  const args = spec.vllm?.extraArgs ?? [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--served-model-name=')) served = [args[i].slice('--served-model-name='.length)];
    else if (args[i] === '--served-model-name') {
      const names: string[] = [];
      while (i + 1 < args.length && !args[i + 1].startsWith('-')) names.push(args[++i]);
      if (names.length > 0) served = names;
    }
  }
  return served.filter((n) => n !== '');
}

/** Ollama: its own API at the Service root. vLLM: the OpenAI-compatible API under /v1, health at /health. */
export function modelServerAPI(ms: ModelServerLike): ModelServerAPI {
  const spec = ms.spec ?? {};
  if (spec.runtime === 'vllm') return { type: 'openai-compatible', basePath: '/v1', healthPath: RUNTIME_PORTS.vllm.health, servedModels: vllmServedModels(spec) };
  return { type: 'ollama', basePath: '', healthPath: RUNTIME_PORTS.ollama.health };
}

/** Finds a ModelServer by namespace and name (the router's and the controller's caches). */
export type ModelServerLookup = (namespace: string, name: string) => ModelServerLike | undefined;

export interface LaneSpec {
  name: string;
  namespaceSelector: LabelSelector;
  allowCloud: boolean;
  providers: LaneProvider[];
  fallback: { on: FallbackClass[]; maxAttempts: number; firstTokenTimeoutMs: number };
  budget: { period: BudgetPeriod; maxCostUSD?: number; maxTokensPerRun?: number; warnAtPercent: number; onExceeded: 'Block' | 'LocalOnly' };
  /** Where requests marked sensitive may go. */
  sensitiveData: 'LocalOnly' | 'AllowCloud';
  /** DenyExternal: a NetworkPolicy per bound namespace; AllowAll (cloud lanes only): none. */
  egress: { policy: 'DenyExternal' | 'AllowAll'; allowCIDRs: string[] };
}

export const DEFAULT_SECRET_KEY = 'apiKey';
export const DEFAULT_MAX_TOKENS = 1024;
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 60_000;

const PROVIDER_TYPES: readonly string[] = ['ollama', 'anthropic', 'openai', 'gemini', 'openai-compatible'];
const PERIODS: readonly string[] = ['Daily', 'Weekly', 'Monthly'];

export type ParseResult = { ok: true; lane: LaneSpec } | { ok: false; errors: string[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Quantities in the CRD are strings ("12.50") or numbers; both are accepted. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function parseDurationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function parseModels(v: unknown, path: string, errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  if (!isObj(v)) {
    errors.push(`${path}: must be a map of logical model name to provider model name`);
    return out;
  }
  for (const [k, m] of Object.entries(v)) {
    if (typeof m !== 'string' || m === '') errors.push(`${path}.${k}: must be a non-empty string`);
    else out[k] = m;
  }
  return out;
}

const KEYLESS: readonly string[] = ['ollama', 'openai-compatible'];

function parseProvider(p: unknown, i: number, errors: string[], modelServer?: ModelServerLookup): LaneProvider | undefined {
  const path = `spec.providers[${i}]`;
  if (!isObj(p)) {
    errors.push(`${path}: must be an object`);
    return undefined;
  }
  if (typeof p.name !== 'string' || p.name === '') {
    errors.push(`${path}.name: required`);
    return undefined;
  }
  const msRef = isObj(p.modelServerRef) ? p.modelServerRef : undefined;
  const cloud = isObj(p.cloud) ? p.cloud : undefined;
  if (!msRef === !cloud) {
    errors.push(`${path}: set exactly one of modelServerRef (a local ModelServer) or cloud (a provider API)`);
    return undefined;
  }
  if ('apiKey' in p || (cloud && 'apiKey' in cloud)) errors.push(`${path}: API keys are never accepted in the spec; use cloud.secretRef`);
  const declared = p.locality === 'local' || p.locality === 'cloud' ? p.locality : undefined;
  const provider: LaneProvider = { name: p.name, type: 'ollama', locality: 'local', models: parseModels(p.models, `${path}.models`, errors) };
  if (msRef) {
    if (typeof msRef.name !== 'string' || typeof msRef.namespace !== 'string') errors.push(`${path}.modelServerRef: needs name and namespace`);
    else {
      provider.modelServerRef = { name: msRef.name, namespace: msRef.namespace };
      const ms = modelServer?.(msRef.namespace, msRef.name);
      if (ms) provider.type = modelServerAPI(ms).type;
    }
    if (declared === 'cloud') errors.push(`${path}.locality: a modelServerRef provider is always local`);
  } else if (cloud) {
    const type = cloud.provider;
    if (typeof type !== 'string' || !PROVIDER_TYPES.includes(type)) {
      errors.push(`${path}.cloud.provider: must be one of ${PROVIDER_TYPES.join(', ')}`);
      return undefined;
    }
    provider.type = type as ProviderType;
    // The big three are cloud by definition: a private lane cannot relabel Anthropic as local.
    if (!KEYLESS.includes(type) && declared === 'local') errors.push(`${path}.locality: ${type} is always cloud; only ollama and openai-compatible endpoints may say local`);
    provider.locality = KEYLESS.includes(type) ? declared ?? (type === 'ollama' ? 'local' : 'cloud') : 'cloud';
    if (typeof cloud.baseURL === 'string') {
      try {
        const u = new URL(cloud.baseURL);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
        provider.baseURL = cloud.baseURL.replace(/\/+$/, '');
      } catch {
        errors.push(`${path}.cloud.baseURL: ${JSON.stringify(cloud.baseURL)} is not an http(s) URL`);
      }
    } else if (KEYLESS.includes(type)) {
      errors.push(`${path}.cloud.baseURL: required for provider ${type}`);
    }
    const ref = cloud.secretRef;
    if (isObj(ref)) {
      if (typeof ref.name !== 'string' || typeof ref.namespace !== 'string') errors.push(`${path}.cloud.secretRef: needs name and namespace (LanePolicy is cluster-scoped)`);
      else provider.secretRef = { name: ref.name, namespace: ref.namespace, key: typeof ref.key === 'string' && ref.key !== '' ? ref.key : DEFAULT_SECRET_KEY };
    } else if (!KEYLESS.includes(type)) {
      errors.push(`${path}.cloud.secretRef: required for provider ${type} (keys come only from Secrets)`);
    }
  }
  if (p.costPerMillionTokens !== undefined) {
    const c = isObj(p.costPerMillionTokens) ? p.costPerMillionTokens : {};
    const input = c.input === undefined ? 0 : num(c.input);
    const output = c.output === undefined ? 0 : num(c.output);
    if (input === undefined || output === undefined || input < 0 || output < 0) errors.push(`${path}.costPerMillionTokens: input and output must be non-negative decimals like "3.00"`);
    else provider.price = { input, output };
  }
  return provider;
}

/**
 * `modelServer` lets a modelServerRef provider speak its server's protocol (vLLM: OpenAI-compatible);
 * without it, or for a ModelServer not (yet) known, the provider is typed ollama.
 */
export function parseLaneSpec(obj: unknown, opts: { modelServer?: ModelServerLookup } = {}): ParseResult {
  const errors: string[] = [];
  const meta = isObj(obj) && isObj(obj.metadata) ? obj.metadata : {};
  const spec = isObj(obj) && isObj(obj.spec) ? obj.spec : undefined;
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (!spec) return { ok: false, errors: ['spec: required'] };

  const namespaceSelector = isObj(spec.namespaceSelector) ? (spec.namespaceSelector as LabelSelector) : undefined;
  if (!namespaceSelector) errors.push('spec.namespaceSelector: required');

  const allowCloud = spec.allowCloud === true;
  const rawProviders = Array.isArray(spec.providers) ? spec.providers : [];
  if (rawProviders.length === 0) errors.push('spec.providers: at least one provider is required');
  const providers: LaneProvider[] = [];
  rawProviders.forEach((p, i) => {
    const parsed = parseProvider(p, i, errors, opts.modelServer);
    if (!parsed) return;
    if (parsed.locality === 'cloud' && !allowCloud) {
      errors.push(`spec.providers[${i}]: cloud provider ${JSON.stringify(parsed.name)} is not allowed when spec.allowCloud is false`);
    }
    if (providers.some((q) => q.name === parsed.name)) errors.push(`spec.providers[${i}].name: duplicate provider name ${JSON.stringify(parsed.name)}`);
    providers.push(parsed);
  });

  const sensitiveData = spec.sensitiveData === 'AllowCloud' ? 'AllowCloud' : 'LocalOnly';
  if (sensitiveData === 'LocalOnly' && providers.length > 0 && !providers.some((p) => p.locality === 'local')) {
    errors.push('spec.providers: sensitiveData is LocalOnly, so at least one provider must be local');
  }

  const fb = isObj(spec.fallback) ? spec.fallback : {};
  const on: FallbackClass[] = [];
  if (Array.isArray(fb.onErrors)) {
    fb.onErrors.forEach((c, i) => {
      if ((FALLBACK_CLASSES as readonly unknown[]).includes(c)) on.push(c as FallbackClass);
      else errors.push(`spec.fallback.onErrors[${i}]: ${JSON.stringify(c)} is not one of ${FALLBACK_CLASSES.join(', ')}`);
    });
  } else {
    on.push(...FALLBACK_CLASSES);
  }
  const maxAttempts = num(fb.maxAttempts) ?? 3;
  const firstTokenTimeoutMs = fb.timeout === undefined ? DEFAULT_FIRST_TOKEN_TIMEOUT_MS : parseDurationMs(fb.timeout);
  if (firstTokenTimeoutMs === undefined) errors.push(`spec.fallback.timeout: ${JSON.stringify(fb.timeout)} is not a duration like "30s"`);

  const b = isObj(spec.budget) ? spec.budget : {};
  const period = b.period === undefined ? 'Monthly' : b.period;
  if (typeof period !== 'string' || !PERIODS.includes(period)) errors.push(`spec.budget.period: must be one of ${PERIODS.join(', ')}`);
  const onExceeded = b.onExceeded === 'Block' ? 'Block' : 'LocalOnly';
  const budget: LaneSpec['budget'] = { period: period as BudgetPeriod, warnAtPercent: num(b.warnAtPercent) ?? 80, onExceeded };
  for (const [k, v] of [['maxCostUSD', b.maxCostUSD], ['maxTokensPerRun', b.maxTokensPerRun]] as const) {
    if (v === undefined) continue;
    const n = num(v);
    if (n === undefined || n < 0) errors.push(`spec.budget.${k}: ${JSON.stringify(v)} is not a non-negative number`);
    else budget[k] = n;
  }

  const eg = isObj(spec.egress) ? spec.egress : {};
  const policy = eg.policy === 'AllowAll' ? 'AllowAll' : 'DenyExternal';
  if (policy === 'AllowAll' && !allowCloud) errors.push('spec.egress.policy: a private lane (allowCloud false) must keep DenyExternal');
  const allowCIDRs = Array.isArray(eg.allowCIDRs) ? eg.allowCIDRs.filter((c): c is string => typeof c === 'string') : [];
  // A private lane's pods reach the router and DNS, nothing else: no LAN exceptions either,
  // since any host outside the cluster could forward traffic onwards.
  if (allowCIDRs.length > 0 && !allowCloud) errors.push('spec.egress.allowCIDRs: a private lane (allowCloud false) may not open egress outside the cluster');

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    lane: {
      name,
      namespaceSelector: namespaceSelector!,
      allowCloud,
      providers,
      fallback: { on, maxAttempts: Math.max(1, Math.floor(maxAttempts)), firstTokenTimeoutMs: firstTokenTimeoutMs! },
      budget,
      sensitiveData,
      egress: { policy: allowCloud ? policy : 'DenyExternal', allowCIDRs },
    },
  };
}
