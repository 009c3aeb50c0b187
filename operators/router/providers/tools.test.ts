import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startFakeAnthropic, startFakeGemini, startFakeOllama, startFakeOpenAI, type FakeServer, type ScriptRule } from '../../../hack/fakes/index.js';
import type { ChatRequest, StreamEvent, ToolCall } from '../canonical.js';
import { ADAPTERS } from './index.js';
import type { StreamItem } from './types.js';

const rules: ScriptRule[] = [{ when: 'weather', reply: 'It is 4 degrees in Oslo.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }];
const tools = [{ name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];

async function collect(events: AsyncIterable<StreamItem>) {
  const calls: ToolCall[] = [];
  let text = '';
  let finish: string | undefined;
  for await (const item of events) for (const ev of Array.isArray(item) ? item : [item as StreamEvent]) {
    if (ev.type === 'tool_call') calls.push(ev.call);
    else if (ev.type === 'delta') text += ev.text;
    else finish = ev.finishReason;
  }
  return { calls, text, finish };
}

describe('tool calls through every provider adapter', () => {
  let fakes: Record<'ollama' | 'anthropic' | 'openai' | 'gemini', FakeServer>;
  beforeAll(async () => {
    const [ollama, anthropic, openai, gemini] = await Promise.all([
      startFakeOllama({ models: ['llama3.1:8b'], rules }),
      startFakeAnthropic({ rules }),
      startFakeOpenAI({ rules }),
      startFakeGemini({ rules }),
    ]);
    fakes = { ollama, anthropic, openai, gemini };
  });
  afterAll(async () => {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  const targets = () => [
    { type: 'ollama' as const, baseURL: fakes.ollama.url, model: 'llama3.1:8b' },
    { type: 'anthropic' as const, baseURL: fakes.anthropic.url, model: 'claude-sonnet-4-5' },
    { type: 'openai' as const, baseURL: `${fakes.openai.url}/v1`, model: 'gpt-4o-mini' },
    { type: 'gemini' as const, baseURL: fakes.gemini.url, model: 'gemini-2.5-flash' },
  ];

  it('offers the tools, returns the call, then sends the result back for the answer', async () => {
    for (const t of targets()) {
      const first: ChatRequest = { kind: 'chat', model: 'm', messages: [{ role: 'user', content: 'What is the weather in Oslo?' }], tools, maxTokens: 64, stream: true };
      const target = { baseURL: t.baseURL, model: t.model, apiKey: 'k' };
      const r1 = await collect(await ADAPTERS[t.type].chat(first, target, new AbortController().signal));
      expect(r1.calls.map((c) => [c.name, c.arguments]), t.type).toEqual([['get_weather', { city: 'Oslo' }]]);
      expect(r1.calls[0].id, t.type).not.toBe('');
      expect(r1.finish, t.type).toBe('tool_calls');

      const second: ChatRequest = {
        ...first,
        messages: [
          ...first.messages,
          { role: 'assistant', content: '', toolCalls: r1.calls },
          { role: 'tool', content: '{"temperature": 4}', toolCallId: r1.calls[0].id, toolName: 'get_weather' },
        ],
      };
      const r2 = await collect(await ADAPTERS[t.type].chat(second, target, new AbortController().signal));
      expect(r2.calls, t.type).toEqual([]);
      expect(r2.text.length, t.type).toBeGreaterThan(0);
      expect(r2.finish, t.type).toBe('stop');
    }
  });

  it('speaks each API\'s tool format on the wire', () => {
    const last = (f: FakeServer) => JSON.parse(f.requests.at(-1)!.body) as Record<string, unknown>;
    expect(last(fakes.anthropic)).toMatchObject({
      tools: [{ name: 'get_weather', input_schema: tools[0].parameters }],
      messages: [
        { role: 'user', content: 'What is the weather in Oslo?' },
        { role: 'assistant', content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', content: '{"temperature": 4}' }] },
      ],
    });
    expect(last(fakes.openai)).toMatchObject({ messages: [{}, { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }, { role: 'tool', content: '{"temperature": 4}' }] });
    expect(last(fakes.gemini)).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'get_weather' }] }],
      contents: [{}, { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] }, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 4 } } }] }],
    });
    expect(last(fakes.ollama)).toMatchObject({ tools: [{ type: 'function', function: { name: 'get_weather' } }], messages: [{}, { role: 'assistant', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] }, { role: 'tool', tool_name: 'get_weather' }] });
  });
});
