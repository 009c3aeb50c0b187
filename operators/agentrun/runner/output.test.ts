import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventLine, exitCode, MAX_TERMINATION_BYTES, redact, terminationMessage, truncateUtf8, type RunSummary } from './output.js';

const TOKEN = 'tok_5f1c0ffee0ddba11deadbeef';
const summary = (over: Partial<RunSummary> = {}): RunSummary => ({ outcome: 'Succeeded', reason: 'Completed', message: 'done', result: 'ok', turns: 2, toolCalls: 1, toolErrors: 0, ...over });

describe('truncateUtf8', () => {
  it('never splits a character and never exceeds the limit', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (s, n) => {
      const { text, truncated } = truncateUtf8(s, n);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(Math.max(n, truncated ? 0 : Buffer.byteLength(s)));
      expect(s.startsWith(text)).toBe(true);
      expect(truncated).toBe(Buffer.byteLength(s) > n);
      expect(text).not.toContain('\uFFFD');
    }));
  });
});

describe('eventLine', () => {
  it('cuts assistant text and tool output to 4 KiB and arguments to 1 KiB, marking the cut', () => {
    const a = JSON.parse(eventLine({ type: 'assistant', turn: 1, text: 'é'.repeat(5000) }, []));
    expect(Buffer.byteLength(a.text)).toBeLessThanOrEqual(4096);
    expect(a.truncated).toBe(true);
    const c = JSON.parse(eventLine({ type: 'tool_call', turn: 1, id: 'c', name: 'write_file', args: JSON.stringify({ content: 'x'.repeat(5000) }) }, []));
    expect(Buffer.byteLength(c.args)).toBeLessThanOrEqual(1024);
    expect(c.truncated).toBe(true);
    const r = JSON.parse(eventLine({ type: 'tool_result', turn: 1, id: 'c', name: 'read_file', ok: true, output: 'y'.repeat(10_000) }, []));
    expect(r.output).toHaveLength(4096);
    const short = JSON.parse(eventLine({ type: 'assistant', turn: 1, text: 'hi' }, []));
    expect(short).toEqual({ type: 'assistant', turn: 1, text: 'hi' });
  });

  it('is one line of JSON whatever the text holds', () => {
    const line = eventLine({ type: 'assistant', turn: 3, text: 'a\nb\r\n"c"\u2028' }, []);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\r]/);
    expect(JSON.parse(line).text).toBe('a\nb\r\n"c"\u2028');
  });

  it('never prints the token, wherever it appears and however the text is cut', () => {
    const events = [
      { type: 'assistant' as const, turn: 1, text: `my token is ${TOKEN}` },
      { type: 'tool_call' as const, turn: 1, id: 'x', name: 'http_request', args: JSON.stringify({ headers: { authorization: `Bearer ${TOKEN}` } }) },
      { type: 'tool_result' as const, turn: 1, id: 'x', name: 'read_file', ok: false, error: { code: 'Failed', message: `bad ${TOKEN}` }, output: TOKEN },
      { type: 'error' as const, turn: 1, reason: 'ModelError' as const, message: `401 for ${TOKEN}` },
    ];
    for (const e of events) expect(eventLine(e, [TOKEN])).not.toContain(TOKEN);
    // A cut that falls inside the token leaves no prefix long enough to matter only if redaction runs first.
    for (let pad = 4080; pad < 4100; pad++) {
      const line = eventLine({ type: 'assistant', turn: 1, text: `${'a'.repeat(pad)}${TOKEN}` }, [TOKEN]);
      expect(line).not.toContain(TOKEN.slice(0, 12));
    }
  });
});

describe('terminationMessage', () => {
  it('is the contract JSON, result cut to 2 KiB', () => {
    const m = JSON.parse(terminationMessage(summary({ result: 'r'.repeat(3000) }), []));
    expect(Object.keys(m)).toEqual(['outcome', 'reason', 'message', 'result', 'turns', 'toolCalls', 'toolErrors']);
    expect(Buffer.byteLength(m.result)).toBe(2048);
  });

  it('stays within 4096 bytes even when escaping grows the text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 3000 }), fc.string({ maxLength: 3000 }), (result, message) => {
      const out = terminationMessage(summary({ result: result + '\u0001'.repeat(2000), message }), []);
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_TERMINATION_BYTES);
      expect(() => JSON.parse(out)).not.toThrow();
    }), { numRuns: 50 });
  });

  it('never contains the token', () => {
    const out = terminationMessage(summary({ outcome: 'Failed', reason: 'ModelError', message: `refused ${TOKEN}`, result: `${'x'.repeat(2040)}${TOKEN}` }), [TOKEN]);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(TOKEN.slice(0, 8));
  });
});

describe('redact', () => {
  it('replaces every occurrence', () => {
    expect(redact(`${TOKEN}/${TOKEN}`, [TOKEN])).toBe('[redacted]/[redacted]');
  });
});

describe('exitCode', () => {
  it.each([
    ['Succeeded', 'Completed', 0],
    ['LimitExceeded', 'MaxTurns', 2],
    ['LimitExceeded', 'Timeout', 2],
    ['Failed', 'ModelError', 1],
    ['Failed', 'Cancelled', 143],
  ] as const)('%s/%s exits %i', (outcome, reason, code) => {
    expect(exitCode({ outcome, reason })).toBe(code);
  });
});
