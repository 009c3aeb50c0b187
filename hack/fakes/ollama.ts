// A fake Ollama server speaking the real wire protocol (https://github.com/ollama/ollama/blob/main/docs/api.md):
// deterministic answers, realistic token counts and durations, streamed NDJSON, fault injection.
import { DEFAULT_CATALOG, modelDigest, modelSize, normalizeModelName, type FakeModel } from './ollama-catalog.js';
import { embeddingFor, scriptedReply, splitIntoChunks, type ScriptRule } from './script.js';
import { estimateTokens, sleep, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export { DEFAULT_CATALOG, normalizeModelName, type FakeModel } from './ollama-catalog.js';

export interface FakeOllamaOptions {
  host?: string;
  port?: number;
  /** The models /api/pull can fetch (default: DEFAULT_CATALOG). */
  catalog?: FakeModel[];
  /** Models already present at start (names from the catalog; `:latest` may be omitted). */
  models?: string[];
  /** Where installed models live; pass the same store to servers that share a model volume. */
  store?: OllamaModelStore;
  /** Scripted answers for chat/generate; unmatched prompts get a deterministic default answer. */
  rules?: ScriptRule[];
  faults?: Faults;
  /** Delay between pull progress lines, in ms (default 2): makes progress observable. */
  pullStepDelayMs?: number;
  /** Reported by /api/version. */
  version?: string;
  /** Receives one server log line per request, in Ollama's (gin) format. */
  log?: (line: string) => void;
}

export interface FakeOllama extends FakeServer {
  /** Names of the models currently present, sorted. */
  installed(): string[];
  /** Replaces the scripted answers (e.g. for a server the node simulator started). */
  setRules(rules: ScriptRule[]): void;
}

const NS_PER_MS = 1_000_000;
const KEEP_ALIVE_MS = 5 * 60_000;

export interface InstalledModel {
  model: FakeModel;
  modifiedAt: Date;
}

/** The models on "disk": servers sharing one store behave like Ollamas sharing a volume. */
export type OllamaModelStore = Map<string, InstalledModel>;

export async function startFakeOllama(opts: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const catalog = new Map((opts.catalog ?? DEFAULT_CATALOG).map((m) => [normalizeModelName(m.name), m]));
  const installed: OllamaModelStore = opts.store ?? new Map();
  for (const name of opts.models ?? []) {
    const model = catalog.get(normalizeModelName(name));
    if (!model) throw new Error(`startFakeOllama: model ${JSON.stringify(name)} is not in the catalog`);
    if (!installed.has(normalizeModelName(name))) installed.set(normalizeModelName(name), { model, modifiedAt: new Date() });
  }
  const loaded = new Map<string, Date>(); // name -> expires at
  let rules = opts.rules ?? [];
  const pullDelay = opts.pullStepDelayMs ?? 2;

  const requireModel = async (ctx: FakeContext, body: Record<string, unknown>): Promise<string | undefined> => {
    const name = typeof body.model === 'string' && body.model ? body.model : typeof body.name === 'string' ? body.name : '';
    if (!name) {
      await ctx.error(400, 'model is required');
      return undefined;
    }
    return normalizeModelName(name);
  };

  const markLoaded = (name: string, keepAlive: unknown): number => {
    const wasLoaded = loaded.has(name);
    const ms = parseKeepAlive(keepAlive);
    if (ms === 0) loaded.delete(name);
    else loaded.set(name, new Date(Date.now() + (ms ?? KEEP_ALIVE_MS)));
    // A cold load of a model from disk takes about a second on a homelab GPU.
    return wasLoaded ? 8 * NS_PER_MS : 1_180 * NS_PER_MS;
  };

  const handlers: Record<string, (ctx: FakeContext, body: Record<string, unknown>) => Promise<void>> = {
    'GET /api/version': (ctx) => ctx.json(200, { version: opts.version ?? '0.12.6' }),
    'GET /api/tags': (ctx) =>
      ctx.json(200, { models: [...installed.values()].sort(byName).map(({ model, modifiedAt }) => listEntry(model, modifiedAt)) }),
    'GET /api/ps': (ctx) => {
      const now = Date.now();
      for (const [n, exp] of loaded) if (exp.getTime() <= now) loaded.delete(n);
      const models = [...loaded.entries()]
        .filter(([n]) => installed.has(n))
        .map(([n, exp]) => {
          const m = installed.get(n)!.model;
          const { modified_at: _drop, ...entry } = listEntry(m, installed.get(n)!.modifiedAt);
          return { ...entry, expires_at: exp.toISOString(), size_vram: modelSize(m) };
        });
      return ctx.json(200, { models });
    },
    'POST /api/show': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const inst = installed.get(name);
      if (!inst) return ctx.error(404, `model '${name}' not found`);
      return ctx.json(200, showResponse(inst.model, inst.modifiedAt));
    },
    'DELETE /api/delete': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      if (!installed.delete(name)) return ctx.error(404, `model '${name}' not found`);
      loaded.delete(name);
      ctx.res.writeHead(200, { 'content-length': 0 });
      ctx.res.end();
    },
    'POST /api/copy': async (ctx, body) => {
      const src = typeof body.source === 'string' ? normalizeModelName(body.source) : '';
      const dst = typeof body.destination === 'string' ? normalizeModelName(body.destination) : '';
      if (!src || !dst) return ctx.error(400, 'source and destination are required');
      const inst = installed.get(src);
      if (!inst) return ctx.error(404, `model "${src}" not found`);
      installed.set(dst, { model: { ...inst.model, name: dst }, modifiedAt: new Date() });
      ctx.res.writeHead(200, { 'content-length': 0 });
      ctx.res.end();
    },
    'POST /api/pull': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const model = catalog.get(name);
      const perModel = ctx.faults.failPullsOf?.[name] ?? 0;
      const failThisPull = perModel > 0 || (ctx.faults.failNextPulls ?? 0) > 0;
      if (perModel > 0) ctx.faults.failPullsOf = { ...ctx.faults.failPullsOf, [name]: perModel - 1 };
      else if (failThisPull) ctx.faults.failNextPulls = (ctx.faults.failNextPulls ?? 0) - 1;
      const lines = pullProgress(model, failThisPull);
      if (body.stream === false) {
        for (let i = 0; i < lines.length; i++) if (pullDelay) await sleep(pullDelay);
        const err = lines.find((l) => 'error' in l);
        if (err) return ctx.json(500, err);
        installed.set(name, { model: { ...model!, name }, modifiedAt: new Date() });
        return ctx.json(200, { status: 'success' });
      }
      const w = ctx.stream('application/x-ndjson');
      for (const line of lines) {
        if (!(await w.write(`${JSON.stringify(line)}\n`))) return;
        if ('status' in line && line.status === 'writing manifest') installed.set(name, { model: { ...model!, name }, modifiedAt: new Date() });
        if (pullDelay) await sleep(pullDelay);
      }
      w.end();
    },
    'POST /api/generate': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const inst = installed.get(name);
      if (!inst) return ctx.error(404, `model "${name}" not found, try pulling it first`);
      if (!inst.model.capabilities.includes('completion')) return ctx.error(400, `"${name}" does not support generate`);
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      const system = typeof body.system === 'string' ? body.system : '';
      const loadNs = markLoaded(name, body.keep_alive);
      if (!prompt) {
        // An empty prompt only loads (or with keep_alive 0, unloads) the model.
        return ctx.json(200, { model: name, created_at: new Date().toISOString(), response: '', done: true, done_reason: body.keep_alive === 0 ? 'unload' : 'load' });
      }
      const reply = scriptedReply(rules, { model: name, messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }], tools: [] });
      const promptTokens = estimateTokens(system + prompt);
      await answer(ctx, body, name, reply.content, [], promptTokens, loadNs, (text, final) => ({
        response: text,
        ...(final ? { context: contextTokens(promptTokens + estimateTokens(reply.content)) } : {}),
      }));
    },
    'POST /api/chat': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const inst = installed.get(name);
      if (!inst) return ctx.error(404, `model "${name}" not found, try pulling it first`);
      if (!inst.model.capabilities.includes('completion')) return ctx.error(400, `"${name}" does not support chat`);
      const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
      const loadNs = markLoaded(name, body.keep_alive);
      if (messages.length === 0) {
        return ctx.json(200, { model: name, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done: true, done_reason: body.keep_alive === 0 ? 'unload' : 'load' });
      }
      const flat = messages.map((m) => ({ role: String(m.role ?? ''), content: typeof m.content === 'string' ? m.content : '' }));
      const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: unknown } }[]).map((t) => String(t.function?.name ?? '')) : [];
      if (tools.length > 0 && !inst.model.capabilities.includes('tools')) return ctx.error(400, `registry.ollama.ai/library/${name} does not support tools`);
      const reply = scriptedReply(rules, { model: name, messages: flat, tools });
      if (reply.delayMs) await sleep(reply.delayMs); // a scripted slow model
      const promptTokens = estimateTokens(flat.map((m) => m.content).join('\n')) + 4 * flat.length;
      const toolCalls = reply.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
      await answer(ctx, body, name, reply.content, toolCalls, promptTokens, loadNs, (text, _final, calls) => ({
        message: { role: 'assistant', content: text, ...(calls.length ? { tool_calls: calls } : {}) },
      }));
    },
    'POST /api/embed': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const inst = installed.get(name);
      if (!inst) return ctx.error(404, `model "${name}" not found, try pulling it first`);
      const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : null;
      if (!inputs) return ctx.error(400, 'invalid input type');
      const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.min(body.dimensions, inst.model.embeddingLength) : inst.model.embeddingLength;
      const loadNs = markLoaded(name, body.keep_alive);
      const promptTokens = inputs.reduce((s, t) => s + estimateTokens(t), 0);
      return ctx.json(200, {
        model: name,
        embeddings: inputs.map((t) => embeddingFor(t, dims)),
        total_duration: loadNs + promptTokens * 200_000 + 3 * NS_PER_MS,
        load_duration: loadNs,
        prompt_eval_count: promptTokens,
      });
    },
    'POST /api/embeddings': async (ctx, body) => {
      const name = await requireModel(ctx, body);
      if (!name) return;
      const inst = installed.get(name);
      if (!inst) return ctx.error(404, `model "${name}" not found, try pulling it first`);
      markLoaded(name, body.keep_alive);
      return ctx.json(200, { embedding: embeddingFor(typeof body.prompt === 'string' ? body.prompt : '', inst.model.embeddingLength) });
    },
  };

  const server = await startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: (_status, message) => ({ error: message }),
    onRequest: opts.log ? (e) => opts.log!(ginLine(e)) : undefined,
    async handle(ctx) {
      const { method, path } = ctx.req;
      if (path === '/' && (method === 'GET' || method === 'HEAD')) {
        ctx.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        ctx.res.end(method === 'HEAD' ? undefined : 'Ollama is running');
        return;
      }
      const handler = handlers[`${method} ${path}`];
      if (!handler) {
        ctx.res.writeHead(404, { 'content-type': 'text/plain' });
        ctx.res.end('404 page not found');
        return;
      }
      if (ctx.req.jsonError !== undefined) return ctx.error(400, ctx.req.jsonError);
      const body = ctx.req.json;
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return ctx.error(400, 'invalid request body: expected a JSON object');
      }
      await handler(ctx, (body ?? {}) as Record<string, unknown>);
    },
  });
  return {
    ...server,
    installed: () => [...installed.keys()].sort(),
    setRules: (r: ScriptRule[]) => {
      rules = r;
    },
  };
}

/** Builds the kind-specific part of one answer object; `final` marks the object that carries the stats. */
type Piece = (text: string, final: boolean, toolCalls: unknown[]) => Record<string, unknown>;

/** Writes a chat or generate answer, streamed (one NDJSON line per token) or as one object. */
async function answer(
  ctx: FakeContext,
  body: Record<string, unknown>,
  model: string,
  content: string,
  toolCalls: unknown[],
  promptTokens: number,
  loadNs: number,
  piece: Piece,
): Promise<void> {
  let chunks = splitIntoChunks(content);
  const options = (body.options ?? {}) as { num_predict?: unknown };
  const limit = typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : undefined;
  let doneReason = 'stop';
  if (limit !== undefined && chunks.length > limit) {
    chunks = chunks.slice(0, limit);
    doneReason = 'length';
  }
  const evalCount = Math.max(1, chunks.length + toolCalls.length * 12);
  const stats = {
    done_reason: doneReason,
    total_duration: loadNs + promptTokens * 250_000 + evalCount * 20 * NS_PER_MS + 2 * NS_PER_MS,
    load_duration: loadNs,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: promptTokens * 250_000,
    eval_count: evalCount,
    eval_duration: evalCount * 20 * NS_PER_MS,
  };
  const now = () => new Date().toISOString();
  if (body.stream === false) {
    return ctx.json(200, { model, created_at: now(), ...piece(chunks.join(''), true, toolCalls), done: true, ...stats });
  }
  const w = ctx.stream('application/x-ndjson');
  for (const c of chunks) {
    if (!(await w.write(`${JSON.stringify({ model, created_at: now(), ...piece(c, false, []), done: false })}\n`))) return;
  }
  if (toolCalls.length > 0 && !(await w.write(`${JSON.stringify({ model, created_at: now(), ...piece('', false, toolCalls), done: false })}\n`))) return;
  if (!(await w.write(`${JSON.stringify({ model, created_at: now(), ...piece('', true, []), done: true, ...stats })}\n`))) return;
  w.end();
}

type PullLine = { status: string; digest?: string; total?: number; completed?: number } | { error: string };

/** The progress lines Ollama streams for a pull (or the error it ends with). */
export function pullProgress(model: FakeModel | undefined, failMidway: boolean): PullLine[] {
  const lines: PullLine[] = [{ status: 'pulling manifest' }];
  if (!model) return [...lines, { error: 'pull model manifest: file does not exist' }];
  for (const [i, layer] of model.layers.entries()) {
    const status = `pulling ${layer.digest.slice(7, 19)}`;
    const steps = layer.size > 1_000_000 ? [0, 0.25, 0.5, 0.75, 1] : [0, 1];
    for (const f of steps) {
      if (failMidway && i === 0 && f > 0.5) {
        return [...lines, { error: `max retries exceeded: Get "https://registry.ollama.ai/v2/library/${model.name.split(':')[0]}/blobs/${layer.digest}": connection reset by peer` }];
      }
      lines.push({ status, digest: layer.digest, total: layer.size, ...(f > 0 ? { completed: Math.round(layer.size * f) } : {}) });
    }
  }
  lines.push({ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' });
  return lines;
}

function listEntry(m: FakeModel, modifiedAt: Date) {
  return {
    name: m.name,
    model: m.name,
    modified_at: modifiedAt.toISOString(),
    size: modelSize(m),
    digest: modelDigest(m),
    details: {
      parent_model: '',
      format: 'gguf',
      family: m.family,
      families: [m.family],
      parameter_size: m.parameterSize,
      quantization_level: m.quantization,
    },
  };
}

function showResponse(m: FakeModel, modifiedAt: Date) {
  const template = '{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}{{ .Prompt }}';
  return {
    license: 'Fake license text for a simulated model.',
    modelfile: `# Modelfile generated by "ollama show"\nFROM /root/.ollama/models/blobs/${m.layers[0].digest.replace(':', '-')}\nTEMPLATE """${template}"""\nPARAMETER stop <|eot_id|>\n`,
    parameters: 'stop                           "<|eot_id|>"',
    template,
    details: listEntry(m, modifiedAt).details,
    model_info: {
      'general.architecture': m.family,
      'general.file_type': 15,
      'general.parameter_count': parseParameterCount(m.parameterSize),
      'general.quantization_version': 2,
      [`${m.family}.context_length`]: m.contextLength,
      [`${m.family}.embedding_length`]: m.embeddingLength,
    },
    capabilities: m.capabilities,
    modified_at: modifiedAt.toISOString(),
  };
}

function parseParameterCount(s: string): number {
  const m = /^([\d.]+)([MB])$/.exec(s);
  if (!m) return 0;
  return Math.round(Number(m[1]) * (m[2] === 'B' ? 1e9 : 1e6));
}

/** keep_alive: a number of seconds, a Go duration string ("5m", "1h30m"), or 0/negative. */
export function parseKeepAlive(v: unknown): number | undefined {
  if (typeof v === 'number') return v < 0 ? Number.POSITIVE_INFINITY : v * 1000;
  if (typeof v !== 'string' || v === '') return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(-?[\d.]+)(ms|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * units[m[2]];
    matched += m[0];
  }
  if (matched !== v) return undefined;
  return total < 0 ? Number.POSITIVE_INFINITY : total;
}

function contextTokens(n: number): number[] {
  return Array.from({ length: Math.min(n, 64) }, (_, i) => 128_000 + ((i * 7919) % 1000));
}

function byName(a: InstalledModel, b: InstalledModel): number {
  return a.model.name.localeCompare(b.model.name);
}

function ginLine(e: { method: string; path: string; status: number; ms: number }): string {
  const iso = new Date().toISOString();
  const t = `${iso.slice(0, 10).replace(/-/g, '/')} - ${iso.slice(11, 19)}`;
  return `[GIN] ${t} | ${e.status} | ${`${e.ms}ms`.padStart(12)} |       127.0.0.1 | ${e.method.padEnd(8)} "${e.path}"`;
}
