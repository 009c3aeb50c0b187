import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../api/generated/flow.js';
import { modelRequest } from './model-call.js';

describe('model calls', () => {
  it('builds the chat request, asking for the declared keys with format json', () => {
    const node: FlowNode = { id: 'm', type: 'model', model: { prompt: 'p', model: 'chat', format: 'json', temperature: '0.2', maxTokens: 100 }, outputs: [{ name: 'score', type: 'number' }] };
    expect(modelRequest(node, 'rate it', 'be fair')).toEqual({
      model: 'chat', stream: false, temperature: 0.2, max_tokens: 100,
      messages: [{ role: 'system', content: 'be fair\n\nAnswer with one JSON object and nothing else. Its keys: "score" (number).' }, { role: 'user', content: 'rate it' }],
    });
  });
});
