/**
 * Just enough of kro (kro.run/v1alpha1) to check ResourceGraphDefinitions offline: the simple
 * schema syntax, `${...}` expressions (found as kro finds them, parsed and evaluated as CEL),
 * and rendering a resource template for a sample instance.
 */
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';

export interface Rgd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    schema: { apiVersion: string; kind: string; group?: string; spec: Record<string, unknown>; status?: Record<string, unknown> };
    resources: { id: string; template: Record<string, unknown>; readyWhen?: string[]; includeWhen?: string[] }[];
  };
}

export interface FieldSpec { path: string; type: string; required: boolean; default?: unknown; enum?: string[]; minimum?: number; maximum?: number }

// pkg/simpleschema in kubernetes-sigs/kro: atomic types (plus `object`, unstructured) and markers.
const SCALARS = new Set(['string', 'integer', 'boolean', 'float', 'object']);
const MARKERS = new Set(['required', 'default', 'description', 'minimum', 'maximum', 'validation', 'enum', 'immutable',
  'pattern', 'uniqueItems', 'minLength', 'maxLength', 'minItems', 'maxItems']);

function validType(t: string): boolean {
  if (SCALARS.has(t)) return true;
  if (t.startsWith('[]')) return validType(t.slice(2));
  const m = /^map\[string\](.+)$/.exec(t);
  return m ? validType(m[1]) : false;
}

/** A marker value as kro reads it: surrounding quotes removed, \" and \\ unescaped. */
function markerValue(raw: string): string {
  return raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(["\\])/g, '$1') : raw.trim();
}

function typedValue(type: string, value: string): { value?: unknown; error?: string } {
  if (type === 'string') return { value };
  if (type === 'boolean') return value === 'true' || value === 'false' ? { value: value === 'true' } : { error: `default ${value} is not a boolean` };
  if (type === 'integer') return /^-?\d+$/.test(value) ? { value: Number(value) } : { error: `default ${value} is not an integer` };
  if (type === 'float') return value !== '' && Number.isFinite(Number(value)) ? { value: Number(value) } : { error: `default ${value} is not a number` };
  return { error: `defaults are checked for scalars only, not ${type}` };
}

/** Parses kro's simple schema (`type | marker=value ...`, nested mappings for objects). */
export function parseSimpleSchema(node: Record<string, unknown>, base = 'spec'): { fields: FieldSpec[]; errors: string[] } {
  const fields: FieldSpec[] = [];
  const errors: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const path = `${base}.${key}`;
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(key)) errors.push(`${path}: field names are lowerCamelCase identifiers`);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = parseSimpleSchema(value as Record<string, unknown>, path);
      fields.push(...inner.fields);
      errors.push(...inner.errors);
      continue;
    }
    if (typeof value !== 'string') {
      errors.push(`${path}: expected "type | markers" or a nested mapping, got ${JSON.stringify(value)}`);
      continue;
    }
    const [typePart, ...rest] = value.split('|');
    const type = typePart.trim();
    if (!validType(type)) errors.push(`${path}: unknown type "${type}"`);
    const field: FieldSpec = { path, type, required: false };
    let markers = rest.join('|').trim();
    const markerRe = /^(\w+)=("(?:[^"\\]|\\.)*"|\S+)\s*/;
    while (markers.length > 0) {
      const m = markerRe.exec(markers);
      if (!m) {
        errors.push(`${path}: cannot read the markers at "${markers}"`);
        break;
      }
      markers = markers.slice(m[0].length);
      const [, name, raw] = m;
      const value = markerValue(raw);
      if (!MARKERS.has(name)) errors.push(`${path}: unknown marker "${name}"`);
      if (name === 'required') field.required = value === 'true';
      if (name === 'enum') field.enum = value.split(',').map((v) => v.trim());
      if (name === 'minimum') field.minimum = Number(value);
      if (name === 'maximum') field.maximum = Number(value);
      if (name === 'default') {
        const t = typedValue(type, value);
        if (t.error) errors.push(`${path}: ${t.error}`);
        else field.default = t.value;
      }
    }
    if (field.required && field.default !== undefined) errors.push(`${path}: a required field needs no default`);
    if (field.default !== undefined) {
      if (field.enum && !field.enum.includes(String(field.default))) errors.push(`${path}: default ${JSON.stringify(field.default)} is not in enum ${field.enum.join(',')}`);
      if (typeof field.default === 'number' && ((field.minimum !== undefined && field.default < field.minimum) || (field.maximum !== undefined && field.default > field.maximum))) {
        errors.push(`${path}: default ${field.default} is outside [${field.minimum}, ${field.maximum}]`);
      }
    }
    fields.push(field);
  }
  return { fields, errors };
}

export interface Found { expr: string; standalone: boolean; path: string }

/** Every `${...}` in a value, as kro finds them: braces nest, string literals are skipped. */
export function findExpressions(value: unknown, path = ''): Found[] {
  if (typeof value === 'string') return scan(value).map((expr) => ({ expr, path, standalone: value.startsWith('${') && value.endsWith('}') && scan(value).length === 1 && `\${${expr}}` === value }));
  if (Array.isArray(value)) return value.flatMap((v, i) => findExpressions(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => findExpressions(v, path ? `${path}.${k}` : k));
  return [];
}

function scan(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while ((i = s.indexOf('${', i)) >= 0) {
    let depth = 1;
    let j = i + 2;
    let quote: string | undefined;
    for (; j < s.length && depth > 0; j++) {
      const c = s[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (depth !== 0) throw new Error(`unterminated \${ in ${JSON.stringify(s)}`);
    out.push(s.slice(i + 2, j - 1));
    i = j;
  }
  return out;
}

const KEYWORDS = new Set(['true', 'false', 'null', 'in']);

/** Top-level identifiers an expression reads (macro variables such as `c` in exists(c, ...) excluded), and the schema paths it selects. */
export function references(expr: string): { roots: string[]; schemaPaths: string[]; syntaxError?: string } {
  try {
    parse(expr);
  } catch (e) {
    return { roots: [], schemaPaths: [], syntaxError: (e as Error).message };
  }
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const bound = new Set([...code.matchAll(/\.(?:exists|all|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,/g)].map((m) => m[1]));
  const roots = new Set<string>();
  for (const m of code.matchAll(/(?<![\w.])([A-Za-z_]\w*)(?!\s*\()/g)) if (!KEYWORDS.has(m[1]) && !bound.has(m[1])) roots.add(m[1]);
  const schemaPaths = [...code.matchAll(/(?<![\w.])schema((?:\.[A-Za-z_]\w*)+)/g)].map((m) => m[1].slice(1));
  return { roots: [...roots].sort(), schemaPaths };
}

const env = celEnv();

export function evaluate(expr: string, bindings: Record<string, unknown>): unknown {
  const result = plan(env, parse(expr))(bindings as never);
  if (isCelError(result)) throw new Error(`\${${expr}}: ${String((result as { message?: string }).message ?? result)}`);
  return result;
}

/** A template with every expression replaced, as kro renders it for one instance. */
export function render(value: unknown, bindings: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const found = findExpressions(value);
    if (found.length === 0) return value;
    if (found.length === 1 && found[0].standalone) return evaluate(found[0].expr, bindings);
    let out = value;
    for (const f of found) out = out.replace(`\${${f.expr}}`, String(evaluate(f.expr, bindings)));
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => render(v, bindings));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, bindings)]));
  return value;
}

/** An instance's spec with kro's defaults applied to what the user set. */
export function withDefaults(fields: FieldSpec[], spec: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(spec);
  for (const f of fields) {
    const keys = f.path.split('.').slice(1);
    let cur = out;
    for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
    const last = keys[keys.length - 1];
    if (cur[last] === undefined && f.default !== undefined) cur[last] = f.default;
  }
  return out;
}
