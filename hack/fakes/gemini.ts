// A local fake of the Gemini API (v1beta generateContent, streamGenerateContent with ?alt=sse or
// a streamed JSON array, models list). Key via x-goog-api-key or ?key=.
import { fakeId, limitChunks, scriptedReply, splitIntoChunks, type ScriptRule } from './script.js';
import { estimateTokens, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export interface FakeGeminiOptions {
  host?: string;
  port?: number;
  /** The accepted key; when unset any non-empty key is accepted. */
  apiKey?: string;
  models?: string[];
  rules?: ScriptRule[];
  faults?: Faults;
}

export const DEFAULT_GEMINI_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash'];

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiError(status: number, message: string) {
  return { error: { code: status, message, status: STATUS_NAMES[status] ?? 'INTERNAL' } };
}

interface GeminiPart {
  text?: string;
  functionCall?: { name: string; args: unknown };
  functionResponse?: { name?: string; response?: unknown };
}

export async function startFakeGemini(opts: FakeGeminiOptions = {}): Promise<FakeServer> {
  const models = opts.models ?? DEFAULT_GEMINI_MODELS;
  let counter = 0;
  return startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: geminiError,
    async handle(ctx) {
      const { method, path, headers, query } = ctx.req;
      const key = (typeof headers['x-goog-api-key'] === 'string' ? headers['x-goog-api-key'] : '') || query.get('key') || '';
      if (!key) return ctx.error(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
      if (opts.apiKey !== undefined && key !== opts.apiKey) return ctx.error(400, 'API key not valid. Please pass a valid API key.');
      if (method === 'GET' && (path === '/v1beta/models' || path === '/v1/models')) {
        return ctx.json(200, { models: models.map((m) => ({ name: `models/${m}`, displayName: m, supportedGenerationMethods: ['generateContent', 'countTokens'] })) });
      }
      const m = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
      if (!m || method !== 'POST') return ctx.error(404, `Requested entity was not found: ${method} ${path}`);
      const model = decodeURIComponent(m[2]);
      if (!models.includes(model)) return ctx.error(404, `models/${model} is not found for API version ${m[1]}, or is not supported for generateContent.`);
      if (ctx.req.jsonError !== undefined) return ctx.error(400, `Invalid JSON payload received. ${ctx.req.jsonError}`);
      const body = (ctx.req.json ?? {}) as Record<string, unknown>;
      if (!Array.isArray(body.contents) || body.contents.length === 0) return ctx.error(400, '* GenerateContentRequest.contents: contents is not specified');
      counter += 1;
      await generate(ctx, body, model, counter, m[3] === 'streamGenerateContent', query.get('alt') === 'sse', opts.rules ?? []);
    },
  });
}

async function generate(ctx: FakeContext, body: Record<string, unknown>, model: string, n: number, streamed: boolean, sse: boolean, rules: ScriptRule[]): Promise<void> {
  const messages: { role: string; content: string }[] = [];
  const sys = body.systemInstruction as { parts?: GeminiPart[] } | undefined;
  if (sys?.parts) messages.push({ role: 'system', content: sys.parts.map((p) => p.text ?? '').join('') });
  for (const c of body.contents as { role?: string; parts?: GeminiPart[] }[]) {
    const parts = c.parts ?? [];
    const responses = parts.filter((p) => p.functionResponse);
    if (responses.length > 0) for (const r of responses) messages.push({ role: 'tool', content: JSON.stringify(r.functionResponse?.response ?? {}) });
    else messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content: parts.map((p) => p.text ?? '').join('') });
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as { functionDeclarations?: { name?: string }[] }[]).flatMap((t) => (t.functionDeclarations ?? []).map((d) => String(d.name ?? '')))
    : [];
  const reply = scriptedReply(rules, { model, messages, tools });
  const cfg = (body.generationConfig ?? {}) as { maxOutputTokens?: unknown };
  const { chunks, truncated } = limitChunks(splitIntoChunks(reply.content), typeof cfg.maxOutputTokens === 'number' ? cfg.maxOutputTokens : undefined);
  const calls: GeminiPart[] = truncated ? [] : reply.toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.arguments } }));
  const promptTokens = estimateTokens(messages.map((x) => x.content).join('\n'));
  const outTokens = Math.max(1, chunks.length + calls.length * 12);
  const usageMetadata = { promptTokenCount: promptTokens, candidatesTokenCount: outTokens, totalTokenCount: promptTokens + outTokens };
  const finishReason = truncated ? 'MAX_TOKENS' : 'STOP';
  const responseId = fakeId('', `${n}/${model}`);
  const candidate = (parts: GeminiPart[], final: boolean) => ({ content: { parts, role: 'model' }, ...(final ? { finishReason } : {}), index: 0 });

  if (!streamed) {
    const parts = [...(chunks.length ? [{ text: chunks.join('') }] : []), ...calls];
    return ctx.json(200, { candidates: [candidate(parts, true)], usageMetadata, modelVersion: model, responseId });
  }
  // Gemini streams a few tokens per event; group chunks in fours.
  const groups: GeminiPart[][] = [];
  for (let i = 0; i < chunks.length; i += 4) groups.push([{ text: chunks.slice(i, i + 4).join('') }]);
  if (calls.length) groups.push(calls);
  if (groups.length === 0) groups.push([{ text: '' }]);
  const events = groups.map((parts, i) => {
    const final = i === groups.length - 1;
    return { candidates: [candidate(parts, final)], usageMetadata: final ? usageMetadata : { promptTokenCount: promptTokens }, modelVersion: model, responseId };
  });
  const w = ctx.stream(sse ? 'text/event-stream' : 'application/json; charset=UTF-8');
  for (const [i, e] of events.entries()) {
    const text = sse ? `data: ${JSON.stringify(e)}\r\n\r\n` : `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(e)}${i === events.length - 1 ? ']' : ''}`;
    if (!(await w.write(text))) return;
  }
  w.end();
}
