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
