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
  customTags: (tags: { tag: string; format?: string }[]) => tags.filter((t) => !GO_YAML_PLAIN_TAGS.has(t.tag) && t.format !== 'TIME'),
} as const;

/**
 * YAML 1.1 tags go-yaml v2 does not turn into other types when decoding into JSON: `!!set` and
 * `!!omap`/`!!pairs` stay plain mappings/sequences and `!!binary` a string, so they are validated
 * as such rather than as JavaScript Sets, Maps or byte arrays.
 */
const GO_YAML_PLAIN_TAGS = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:set', 'tag:yaml.org,2002:omap', 'tag:yaml.org,2002:pairs', 'tag:yaml.org,2002:binary']);

/** Aliases a document may expand (kubectl's go-yaml refuses alias bombs the same way). */
const MAX_ALIAS_COUNT = 100;
/** Longest message printed for a YAML error: the parser quotes the offending source, which may be huge. */
const MAX_MESSAGE_CHARS = 200;

const cut = (m: string) => (m.length > MAX_MESSAGE_CHARS ? `${m.slice(0, MAX_MESSAGE_CHARS)}...` : m);

/** Parses every document of a multi-document YAML file; empty documents are dropped. */
export function parseDocuments(file: string, text: string): { documents: SourceDocument[]; problems: ParseProblem[] } {
  const lineCounter = new LineCounter();
  const documents: SourceDocument[] = [];
  const problems: ParseProblem[] = [];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  // A NUL byte is never YAML (nor any text a person commits): say so once instead of a page of parse errors.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    return { documents, problems: [{ file, line, message: 'binary data (a NUL byte): not a YAML text file' }] };
  }
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, ...KUBECTL_YAML } as never);
  for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, line: lineAt(e.pos[0]), message: cut(e.message.split('\n')[0]) });
      continue;
    }
    const contents = doc.contents as Node | null;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    const start = contents.range?.[0] ?? 0;
    let object: unknown;
    try {
      // Throws on an alias bomb, a merge key of a non-mapping and an alias of an unknown anchor.
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const m = (e as Error).message;
      const hint = /alias count/i.test(m) ? ` (more than ${MAX_ALIAS_COUNT} aliases expanded; write the values out)` : '';
      problems.push({ file, line: lineAt(start), message: cut(`${m.split('\n')[0]}${hint}`) });
      continue;
    }
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
