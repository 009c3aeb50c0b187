// Bad input to the lane router (issue 15, section 3): generated chat requests in both dialects
// (OpenAI /v1/chat/completions and Ollama /api/chat), valid ones mutated at a random path, plus
// giant, deeply nested, invalid UTF-8 and wrongly typed bodies. Every answer is 2xx or a 4xx
// whose body names the problem; never a 5xx, a reset connection or a "router bug" log line;
// and the router answers the next valid request.
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from '../lanes/support.js';
import { FUZZ_SEED, fuzzRuns, fuzzTimeout, report } from './seed.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

type Dialect = 'openai' | 'ollama';
const PATH: Record<Dialect, string> = { openai: '/v1/chat/completions', ollama: '/api/chat' };

interface Answer { status: number; text: string; contentType: string }

/** One raw request: body bytes as given, headers as given (no JSON encoding on our side). */
function send(path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  const u = new URL(f.router.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { authorization: `Bearer ${f.token.private}`, 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The error message of a 4xx in either dialect's envelope. */
function errorMessage(dialect: Dialect, a: Answer): string | undefined {
  try {
    const b = JSON.parse(a.text) as { error?: unknown };
    if (dialect === 'openai') return isRecord(b.error) && typeof b.error.message === 'string' ? b.error.message : undefined;
    return typeof b.error === 'string' ? b.error : undefined;
  } catch {
    return undefined;
  }
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A streamed answer that failed after its 200 carries the error in-stream; a clean one does not. */
const streamedError = (a: Answer) => /"error"/.test(a.text) && /internal router error/.test(a.text);

function checkAnswer(dialect: Dialect, a: Answer, what: string): 'ok' | 'refused' {
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeLessThan(500);
  expect(streamedError(a), `${what}: ${a.text.slice(0, 300)}`).toBe(false);
  if (a.status >= 400) {
    const m = errorMessage(dialect, a);
    expect(m, `${what}: a 4xx names its problem: ${a.text.slice(0, 300)}`).toMatch(/\w{3,}/);
    return 'refused';
  }
  expect(a.status, what).toBe(200);
  return 'ok';
}

const validBody = () => ({ model: 'chat', messages: [{ role: 'user', content: 'ping' }], stream: false });

async function routerServesOn(dialect: Dialect): Promise<void> {
  const a = await send(PATH[dialect], JSON.stringify(validBody()));
  expect(a.status, `the next valid request after bad input: ${a.text.slice(0, 200)}`).toBe(200);
}

// ---- generators -------------------------------------------------------------------------------

const toolDef = fc.record({
  type: fc.constant('function'),
  function: fc.record({ name: fc.stringMatching(/^[a-z_]{1,12}$/), description: fc.string({ maxLength: 20 }), parameters: fc.constant({ type: 'object', properties: { city: { type: 'string' } } }) }, { requiredKeys: ['name'] }),
});
const content = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));

function chatBody(dialect: Dialect) {
  const userMsg = fc.record({ role: fc.constantFrom('user', 'system'), content });
  const assistantCall = dialect === 'openai'
    ? fc.record({ role: fc.constant('assistant'), content: fc.constant(null), tool_calls: fc.constant([{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]) })
    : fc.record({ role: fc.constant('assistant'), content: fc.constant(''), tool_calls: fc.constant([{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }]) });
  const toolResult = dialect === 'openai'
    ? fc.record({ role: fc.constant('tool'), tool_call_id: fc.constant('call_1'), content })
    : fc.record({ role: fc.constant('tool'), content });
  const history = fc.oneof(
    fc.array(userMsg, { minLength: 1, maxLength: 3 }),
    fc.tuple(userMsg, assistantCall, toolResult).map((t) => [...t]),
  );
  const common = {
    model: fc.constantFrom('chat', 'code', 'nope'),
    messages: history,
    stream: fc.boolean(),
    tools: fc.array(toolDef, { maxLength: 2 }),
  };
  const extra: Record<string, fc.Arbitrary<unknown>> = dialect === 'openai'
    ? { max_tokens: fc.integer({ min: 1, max: 64 }), temperature: fc.double({ min: 0, max: 2, noNaN: true }), stop: fc.oneof(fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 })), stream_options: fc.record({ include_usage: fc.boolean() }) }
    : { options: fc.record({ temperature: fc.double({ min: 0, max: 2, noNaN: true }), num_predict: fc.integer({ min: 1, max: 64 }) }, { requiredKeys: [] }), format: fc.constantFrom('json', ''), keep_alive: fc.constantFrom('5m', 0) };
  return fc.record<Record<string, unknown>>({ ...common, ...extra }, { requiredKeys: ['model', 'messages'] });
}

/** All paths into a JSON value, so a mutation can hit any depth. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (isRecord(v)) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

type Mutation = { kind: 'replace'; pick: number; value: unknown } | { kind: 'delete'; pick: number } | { kind: 'unknown'; pick: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('unknown' as const), pick: fc.nat(), key: fc.string({ minLength: 1, maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }) }),
);

function mutate(body: unknown, m: Mutation): unknown {
  const copy = structuredClone(body);
  const all = paths(copy);
  const p = all[m.pick % all.length];
  if (p.length === 0) return m.kind === 'replace' ? m.value : copy;
  const parent = p.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown>;
  const last = p[p.length - 1];
  if (m.kind === 'replace') parent[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (isRecord(target)) target[m.key] = m.value;
  }
  return copy;
}

// ---- tests ------------------------------------------------------------------------------------

describe('router request parsing under generated input', () => {
  for (const dialect of ['openai', 'ollama'] as const) {
    it(`${dialect}: generated and mutated chat bodies get 200 or a 4xx naming the problem`, async () => {
      const counts = { cases: 0, answered: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(chatBody(dialect), fc.option(mutation, { freq: 3 }), async (body, m) => {
          const sent = m ? mutate(body, m) : body;
          const a = await send(PATH[dialect], JSON.stringify(sent));
          counts.cases++;
          counts[checkAnswer(dialect, a, `${dialect} ${JSON.stringify(sent).slice(0, 300)}`) === 'ok' ? 'answered' : 'refused']++;
        }),
        { seed: FUZZ_SEED, numRuns: fuzzRuns(60), endOnFailure: true },
      );
      await routerServesOn(dialect);
      report(`router ${dialect} chat bodies`, counts);
      expect(counts.refused).toBeGreaterThan(0);
      expect(counts.answered).toBeGreaterThan(0);
    }, fuzzTimeout(120_000));
  }

  const nested = (depth: number, open: string, close: string, leaf: string) => open.repeat(depth) + leaf + close.repeat(depth);
  const big = 'x'.repeat(9 * 1024 * 1024);
  const cases: { name: string; body: Buffer | string; headers?: Record<string, string>; status?: number; message: RegExp }[] = [
    { name: 'not JSON', body: 'model=chat&messages=hi', message: /not valid JSON/ },
    { name: 'a JSON array', body: '[1,2,3]', message: /JSON object/ },
    { name: 'an empty body', body: '', message: /not valid JSON/ },
    { name: 'invalid UTF-8 in a string', body: Buffer.concat([Buffer.from('{"model":"chat","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}]}')]), message: /UTF-8/ },
    { name: 'a UTF-16 body', body: Buffer.from(JSON.stringify(validBody()), 'utf16le'), message: /UTF-8|not valid JSON/ },
    { name: 'a multipart body', body: '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nchat\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' }, message: /not valid JSON/ },
    { name: 'a gzip content encoding', body: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]), headers: { 'content-encoding': 'gzip' }, status: 415, message: /Content-Encoding/i },
    { name: 'a body over 8 MiB', body: `{"model":"chat","messages":[{"role":"user","content":"${big}"}]}`, status: 413, message: /over \d+ bytes/ },
    { name: '100,000 nested arrays as content', body: `{"model":"chat","messages":[{"role":"user","content":${nested(100_000, '[', ']', '1')}}]}`, message: /deeper than/ },
    { name: '100,000 nested objects as a tool schema', body: `{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":${nested(100_000, '{"a":', '}', '1')}}}]}`, message: /deeper than/ },
    { name: '5,000 nested objects as a tool schema', body: `{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":${nested(5_000, '{"a":', '}', '1')}}}]}`, message: /deeper than/ },
    // OpenAI carries tool call arguments as a JSON string, Ollama as an object.
    { name: 'deeply nested tool call arguments (OpenAI string)', body: JSON.stringify({ model: 'chat', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: nested(50_000, '{"a":', '}', '1') } }] }, { role: 'tool', tool_call_id: 'c', content: 'x' }] }), message: /deeper than|must be a string/ },
    { name: 'deeply nested tool call arguments (Ollama object)', body: `{"model":"chat","messages":[{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":${nested(50_000, '{"a":', '}', '1')}}}]}]}`, message: /deeper than/ },
    { name: 'a number as model', body: '{"model":7,"messages":[{"role":"user","content":"hi"}]}', message: /model/ },
    { name: 'stream as a string', body: '{"model":"chat","stream":"yes","messages":[{"role":"user","content":"hi"}]}', message: /stream/ },
  ];

  for (const dialect of ['openai', 'ollama'] as const) {
    it(`${dialect}: malformed bodies are a 4xx with a clear error, and the router serves on`, async () => {
      let tried = 0;
      for (const c of cases) {
        const a = await send(PATH[dialect], c.body, c.headers).catch((e: Error) => ({ status: 0, text: `connection failed: ${e.message}`, contentType: '' }));
        tried++;
        const what = `${dialect} ${c.name}`;
        // Soft: one run lists every case that fails, not only the first.
        expect.soft(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect.soft(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeLessThan(500);
        if (c.status) expect.soft(a.status, what).toBe(c.status);
        expect.soft(errorMessage(dialect, a), `${what}: ${a.text.slice(0, 300)}`).toMatch(c.message);
        await routerServesOn(dialect);
      }
      expect(f.routerLogs.filter((l) => l.includes('router bug'))).toEqual([]);
      report(`router ${dialect} malformed bodies`, { cases: tried });
    }, 120_000);
  }

  // The egress proxy on the same port parses absolute-form requests and CONNECT: hostile ones are
  // refused with a 4xx (407 without credentials, 400/403 with a bad target) and nothing else breaks.
  it('egress proxy: malformed absolute-form and CONNECT requests get a 4xx, and the router serves on', async () => {
    const u = new URL(f.router.url);
    const raw = (text: string) => new Promise<string>((resolve) => {
      const sock = net.connect(Number(u.port), u.hostname, () => sock.end(text));
      let out = '';
      sock.on('data', (d: Buffer) => { out += d.toString('latin1'); });
      sock.on('close', () => resolve(out));
      sock.on('error', () => resolve(out));
      sock.setTimeout(5000, () => sock.destroy());
    });
    const auth = `Proxy-Authorization: Bearer ${f.token.enterprise}\r\n`;
    const cases = [
      'CONNECT not a host HTTP/1.1\r\nHost: x\r\n\r\n',
      `CONNECT example.org:99999 HTTP/1.1\r\nHost: example.org\r\n${auth}\r\n`,
      `CONNECT [::1 HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `CONNECT :443 HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `GET http://[::1/x HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `GET http://exa mple.org/ HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `GET http://example.org:0/ HTTP/1.1\r\nHost: example.org\r\n${auth}\r\n`,
      `GET ftp://example.org/ HTTP/1.1\r\nHost: example.org\r\n${auth}\r\n`,
      `POST /api/chat HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      'POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GARBAGE\r\n\r\n',
    ];
    for (const c of cases) {
      const out = await raw(c);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0);
      expect.soft(status, `${JSON.stringify(c.slice(0, 120))} -> ${JSON.stringify(out.slice(0, 300))}`).toBeGreaterThanOrEqual(400);
      expect.soft(status, `${JSON.stringify(c.slice(0, 120))} -> ${JSON.stringify(out.slice(0, 300))}`).toBeLessThan(500);
      await routerServesOn('ollama');
    }
    expect(f.routerLogs.filter((l) => l.includes('router bug'))).toEqual([]);
    report('router egress proxy malformed requests', { cases: cases.length });
  }, 60_000);
});
