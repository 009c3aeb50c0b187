import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

/** One YAML document of a file, with a way to find the line of any field. */
export interface SourceDocument {
  file: string;
  /** 1-based line where the document's content starts. */
  line: number;
  object: unknown;
  /** 1-based line of the deepest existing node on a Kubernetes field path (spec.nodes[2].type). */
  lineOf(fieldPath: string): number;
}

export interface ParseProblem {
  file: string;
  line: number;
  message: string;
}

/** Splits a Kubernetes field path (`spec.nodes[2].type`, `metadata.labels[app]`) into segments. */
export function splitFieldPath(fieldPath: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else segments.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
  }
  return segments;
}

/**
 * kubectl decodes YAML with go-yaml v2 (YAML 1.1): `on`, `off`, `yes`, `no`, `y` and `n` are
 * booleans and `0777` is octal, even as map keys. Parse the same way so that what is validated is
 * what kubectl sends, but without the 1.1 sexagesimal and timestamp tags, which go-yaml v2 does not
 * apply when decoding into JSON.
 */
const KUBECTL_YAML = {
  version: '1.1',
  customTags: (tags: { tag: string; format?: string }[]) => tags.filter((t) => t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'),
} as const;

/** Parses every document of a multi-document YAML file; empty documents are dropped. */
export function parseDocuments(file: string, text: string): { documents: SourceDocument[]; problems: ParseProblem[] } {
  const lineCounter = new LineCounter();
  const documents: SourceDocument[] = [];
  const problems: ParseProblem[] = [];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false, ...KUBECTL_YAML } as never)) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, line: lineAt(e.pos[0]), message: e.message.split('\n')[0] });
      continue;
    }
    const contents = doc.contents as Node | null;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    const object: unknown = doc.toJS({ maxAliasCount: 100 });
    const start = contents.range?.[0] ?? 0;
    documents.push({
      file,
      line: lineAt(start),
      object,
      lineOf(fieldPath) {
        let node: unknown = contents;
        let offset = start;
        for (const seg of splitFieldPath(fieldPath)) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
            if (!pair) break;
            offset = (pair.key as Node | null)?.range?.[0] ?? offset;
            node = pair.value;
          } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
            node = node.items[seg];
            offset = (node as Node | null)?.range?.[0] ?? offset;
          } else {
            break;
          }
        }
        return lineAt(offset);
      },
    });
  }
  return { documents, problems };
}
