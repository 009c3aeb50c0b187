import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject } from '../runtime/kube.js';
import { landedBatch, markAfterWrite, MARK_TTL_MS, outcomeUnknown, USAGE_WRITES_ANNOTATION } from './usage-marks.js';

const cm = (value?: string): KubeObject => ({ metadata: { annotations: value === undefined ? {} : { [USAGE_WRITES_ANNOTATION]: value } } });
const now = Date.parse('2026-12-03T10:00:00Z');

describe('write marks', () => {
  it('read the last batch a writer landed; anything garbled reads as none', () => {
    expect(landedBatch(cm(JSON.stringify({ a: '7@1796292000', b: '3@1796292000' })), 'a')).toBe(7);
    expect(landedBatch(cm(JSON.stringify({ b: '3@1796292000' })), 'a')).toBe(0);
    for (const bad of ['', 'not json', '[1]', '{"a": 7}', '{"a": "x@1"}', '{"a": "-2@1"}']) expect(landedBatch(cm(bad), 'a')).toBe(0);
    expect(landedBatch(undefined, 'a')).toBe(0);
  });

  it('keep other writers\' recent entries and drop ones older than the TTL', () => {
    const sec = (ms: number) => Math.floor(ms / 1000);
    const live = cm(JSON.stringify({ a: '2@1', recent: `5@${sec(now - 60_000)}`, old: `9@${sec(now - MARK_TTL_MS - 1000)}` }));
    expect(JSON.parse(markAfterWrite(live, 'a', 4, now))).toEqual({ recent: `5@${sec(now - 60_000)}`, a: `4@${sec(now)}` });
    expect(JSON.parse(markAfterWrite(undefined, 'a', 1, now))).toEqual({ a: `1@${sec(now)}` });
  });

  it('treat no answer and server errors as unknown outcomes, refusals as not applied', () => {
    expect(outcomeUnknown(new Error('socket hang up'))).toBe(true);
    expect(outcomeUnknown(new KubeApiError(504, 'PUT', '/x', { reason: 'Timeout' }))).toBe(true);
    expect(outcomeUnknown(new KubeApiError(500, 'PUT', '/x'))).toBe(true);
    expect(outcomeUnknown(new KubeApiError(409, 'PUT', '/x', { reason: 'Conflict' }))).toBe(false);
    expect(outcomeUnknown(new KubeApiError(429, 'PUT', '/x'))).toBe(false);
  });
});
