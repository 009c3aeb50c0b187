// fast-check arbitraries from a CRD's OpenAPI v3 schema: values valid to the schema's structural
// keywords (types, required, enums, patterns, lengths, bounds, item counts, list-type set/map
// uniqueness, int-or-string, preserve-unknown-fields, embedded resources, additionalProperties).
// CEL rules are not solved: a generated object may break one, which is part of what is tested.
// Plus the mutations that turn a valid object into a bad one, each saying what it did.
import fc from 'fast-check';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** Items per generated list and keys per generated map, whatever the schema allows (keeps objects small). */
const MAX_GENERATED_ITEMS = 3;
const MAX_GENERATED_STRING = 24;

function stringArb(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? MAX_GENERATED_STRING, MAX_GENERATED_STRING));
  const fits = (v: string) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity);
  if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (s.format === 'uri') return fc.webUrl({ size: 'xsmall' }).filter(fits);
  if (s.pattern) {
    // RE2 and JavaScript agree on the patterns CRDs use here, except \s (ASCII only in RE2).
    const re = new RegExp(s.pattern.replace(/\\s/g, '[ \\t\\n\\f\\r]'));
    return fc.stringMatching(re, { size: 'xsmall' }).filter(fits);
  }
  return fc.string({ minLength: min, maxLength: max, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split('')) });
}

function intArb(s: Schema): fc.Arbitrary<number> {
  const lo = s.minimum !== undefined ? s.minimum + (s.exclusiveMinimum ? 1 : 0) : s.format === 'int32' ? -(2 ** 31) : -1000;
  const hi = s.maximum !== undefined ? s.maximum - (s.exclusiveMaximum ? 1 : 0) : s.format === 'int32' ? 2 ** 31 - 1 : 100_000;
  return fc.integer({ min: Math.ceil(lo), max: Math.floor(Math.max(lo, hi)) });
}

/** A string enum property whose values name sibling object properties (a tagged union), if any. */
function discriminator(s: Schema): { field: string; members: string[] } | undefined {
  for (const [field, p] of Object.entries(s.properties ?? {})) {
    if (p.type !== 'string' || !p.enum) continue;
    const members = p.enum.filter((v): v is string => typeof v === 'string' && s.properties?.[v]?.type === 'object');
    if (members.length > 0) return { field, members };
  }
  return undefined;
}

/** A value valid to the schema's structural keywords. `depth` bounds recursion into preserved fields. */
export function arbitraryFor(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  if (s['x-kubernetes-int-or-string']) return fc.oneof(fc.nat({ max: 100 }), fc.constantFrom('50%', '1', '10m'));
  if (s['x-kubernetes-embedded-resource']) return fc.constant({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'embedded' }, data: { a: 'b' } });
  switch (s.type) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return intArb(s);
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true, noDefaultInfinity: true }).map((n) => Math.round(n * 100) / 100).filter((n) => n >= (s.minimum ?? -Infinity) && n <= (s.maximum ?? Infinity));
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const item = s.items ? arbitraryFor(s.items, depth + 1) : fc.constant({});
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS));
      const listType = s['x-kubernetes-list-type'];
      if (listType === 'map') {
        const keys = s['x-kubernetes-list-map-keys'] ?? [];
        return fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(keys.map((k) => (v as Record<string, unknown>)[k])) });
      }
      if (listType === 'set') return fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) });
      return fc.array(item, { minLength, maxLength });
    }
    case 'object':
    default: {
      if (s.properties) {
        const required = new Set(s.required ?? []);
        const entries = Object.entries(s.properties);
        const shape = Object.fromEntries(entries.map(([k, v]) => [k, arbitraryFor(v, depth + 1)]));
        // A block selected by a `type`-like field (`type: tool` with a `tool` block, `runtime: vllm`
        // with a `vllm` block): generate every member, then keep only the selected one.
        const union = discriminator(s);
        if (union) {
          for (const m of union.members) required.add(m);
          required.add(union.field);
        }
        const rec = fc.record(shape, { requiredKeys: entries.map(([k]) => k).filter((k) => required.has(k)) });
        if (!union) return rec;
        return rec.map((o) => {
          const out = { ...o } as Record<string, unknown>;
          for (const m of union.members) if (m !== out[union.field]) delete out[m];
          return out;
        });
      }
      if (typeof s.additionalProperties === 'object') {
        const maxKeys = Math.min(s.maxProperties ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS);
        return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), arbitraryFor(s.additionalProperties, depth + 1), { maxKeys });
      }
      if (s['x-kubernetes-preserve-unknown-fields']) return depth > 6 ? fc.constant({}) : fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
      return fc.constant({});
    }
  }
}

// ---- mutations --------------------------------------------------------------------------------

export type Path = (string | number)[];

/** Every path into a JSON value (the value itself first). */
export function pathsOf(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

/** The schema of the value at a path, or undefined where the schema does not say. */
export function schemaAt(s: Schema | undefined, path: Path): Schema | undefined {
  let cur = s;
  for (const seg of path) {
    if (!cur) return undefined;
    if (typeof seg === 'number') cur = cur.items;
    else cur = cur.properties?.[seg] ?? (typeof cur.additionalProperties === 'object' ? cur.additionalProperties : undefined);
  }
  return cur;
}

export type Mutation =
  | { kind: 'wrongType'; pick: number; value: unknown }
  | { kind: 'outOfRange'; pick: number; by: number }
  | { kind: 'unknownField'; pick: number; key: string }
  | { kind: 'drop'; pick: number }
  | { kind: 'graft'; pick: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('wrongType' as const), pick: fc.nat(), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(1.5, -1, 'not-a-number', true, [], {}, null, 2 ** 53, 1e308)) }),
  fc.record({ kind: fc.constant('outOfRange' as const), pick: fc.nat(), by: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ kind: fc.constant('unknownField' as const), pick: fc.nat(), key: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,9}$/) }),
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('graft' as const), pick: fc.nat() }),
);

const get = (v: unknown, p: Path): unknown => p.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v);

/**
 * Applies a mutation to a copy of `spec` (whose schema is `s`); `other` is a second valid spec
 * from which `graft` copies the value at the same path (or a sibling block), which is how
 * combinations a CEL rule forbids (both of two exclusive blocks) appear. Returns the mutated
 * spec and a description of what was done, for the failure message.
 */
export function applyMutation(spec: unknown, s: Schema, m: Mutation, other: unknown): { spec: unknown; did: string } {
  const copy = structuredClone(spec) as Record<string, unknown>;
  const all = pathsOf(copy).filter((p) => p.length > 0);
  if (all.length === 0) return { spec: copy, did: 'nothing to mutate' };
  const p = all[m.pick % all.length];
  const parent = get(copy, p.slice(0, -1)) as Record<string | number, unknown>;
  const last = p[p.length - 1];
  const at = p.join('.');
  switch (m.kind) {
    case 'wrongType':
      parent[last] = m.value;
      return { spec: copy, did: `spec.${at} = ${JSON.stringify(m.value)}` };
    case 'outOfRange': {
      const sch = schemaAt(s, p);
      const v = parent[last];
      if (typeof v === 'number') parent[last] = sch?.maximum !== undefined ? sch.maximum + m.by : sch?.minimum !== undefined ? sch.minimum - m.by : v * 1e12;
      else if (typeof v === 'string') parent[last] = v + 'x'.repeat((sch?.maxLength ?? 1000) + m.by - v.length);
      else if (Array.isArray(v)) parent[last] = Array.from({ length: (sch?.maxItems ?? 50) + 1 }, () => v[0] ?? {});
      else parent[last] = m.by;
      return { spec: copy, did: `spec.${at} out of range` };
    }
    case 'unknownField': {
      const target = parent[last];
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = 'unknown';
      else copy[m.key] = 1;
      return { spec: copy, did: `unknown field ${m.key} under spec.${at}` };
    }
    case 'drop':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      return { spec: copy, did: `dropped spec.${at}` };
    case 'graft': {
      // Copy every top-level field of the other spec that this one lacks: both halves of an
      // either/or pair end up in one object.
      const o = (other ?? {}) as Record<string, unknown>;
      const added = Object.keys(o).filter((k) => !(k in copy));
      for (const k of added) copy[k] = o[k];
      return { spec: copy, did: `grafted spec.{${added.join(',')}} from another valid spec` };
    }
  }
}
