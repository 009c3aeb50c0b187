/**
 * Decoded JSON to CEL values, typed by the schema as Kubernetes does (UnstructuredToVal): integer fields
 * are CEL ints, number fields doubles, date-time/duration/byte strings timestamps, durations and bytes;
 * objects with properties expose their fields under escaped names; the root of a resource (and every
 * embedded resource) exposes only apiVersion, kind, metadata.name and metadata.generateName.
 */
import { CelScalar, celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { unorderedList } from './cel-library.js';
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

const RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

// Escaped names by property name: they come from schemas, so the set is bounded by the CRDs'
// properties, and a value is converted on every write (a regular expression per property).
const escaped = new Map<string, string | undefined>();
const MAX_ESCAPED = 10_000;

/** k8s.io/apiserver/pkg/cel.Escape: the CEL name of a property, or undefined when it has none. */
export function escapePropertyName(name: string): string | undefined {
  if (escaped.has(name)) return escaped.get(name);
  const out = escapeName(name);
  if (escaped.size >= MAX_ESCAPED) escaped.clear();
  escaped.set(name, out);
  return out;
}

function escapeName(name: string): string | undefined {
  if (name.length === 0 || (name[0] >= '0' && name[0] <= '9')) return undefined;
  if (RESERVED.has(name)) return `__${name}__`;
  let ok = true;
  const out = name.replace(/(__|[-./]|[^a-zA-Z0-9\-./_])/g, (m) => {
    switch (m) {
      case '__': return '__underscores__';
      case '.': return '__dot__';
      case '-': return '__dash__';
      case '/': return '__slash__';
      default:
        ok = false;
        return '';
    }
  });
  return ok ? out : undefined;
}

const castEnv = celEnv({ variables: { x: CelScalar.STRING } });
const toTimestamp = plan(castEnv, parse('timestamp(x)'));
const toDuration = plan(castEnv, parse('duration(x)'));

/** The date-time spellings the format accepts without a zone or with a space are UTC to Kubernetes. */
function rfc3339(v: string): string {
  const t = v.replace(/^(\d{4}-\d{2}-\d{2}) /, '$1T');
  if (/[Zz]$|[+-]\d{2}:?\d{2}$/.test(t)) return t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return /T\d{2}:\d{2}$/.test(t) ? `${t}:00Z` : `${t}Z`;
}

function stringValue(s: StructuralSchema, v: string): CelInput {
  switch (s.format) {
    case 'date-time':
    case 'datetime':
    case 'date': {
      const r = toTimestamp({ x: s.format === 'date' ? `${v}T00:00:00Z` : rfc3339(v) });
      return isCelError(r) ? v : (r as CelInput);
    }
    case 'duration': {
      const r = toDuration({ x: v });
      return isCelError(r) ? v : (r as CelInput);
    }
    case 'byte':
      return new Uint8Array(Buffer.from(v, 'base64'));
    default:
      return v;
  }
}

function numberValue(s: StructuralSchema | undefined, v: number): CelInput {
  if (s?.type === 'number') return v;
  if (Number.isInteger(v)) return BigInt(v);
  return v;
}

const META_KEEP = ['name', 'generateName'];

/**
 * Converts `v` for a rule declared on schema `s`; `resourceRoot` trims metadata as Kubernetes does.
 * `only`, for an object, keeps just those fields (by their CEL names): the ones the rules read
 * (cel-check.ts selectedFields); a rule sees the same values for every field it can reach.
 */
export function toCel(v: unknown, s: StructuralSchema | undefined, resourceRoot = false, only?: ReadonlySet<string>): CelInput {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return numberValue(s, v);
  if (typeof v === 'string') return s ? stringValue(s, v) : v;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const items = v.map((x) => toCel(x, s?.items, s?.items?.['x-kubernetes-embedded-resource'] === true));
    const listType = s?.['x-kubernetes-list-type'];
    return listType === 'set' || listType === 'map' ? unorderedList(items) : items;
  }
  if (!isObject(v)) return null;
  const m = new Map<string, CelInput>();
  const props = s?.properties;
  if (props && Object.keys(props).length > 0) {
    for (const [k, x] of Object.entries(v)) {
      if (!Object.hasOwn(props, k)) {
        if (s?.['x-kubernetes-preserve-unknown-fields'] && (!only || only.has(k))) m.set(k, toCel(x, undefined));
        continue;
      }
      const name = escapePropertyName(k);
      if (name !== undefined && (!only || only.has(name))) m.set(name, toCel(x, props[k], props[k]['x-kubernetes-embedded-resource'] === true));
    }
  } else {
    const ap = additionalSchema(s);
    for (const [k, x] of Object.entries(v)) if (!only || only.has(k)) m.set(k, toCel(x, ap, ap?.['x-kubernetes-embedded-resource'] === true));
  }
  if (resourceRoot) {
    for (const k of ['apiVersion', 'kind']) if (typeof v[k] === 'string' && (!only || only.has(k))) m.set(k, v[k] as string);
    if (isObject(v.metadata) && (!only || only.has('metadata'))) {
      const meta = new Map<string, CelInput>();
      for (const k of META_KEEP) if (typeof v.metadata[k] === 'string') meta.set(k, v.metadata[k] as string);
      m.set('metadata', meta);
    }
  }
  return m;
}
