import { describe, expect, it } from 'vitest';
import { transcriptLocation, transcriptPage } from './transcript.js';

const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ type: 'assistant', turn: i, text: `t${i}` })).join('\n');

describe('transcriptPage', () => {
  it('pages by line with a next offset until the last page', () => {
    const p1 = transcriptPage(lines, 0, 3);
    expect(p1.entries).toHaveLength(3);
    expect(p1).toMatchObject({ offset: 0, totalLines: 7, nextOffset: 3 });
    const p3 = transcriptPage(lines, 6, 3);
    expect(p3.entries).toEqual([{ type: 'assistant', turn: 6, text: 't6' }]);
    expect(p3.nextOffset).toBeUndefined();
  });

  it('stops at the byte bound but always returns at least one line', () => {
    const p = transcriptPage(lines, 0, 100, 60);
    expect(p.entries).toHaveLength(1);
    expect(p.nextOffset).toBe(1);
  });

  it('keeps lines that are not JSON as text and clamps an offset past the end', () => {
    expect(transcriptPage('not json\n{"a":1}', 0, 10).entries).toEqual(['not json', { a: 1 }]);
    expect(transcriptPage(lines, 99, 10)).toMatchObject({ offset: 7, entries: [], totalLines: 7 });
  });
});

describe('transcriptLocation', () => {
  it('reads status.transcriptRef, else the contract\'s default names', () => {
    expect(transcriptLocation({ metadata: { name: 'r' } })).toEqual({ configMap: 'r-transcript', key: 'transcript.jsonl' });
    expect(transcriptLocation({ metadata: { name: 'r' }, status: { transcriptRef: { configMapName: 'x', key: 'y' } } })).toEqual({ configMap: 'x', key: 'y' });
  });
});
