import { isObject, show, type JsonObject } from './values.js';

/**
 * Field sets as structured-merge-diff has them, serialised as managedFields' `fieldsV1`.
 *
 * A path element is kept in its fieldsV1 spelling, which is canonical: `f:<field>` (a field),
 * `k:{"name":"x"}` (a list-map item by its key fields, names sorted), `v:"x"` (a set item by its
 * value), `i:3` (a list item by index; never produced here, accepted when read).
 */
export type PathElement = string;
export type Path = PathElement[];

export function fieldElement(name: string): PathElement {
  return `f:${name}`;
}

export function keyElement(keys: Record<string, unknown>): PathElement {
  return `k:${canonicalJson(keys)}`;
}

export function valueElement(value: unknown): PathElement {
  return `v:${canonicalJson(value)}`;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The path as kube-apiserver prints it in conflicts: `.spec.containers[name="app"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.keys(keys)
            .sort()
            .map((k) => `${k}=${valueString(keys[k])}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${valueString(JSON.parse(body))}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** structured-merge-diff's value.ToString: JSON for strings and containers, plain for scalars. */
function valueString(v: unknown): string {
  return typeof v === 'string' || typeof v === 'object' ? canonicalJson(v) : String(v);
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' || typeof a === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  const sa = canonicalJson(a);
  const sb = canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** structured-merge-diff's PathElement order: fields, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a[0] !== b[0]) return (RANK[a[0]] ?? 4) - (RANK[b[0]] ?? 4);
  const x = a.slice(2);
  const y = b.slice(2);
  switch (a[0]) {
    case 'f':
      return x < y ? -1 : x > y ? 1 : 0;
    case 'i':
      return Number(x) - Number(y);
    case 'v':
      return compareValues(JSON.parse(x), JSON.parse(y));
    default: {
      const kx = JSON.parse(x) as JsonObject;
      const ky = JSON.parse(y) as JsonObject;
      const nx = Object.keys(kx).sort();
      const ny = Object.keys(ky).sort();
      for (let i = 0; i < Math.min(nx.length, ny.length); i++) {
        if (nx[i] !== ny[i]) return nx[i] < ny[i] ? -1 : 1;
        const c = compareValues(kx[nx[i]], ky[ny[i]]);
        if (c !== 0) return c;
      }
      return nx.length - ny.length;
    }
  }
}

/**
 * A set of paths, stored as a trie. A node is a member when `member` is set; a node may also
 * only lead to members below it.
 */
export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): this {
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) node.children.set(pe, (next = new FieldSet()));
      node = next;
    }
    node.member = true;
    return this;
  }

  has(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.member;
  }

  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  /** Nodes never keep empty children (every operation prunes them), so emptiness is local. */
  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a || b);
  }

  difference(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && !b);
  }

  intersection(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && b);
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path, in fieldsV1 order. */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (node: FieldSet, prefix: Path) => {
      if (node.member && prefix.length) out.push(prefix);
      for (const pe of sortedKeys(node)) walk(node.children.get(pe)!, [...prefix, pe]);
    };
    walk(this, []);
    return out;
  }

  /** The `fieldsV1` object: `{"f:spec": {"f:replicas": {}}}`, with `".": {}` for a member that has children. */
  toFieldsV1(): JsonObject {
    const emit = (node: FieldSet, includeSelf: boolean): JsonObject => {
      const out: JsonObject = {};
      const keys = sortedKeys(node);
      if (includeSelf && node.member && keys.length) out['.'] = {};
      for (const pe of keys) out[pe] = emit(node.children.get(pe)!, true);
      return out;
    };
    return emit(this, false);
  }

  /** Parses `fieldsV1`; throws an Error naming the bad key. */
  static fromFieldsV1(v: unknown): FieldSet {
    const parse = (obj: unknown, node: FieldSet, where: string) => {
      if (!isObject(obj)) throw new Error(`${where}: expected an object, got ${show(obj)}`);
      const keys = Object.keys(obj);
      if (keys.length === 0 && where !== '') node.member = true;
      for (const key of keys) {
        if (key === '.') {
          node.member = true;
          continue;
        }
        const pe = parseElement(key, where);
        let next = node.children.get(pe);
        if (!next) node.children.set(pe, (next = new FieldSet()));
        parse(obj[key], next, `${where}${key}`);
      }
    };
    const root = new FieldSet();
    parse(v, root, '');
    return root;
  }
}

function parseElement(key: string, where: string): PathElement {
  const kind = key.slice(0, 2);
  const body = key.slice(2);
  try {
    switch (kind) {
      case 'f:':
        return key;
      case 'k:': {
        const keys: unknown = JSON.parse(body);
        if (!isObject(keys)) throw new Error('not an object');
        return keyElement(keys);
      }
      case 'v:':
        return valueElement(JSON.parse(body));
      case 'i:':
        if (!/^(0|[1-9][0-9]*)$/.test(body)) throw new Error('not an index');
        return key;
    }
  } catch (e) {
    throw new Error(`${where}: invalid path element ${show(key)}: ${(e as Error).message}`);
  }
  throw new Error(`${where}: unknown path element prefix in ${show(key)}`);
}

function sortedKeys(node: FieldSet): PathElement[] {
  return [...node.children.keys()].sort(comparePathElements);
}

function combine(a: FieldSet | undefined, b: FieldSet | undefined, op: (x: boolean, y: boolean) => boolean): FieldSet {
  const out = new FieldSet();
  out.member = op(a?.member ?? false, b?.member ?? false);
  // a's children in order, then b's that a lacks (no merged key set built per node).
  if (a) {
    for (const [k, ac] of a.children) {
      const c = combine(ac, b?.children.get(k), op);
      if (!c.isEmpty()) out.children.set(k, c);
    }
  }
  if (b) {
    for (const [k, bc] of b.children) {
      if (a?.children.has(k)) continue;
      const c = combine(undefined, bc, op);
      if (!c.isEmpty()) out.children.set(k, c);
    }
  }
  return out;
}
