import { describe, expect, it } from 'vitest';
import { parseDocuments, splitFieldPath } from './documents.js';

const text = `# leading comment
apiVersion: agentlab.dev/v1alpha1
kind: Flow
metadata:
  name: a
spec:
  nodes:
    - id: fetch
      type: tool
    - id: sum
      type: model
---
---
kind: Second
`;

describe('splitFieldPath', () => {
  it.each([
    ['spec.nodes[1].type', ['spec', 'nodes', 1, 'type']],
    ['metadata.labels[app.kubernetes.io/name]', ['metadata', 'labels', 'app.kubernetes.io/name']],
    ['spec', ['spec']],
  ])('%s', (path, expected) => expect(splitFieldPath(path)).toEqual(expected));
});

describe('parseDocuments', () => {
  const { documents, problems } = parseDocuments('f.yaml', text);

  it('returns non-empty documents with their first line', () => {
    expect(problems).toEqual([]);
    expect(documents.map((d) => d.line)).toEqual([2, 14]);
    expect((documents[1].object as { kind: string }).kind).toBe('Second');
  });

  it.each([
    ['spec.nodes[1].type', 11],
    ['spec.nodes[1]', 10],
    ['spec.nodes', 7],
    ['spec.nodes[1].missing', 10],
    ['spec.nodes[7].type', 7],
    ['metadata.name', 5],
  ])('finds the line of %s', (path, line) => expect(documents[0].lineOf(path)).toBe(line));

  it('reports a parse error with its line and keeps the other documents', () => {
    const r = parseDocuments('bad.yaml', 'kind: A\n---\nkind: B\nspec:\n\tx: 1\n---\nkind: C\n');
    expect(r.documents.map((d) => (d.object as { kind: string }).kind)).toEqual(['A', 'C']);
    expect(r.problems[0]).toEqual({ file: 'bad.yaml', line: 5, message: 'Tabs are not allowed as indentation' });
  });
});

describe('parseDocuments on hostile YAML', () => {
  const head = 'apiVersion: agentlab.dev/v1alpha1\nkind: Flow\nmetadata:\n  name: x\nspec:\n';
  const bomb = `  a0: &a0 [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 6 }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]\n`).join('')}`;

  it('reports an alias bomb as a problem at its document, and still reads the other documents', () => {
    const { documents, problems } = parseDocuments('f.yaml', `${head}  nodes: []\n---\n${head}${bomb}`);
    expect(documents).toHaveLength(1);
    expect(problems).toEqual([{ file: 'f.yaml', line: 8, message: expect.stringMatching(/alias count.*more than 100 aliases/) }]);
  });

  it('reports a merge key of a non-mapping with a line', () => {
    const { problems } = parseDocuments('f.yaml', 'base: &b [1, 2]\nother:\n  <<: *b\n');
    expect(problems).toEqual([{ file: 'f.yaml', line: 1, message: expect.stringMatching(/[Mm]erge/) }]);
  });

  it('reads !!set, !!omap and !!binary as go-yaml v2 does (mapping, sequence, string)', () => {
    const { documents } = parseDocuments('f.yaml', 'a: !!set {p, q}\nb: !!omap [k: 1]\nc: !!binary aGVsbG8=\n');
    expect(documents[0].object).toEqual({ a: { p: null, q: null }, b: [{ k: 1 }], c: 'aGVsbG8=' });
  });

  it('says a file with a NUL byte is binary, once, with its line', () => {
    expect(parseDocuments('f.bin', 'a: 1\nb: \u0000\u0001\u0002 junk\n').problems).toEqual([{ file: 'f.bin', line: 2, message: 'binary data (a NUL byte): not a YAML text file' }]);
  });

  it('cuts a parse error quoting a huge token', () => {
    const { problems } = parseDocuments('f.yaml', `a: b\n${'z'.repeat(10_000)}: : :\n`);
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.message.length).toBeLessThanOrEqual(203);
  });
});
