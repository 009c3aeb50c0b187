import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StreamEvent } from '../canonical.js';
import { ollamaLineHandler, ollamaTextLine } from './ollama.js';

const textLine = (content: string, model = 'llama3.1:8b', createdAt = '2024-08-04T08:52:19.385406455-07:00') =>
  JSON.stringify({ model, created_at: createdAt, message: { role: 'assistant', content }, done: false });

/** What the full parse makes of a line (the reference the shortcut must agree with). */
function parsedEvents(line: string): StreamEvent[] | Error {
  const out: StreamEvent[] = [];
  try {
    ollamaLineHandler()(line, out);
  } catch (e) {
    return e as Error;
  }
  return out;
}

describe('ollamaTextLine', () => {
  it('reads an ordinary text chunk without a full parse, keeping the text as Ollama encoded it', () => {
    expect(ollamaTextLine(textLine('The'))).toEqual({ text: 'The', json: '"The"' });
    // Go escapes <, > and & as \u003c…; the literal stays valid JSON for the same text.
    const goLine = '{"model":"m","created_at":"t","message":{"role":"assistant","content":"a \\u003c b \\"q\\"\\n"},"done":false}';
    expect(ollamaTextLine(goLine)).toEqual({ text: 'a < b "q"\n', json: '"a \\u003c b \\"q\\"\\n"' });
    expect(JSON.parse(ollamaTextLine(goLine)!.json)).toBe('a < b "q"\n');
  });

  it('leaves every other line to the full parse', () => {
    for (const line of [
      JSON.stringify({ model: 'm', created_at: 't', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 3 }),
      JSON.stringify({ model: 'm', created_at: 't', message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: {} } }] }, done: false }),
      JSON.stringify({ model: 'm', created_at: 't', message: { role: 'assistant', content: 'x', thinking: 'y' }, done: false }),
      JSON.stringify({ model: 'm', created_at: 't', error: 'boom', message: { role: 'assistant', content: 'x' }, done: false }),
      JSON.stringify({ error: 'model crashed' }),
      // A content that is not one string: the quote ends it early.
      '{"model":"m","created_at":"t","message":{"role":"assistant","content":"a","extra":"b"},"done":false}',
      // A raw control character (JSON forbids it): the full parse refuses the line.
      '{"model":"m","created_at":"t","message":{"role":"assistant","content":"a\tb"},"done":false}',
      // A model name holding the text that follows it.
      '{"model":"x\\",\\"created_at\\":\\"t","message":{"role":"assistant","content":"a"},"done":false}',
      '{"model":"m","created_at":"t","message":{"role":"assistant","content":"unterminated},"done":false}',
    ]) {
      const t = ollamaTextLine(line);
      if (t === undefined) continue;
      // Recognised: then only if the full parse says the same.
      expect(parsedEvents(line)).toEqual(t.text ? [{ type: 'delta', text: t.text }] : []);
    }
    expect(ollamaTextLine(JSON.stringify({ error: 'model crashed' }))).toBeUndefined();
    expect(ollamaTextLine('{"model":"m","created_at":"t","message":{"role":"assistant","content":"a\tb"},"done":false}')).toBeUndefined();
    expect(ollamaTextLine('{"model":"m","created_at":"t","message":{"role":"assistant","content":"a","extra":"b"},"done":false}')).toBeUndefined();
  });

  it('agrees with JSON.parse on any text, model name and timestamp (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string(), fc.string(), (content, model, at) => {
      const line = textLine(content, model, at);
      const t = ollamaTextLine(line);
      // Only a model name or timestamp with escapes is left to the full parse.
      if (t === undefined) {
        expect(`${JSON.stringify(model)}${JSON.stringify(at)}`).toContain('\\');
        return;
      }
      expect(t.text).toBe(content);
      expect(JSON.parse(t.json)).toBe(content);
    }), { seed: 16, numRuns: 500 });
  });

  it('never accepts a line the full parse reads differently (mutated lines, property)', () => {
    const base = textLine('Hello "world"\n', 'llama3.1:8b');
    fc.assert(fc.property(fc.nat({ max: base.length - 1 }), fc.constantFrom('"', '\\', '}', ',', '\n', 'x', ''), (i, c) => {
      const line = base.slice(0, i) + c + base.slice(i + 1);
      const t = ollamaTextLine(line);
      if (t === undefined) return;
      const full = parsedEvents(line);
      expect(full).not.toBeInstanceOf(Error);
      expect(JSON.parse(line)).toMatchObject({ message: { role: 'assistant', content: t.text }, done: false });
    }), { seed: 16, numRuns: 2000 });
  });
});
