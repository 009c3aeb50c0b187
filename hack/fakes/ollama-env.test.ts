import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { startFakeOllama } from './ollama.js';
import { ENV_FAIL_PULLS, ENV_PULL_MS, ollamaOptionsFromEnv } from './ollama-env.js';

describe('ollamaOptionsFromEnv', () => {
  it.each([
    [{}, { faults: {} }],
    [{ [ENV_FAIL_PULLS]: '' }, { faults: {} }],
    [{ [ENV_FAIL_PULLS]: '2' }, { faults: { failNextPulls: 2 } }],
    [{ [ENV_FAIL_PULLS]: 'nomic-embed-text=2, llama3.1:8b=1' }, { faults: { failPullsOf: { 'nomic-embed-text:latest': 2, 'llama3.1:8b': 1 } } }],
    [{ [ENV_PULL_MS]: '250', OLLAMA_HOST: '0.0.0.0:11434' }, { faults: {}, pullStepDelayMs: 250 }],
  ])('reads %j', (env, want) => {
    expect(ollamaOptionsFromEnv(env)).toEqual(want);
  });

  it.each([
    [{ [ENV_FAIL_PULLS]: '-1' }, 'SIM_OLLAMA_FAIL_PULLS="-1": expected a count or a comma-separated list of <model>=<count>, got "-1"'],
    [{ [ENV_FAIL_PULLS]: 'llama3.1:8b=x' }, 'SIM_OLLAMA_FAIL_PULLS="llama3.1:8b=x": the count of llama3.1:8b must be a non-negative integer'],
    [{ [ENV_FAIL_PULLS]: 'llama3.1:8b' }, 'SIM_OLLAMA_FAIL_PULLS="llama3.1:8b": expected a count or a comma-separated list of <model>=<count>, got "llama3.1:8b"'],
    [{ [ENV_PULL_MS]: '1.5s' }, 'SIM_OLLAMA_PULL_MS="1.5s": the delay must be a non-negative integer'],
  ])('refuses %j', (env, message) => {
    expect(() => ollamaOptionsFromEnv(env)).toThrow(message);
  });
});

describe('per-model pull failures', () => {
  it('fails the next N pulls of that model only, with Ollama error lines', async () => {
    const server = await startFakeOllama({ pullStepDelayMs: 0, ...ollamaOptionsFromEnv({ [ENV_FAIL_PULLS]: 'nomic-embed-text=2' }) });
    try {
      const client = new Ollama({ host: server.url });
      const pull = (model: string) => client.pull({ model }).then(() => 'ok', (err: Error) => err.message);
      expect(await pull('qwen2.5:0.5b')).toBe('ok');
      expect(await pull('nomic-embed-text')).toMatch(/^max retries exceeded: Get "https:\/\/registry\.ollama\.ai\/v2\/library\/nomic-embed-text\/blobs\/sha256:[0-9a-f]+": connection reset by peer$/);
      expect(await pull('nomic-embed-text')).toMatch(/connection reset by peer$/);
      expect(await pull('nomic-embed-text')).toBe('ok');
      expect((await client.list()).models.map((m) => m.name).sort()).toEqual(['nomic-embed-text:latest', 'qwen2.5:0.5b']);
    } finally {
      await server.close();
    }
  });
});
