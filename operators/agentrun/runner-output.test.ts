import { describe, expect, it } from 'vitest';
import { boundedTranscript, parseRunnerLog, parseTermination } from './runner-output.js';

describe('parseTermination', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Error: boom', undefined],
    ['[1]', undefined],
    ['{"outcome":"Maybe"}', undefined],
    ['{"outcome":"Succeeded","reason":"Completed","message":"","result":"done","turns":2,"toolCalls":1,"toolErrors":0}', { outcome: 'Succeeded', reason: 'Completed', message: '', result: 'done', turns: 2, toolCalls: 1, toolErrors: 0 }],
    ['{"outcome":"Failed","reason":"bad reason!","turns":-1}', { outcome: 'Failed', reason: 'RunnerError', message: '', result: '', turns: undefined, toolCalls: undefined, toolErrors: undefined }],
  ])('%s', (text, want) => {
    expect(parseTermination(text)).toEqual(want);
  });

  it('bounds the result', () => {
    expect(parseTermination(JSON.stringify({ outcome: 'Succeeded', result: 'x'.repeat(5000) }))!.result.length).toBe(2048);
  });
});

describe('parseRunnerLog', () => {
  it('keeps JSON event lines, ignores anything else, and counts turns and tool calls', () => {
    const log = [
      'starting runner',
      '{"type":"start","turn":0}',
      '{"type":"assistant","turn":1,"text":"reading"}',
      '{"type":"tool_call","turn":1,"name":"files"}',
      '{"type":"tool_result","turn":1,"name":"files","ok":false,"error":{"code":"PathEscape","message":"outside /workspace"}}',
      '{"no":"type"}',
      '{"type":"tool_call","turn":2,"name":"files"}',
      '{"type":"tool_result","turn":2,"name":"files","ok":true}',
      '{broken',
      '{"type":"end","turn":3}',
    ].join('\n');
    const s = parseRunnerLog(log);
    expect(s).toMatchObject({ turns: 3, toolCalls: 2, toolErrors: 1 });
    expect(s.lines).toHaveLength(7);
  });
});

describe('boundedTranscript', () => {
  const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ type: 'assistant', turn: i, text: 'y'.repeat(80) }));
  it('keeps everything below the bound', () => {
    const t = boundedTranscript(lines);
    expect(t.droppedLines).toBe(0);
    expect(t.text.trimEnd().split('\n')).toEqual(lines);
  });
  it('cuts at the bound and ends with a truncated line counting what was dropped', () => {
    const t = boundedTranscript(lines, { maxBytes: 2000 });
    expect(Buffer.byteLength(t.text)).toBeLessThanOrEqual(2000);
    const out = t.text.trimEnd().split('\n');
    expect(JSON.parse(out.at(-1)!)).toEqual({ type: 'truncated', droppedLines: t.droppedLines });
    expect(out.length - 1 + t.droppedLines).toBe(100);
  });
  it('marks a transcript whose pod log hit the read limit', () => {
    const t = boundedTranscript(lines.slice(0, 2), { logLimitReached: true });
    expect(JSON.parse(t.text.trimEnd().split('\n').at(-1)!)).toEqual({ type: 'truncated', droppedLines: 0, logLimitReached: true });
  });
});
