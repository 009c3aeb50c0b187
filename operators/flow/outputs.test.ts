import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../api/generated/flow.js';
import { checkToolOutputs, modelOutputs, splitForStatus, typedFileValue } from './outputs.js';

const tool: FlowNode = { id: 't', type: 'tool', tool: { image: 'x' }, outputs: [{ name: 'n', type: 'number' }, { name: 's' }, { name: 'j', type: 'json' }, { name: 'b', type: 'boolean' }] };

describe('tool outputs', () => {
  it('reads files as typed values, dropping the trailing newline echo writes', () => {
    expect(checkToolOutputs(tool, { n: ' 42\n', s: 'hello\n', j: '{"a": 1}\n', b: 'true\n' })).toEqual({ outputs: { n: '42', s: 'hello', j: '{"a":1}', b: 'true' } });
    expect(typedFileValue('two lines\n\n', 'string')).toEqual({ value: 'two lines\n' });
  });

  it('names the output that is missing or of the wrong type', () => {
    expect(checkToolOutputs(tool, { s: 'x', j: '{}', b: 'true' })).toEqual({ error: 'outputs.n: the tool did not write /agentlab/outputs/n' });
    expect(checkToolOutputs(tool, { n: 'forty', s: 'x', j: '{}', b: 'true' })).toEqual({ error: 'outputs.n: "forty" is not a number, but the output is declared number' });
  });
});

describe('model outputs', () => {
  it('puts a text answer in the one declared output', () => {
    expect(modelOutputs({ id: 'm', type: 'model', model: { prompt: 'p' }, outputs: [{ name: 'summary' }] }, 'It is sunny.')).toEqual({ outputs: { summary: 'It is sunny.' } });
  });

  it('reads a JSON answer (fenced or not) key by key with types', () => {
    const node: FlowNode = { id: 'm', type: 'model', model: { prompt: 'p', format: 'json' }, outputs: [{ name: 'score', type: 'number' }, { name: 'why' }] };
    expect(modelOutputs(node, '```json\n{"score": 7, "why": "ok"}\n```')).toEqual({ outputs: { score: '7', why: 'ok' } });
    expect(modelOutputs(node, '{"score": "high", "why": "ok"}')).toEqual({ error: 'outputs.score: "\\"high\\"" is not a number, but the output is declared number' });
    expect(modelOutputs(node, 'not json')).toMatchObject({ error: expect.stringContaining('the answer is not JSON') });
  });

  it('keeps values over 4 KiB out of status', () => {
    expect(splitForStatus({ a: 'x', b: 'y'.repeat(5000) })).toEqual({ inline: { a: 'x' }, needsConfigMap: true, overBudget: false });
  });

  it("keeps all of a node's outputs out of status once the flow's status total would pass its bound", () => {
    expect(splitForStatus({ a: 'x'.repeat(100), b: 'y' }, 103)).toEqual({ inline: { a: 'x'.repeat(100), b: 'y' }, needsConfigMap: false, overBudget: false });
    expect(splitForStatus({ a: 'x'.repeat(100), b: 'y' }, 102)).toEqual({ inline: {}, needsConfigMap: true, overBudget: true });
  });
});
