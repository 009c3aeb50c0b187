// A model name the caller's lane does not map (a copy-pasted `chat` against a lane that serves
// `default`/`fast`) is answered like OpenAI and Ollama answer an unknown model: 404, naming the
// model, the lane and the names it does serve, and nothing is sent to any provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const providerRequests = () => f.ollama.requests.length + f.anthropic.requests.length + f.gemini.requests.length;

describe('a model the lane does not map', () => {
  it('is 404 model_not_found for the OpenAI SDK, with the lane and its models in the message', async () => {
    const before = providerRequests();
    const openai = new OpenAI({ baseURL: `${f.router.url}/v1`, apiKey: f.token.personal, maxRetries: 0 });
    const err = await openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.status).toBe(404);
    expect(e.code).toBe('model_not_found');
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toContain(`model "default" not found in lane ${f.lane('personal')}: its models are "chat", "code", "claude-sonnet", "embed"`);
    expect(e.message).not.toMatch(/cloud|private/);

    const embed = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((x: unknown) => x);
    expect(embed).toBeInstanceOf(OpenAI.NotFoundError);
    expect((embed as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(`model "text-embedding-3-small" not found in lane ${f.lane('personal')}`);
    expect(providerRequests()).toBe(before);
  });

  it('is 404 for the ollama client, streaming or not, on a private lane too, without blaming cloud providers', async () => {
    const before = providerRequests();
    const client = new Ollama({ host: f.router.url, headers: { Authorization: `Bearer ${f.token.private}` } });
    for (const stream of [false, true] as const) {
      const err = await (stream
        ? client.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }], stream: true }).then(async (s) => { for await (const _ of s) { /* drain */ } })
        : client.chat({ model: 'default', messages: [{ role: 'user', content: 'hi' }] })).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ResponseError', status_code: 404 });
      expect((err as Error).message).toContain(`model "default" not found in lane ${f.lane('private')}: its models are "chat", "code", "embed"`);
    }
    const raw = await f.post('/api/generate', f.token.private, { model: 'default', prompt: 'hi', stream: false });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toMatchObject({ category: 'validation', code: 'model_not_found' });
    expect(providerRequests()).toBe(before);
  });
});
