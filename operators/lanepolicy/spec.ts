/**
 * The LanePolicy spec as the controller and the router use it, read defensively from the raw
 * object. The CRD (crds/lanepolicies.agentlab.dev.yaml) validates at admission; this parser is
 * the second line: it turns whatever is stored into a typed lane or a list of errors naming the
 * field, so a bad object degrades to "this lane is Stalled / refuses requests", never a crash.
 */

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: LabelSelectorOperator; values?: string[] }[];
}

export type CloudProviderType = 'anthropic' | 'openai' | 'gemini' | 'openai-compatible';
export type ProviderType = 'ollama' | CloudProviderType;
export type Locality = 'local' | 'cloud';

/** Error classes a lane may fall back on (spec.fallback.on). */
export const FALLBACK_CLASSES = ['ConnectionRefused', 'ServerError', 'RateLimited', 'Timeout'] as const;
export type FallbackClass = (typeof FALLBACK_CLASSES)[number];

export interface SecretKeyRef { name: string; namespace: string; key: string }

export interface LaneProvider {
  /** Stable name used in status, metrics and error messages. */
  name: string;
  type: ProviderType;
  locality: Locality;
  /** Local ModelServer; the router reaches it through its Service. */
  modelServerRef?: { name: string; namespace: string };
  /** Endpoint override (openai-compatible: required; others: for proxies and tests). */
  baseURL?: string;
  secretRef?: SecretKeyRef;
  /** logical model name -> provider model name; '*' maps any logical name. */
  models: Record<string, string>;
}

export interface Price { provider?: string; model: string; inputUSDPerMTok: number; outputUSDPerMTok: number }

export type BudgetPeriod = 'Daily' | 'Weekly' | 'Monthly';

export interface LaneSpec {
  name: string;
  namespaceSelector: LabelSelector;
  allowCloud: boolean;
  providers: LaneProvider[];
  fallback: { on: FallbackClass[]; maxAttempts: number; firstTokenTimeoutMs: number };
  budget: { period: BudgetPeriod; maxCostUSD?: number; maxTokensPerPeriod?: number; maxTokensPerRun?: number; defaultMaxTokens: number };
  prices: Price[];
  egress: { allowedCIDRs: string[] };
  /** Opt-in: lets the router log prompts at debug level for this lane. Never for private lanes. */
  logPrompts: boolean;
}

export const DEFAULT_SECRET_KEY = 'apiKey';
export const DEFAULT_MAX_TOKENS = 1024;
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 30_000;

const CLOUD_TYPES: readonly string[] = ['anthropic', 'openai', 'gemini', 'openai-compatible'];
const PROVIDER_TYPES: readonly string[] = ['ollama', ...CLOUD_TYPES];
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
  if (!Array.isArray(v)) {
    errors.push(`${path}: must be a list of {name, providerModel}`);
    return out;
  }
  v.forEach((m, i) => {
    if (!isObj(m) || typeof m.name !== 'string' || typeof m.providerModel !== 'string') {
      errors.push(`${path}[${i}]: needs string fields name and providerModel`);
      return;
    }
    out[m.name] = m.providerModel;
  });
  return out;
}

function parseProvider(p: unknown, i: number, errors: string[]): LaneProvider | undefined {
  const path = `spec.providers[${i}]`;
  if (!isObj(p)) {
    errors.push(`${path}: must be an object`);
    return undefined;
  }
  const msRef = isObj(p.modelServerRef) ? p.modelServerRef : undefined;
  const type = msRef ? 'ollama' : p.type;
  if (msRef && p.type !== undefined && p.type !== 'ollama') {
    errors.push(`${path}: exactly one of modelServerRef or type must be set`);
    return undefined;
  }
  if (typeof type !== 'string' || !PROVIDER_TYPES.includes(type)) {
    errors.push(`${path}.type: must be one of ${PROVIDER_TYPES.join(', ')} (or set modelServerRef)`);
    return undefined;
  }
  const name = typeof p.name === 'string' && p.name !== '' ? p.name : msRef ? String(msRef.name) : type;
  const baseURL = typeof p.baseURL === 'string' ? p.baseURL : undefined;
  if (baseURL !== undefined) {
    try {
      const u = new URL(baseURL);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      errors.push(`${path}.baseURL: ${JSON.stringify(baseURL)} is not an http(s) URL`);
    }
  }
  if (type === 'openai-compatible' && !baseURL) errors.push(`${path}.baseURL: required for type openai-compatible`);
  if (type === 'ollama' && !msRef && !baseURL) errors.push(`${path}: an ollama provider needs modelServerRef or baseURL`);
  // The big three are cloud by definition, whatever the spec claims: a private lane cannot
  // relabel Anthropic as "local".
  const declared = p.locality === 'local' || p.locality === 'cloud' ? p.locality : undefined;
  const locality: Locality = type === 'anthropic' || type === 'openai' || type === 'gemini' ? 'cloud'
    : type === 'ollama' ? (declared ?? 'local') : (declared ?? 'cloud');
  let secretRef: SecretKeyRef | undefined;
  if (isObj(p.secretRef)) {
    if (typeof p.secretRef.name !== 'string' || typeof p.secretRef.namespace !== 'string') {
      errors.push(`${path}.secretRef: needs name and namespace (LanePolicy is cluster-scoped)`);
    } else {
      secretRef = { name: p.secretRef.name, namespace: p.secretRef.namespace, key: typeof p.secretRef.key === 'string' ? p.secretRef.key : DEFAULT_SECRET_KEY };
    }
  } else if (type === 'anthropic' || type === 'openai' || type === 'gemini') {
    errors.push(`${path}.secretRef: required for type ${type} (keys come only from Secrets)`);
  }
  if ('apiKey' in p) errors.push(`${path}.apiKey: keys are never accepted in the spec; use secretRef`);
  const provider: LaneProvider = {
    name,
    type: type as ProviderType,
    locality,
    models: parseModels(p.models, `${path}.models`, errors),
  };
  if (msRef) {
    if (typeof msRef.name !== 'string' || typeof msRef.namespace !== 'string') errors.push(`${path}.modelServerRef: needs name and namespace`);
    else provider.modelServerRef = { name: msRef.name, namespace: msRef.namespace };
  }
  if (baseURL) provider.baseURL = baseURL.replace(/\/+$/, '');
  if (secretRef) provider.secretRef = secretRef;
  return provider;
}

export function parseLaneSpec(obj: unknown): ParseResult {
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
    const parsed = parseProvider(p, i, errors);
    if (!parsed) return;
    if (parsed.locality === 'cloud' && !allowCloud) {
      errors.push(`spec.providers[${i}]: cloud provider ${JSON.stringify(parsed.name)} is not allowed when spec.allowCloud is false`);
    }
    if (providers.some((q) => q.name === parsed.name)) errors.push(`spec.providers[${i}].name: duplicate provider name ${JSON.stringify(parsed.name)}`);
    providers.push(parsed);
  });

  const fb = isObj(spec.fallback) ? spec.fallback : {};
  const on: FallbackClass[] = [];
  if (Array.isArray(fb.on)) {
    fb.on.forEach((c, i) => {
      if ((FALLBACK_CLASSES as readonly unknown[]).includes(c)) on.push(c as FallbackClass);
      else errors.push(`spec.fallback.on[${i}]: ${JSON.stringify(c)} is not one of ${FALLBACK_CLASSES.join(', ')}`);
    });
  } else {
    on.push(...FALLBACK_CLASSES);
  }
  const maxAttempts = num(fb.maxAttempts) ?? providers.length;
  const firstTokenTimeoutMs = fb.firstTokenTimeout === undefined ? DEFAULT_FIRST_TOKEN_TIMEOUT_MS : parseDurationMs(fb.firstTokenTimeout);
  if (firstTokenTimeoutMs === undefined) errors.push(`spec.fallback.firstTokenTimeout: ${JSON.stringify(fb.firstTokenTimeout)} is not a duration like "30s"`);

  const b = isObj(spec.budget) ? spec.budget : {};
  const period = b.period === undefined ? 'Monthly' : b.period;
  if (typeof period !== 'string' || !PERIODS.includes(period)) errors.push(`spec.budget.period: must be one of ${PERIODS.join(', ')}`);
  const budget: LaneSpec['budget'] = { period: period as BudgetPeriod, defaultMaxTokens: num(b.defaultMaxTokens) ?? DEFAULT_MAX_TOKENS };
  for (const [k, v] of [['maxCostUSD', b.maxCostUSD], ['maxTokensPerPeriod', b.maxTokensPerPeriod], ['maxTokensPerRun', b.maxTokensPerRun]] as const) {
    if (v === undefined) continue;
    const n = num(v);
    if (n === undefined || n < 0) errors.push(`spec.budget.${k}: ${JSON.stringify(v)} is not a non-negative number`);
    else budget[k] = n;
  }

  const prices: Price[] = [];
  if (Array.isArray(spec.prices)) {
    spec.prices.forEach((p, i) => {
      const inP = isObj(p) ? num(p.inputUSDPerMTok) : undefined;
      const outP = isObj(p) ? num(p.outputUSDPerMTok) : undefined;
      if (!isObj(p) || typeof p.model !== 'string' || inP === undefined || outP === undefined) {
        errors.push(`spec.prices[${i}]: needs model, inputUSDPerMTok and outputUSDPerMTok`);
        return;
      }
      prices.push({ model: p.model, inputUSDPerMTok: inP, outputUSDPerMTok: outP, ...(typeof p.provider === 'string' ? { provider: p.provider } : {}) });
    });
  }

  const eg = isObj(spec.egress) ? spec.egress : {};
  const allowedCIDRs = Array.isArray(eg.allowedCIDRs) ? eg.allowedCIDRs.filter((c): c is string => typeof c === 'string') : [];
  if (allowedCIDRs.length > 0 && !allowCloud) errors.push('spec.egress.allowedCIDRs: a lane with allowCloud false may not open egress outside the cluster');
  const logPrompts = spec.logPrompts === true;
  if (logPrompts && !allowCloud) errors.push('spec.logPrompts: prompt logging is not allowed in a private lane');

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
      prices,
      egress: { allowedCIDRs },
      logPrompts,
    },
  };
}
