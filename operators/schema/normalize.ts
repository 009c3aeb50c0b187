/**
 * A CRD schema arrives as untrusted JSON. kube-apiserver would refuse to decode one whose keywords have
 * the wrong JSON type (`maxLength: "5"`); here such keywords are dropped, so that compiling and
 * validating never throw, and reported by checkSchema.
 */
import { invalid, type FieldError } from './errors.js';
import { isObject, type StructuralSchema } from './types.js';

const STRING_KEYS = ['type', 'format', 'description', 'title', 'pattern', 'x-kubernetes-list-type', 'x-kubernetes-map-type'] as const;
const BOOL_KEYS = [
  'nullable', 'exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string',
] as const;
const NUMBER_KEYS = ['maximum', 'minimum', 'multipleOf'] as const;
const COUNT_KEYS = ['maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties'] as const;
const PASSTHROUGH = ['default', 'example', '$ref', '$schema', 'id', 'definitions', 'dependencies', 'additionalItems', 'patternProperties'] as const;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function norm(raw: unknown, path: string, problems: FieldError[]): StructuralSchema {
  const out: Record<string, unknown> = {};
  if (!isObject(raw)) {
    problems.push(invalid(path, raw, 'must be a JSON schema object'));
    return out;
  }
  const bad = (k: string, what: string) => problems.push(invalid(`${path}.${k}`, raw[k], `must be ${what}`));
  // A key holding undefined (possible from TypeScript callers, never from JSON) counts as absent.
  const has = (k: string) => raw[k] !== undefined;
  for (const k of STRING_KEYS) if (has(k)) typeof raw[k] === 'string' ? (out[k] = raw[k]) : bad(k, 'a string');
  for (const k of BOOL_KEYS) if (has(k)) typeof raw[k] === 'boolean' ? (out[k] = raw[k]) : bad(k, 'a boolean');
  for (const k of NUMBER_KEYS) if (has(k)) typeof raw[k] === 'number' && Number.isFinite(raw[k]) ? (out[k] = raw[k]) : bad(k, 'a number');
  for (const k of COUNT_KEYS) if (has(k)) Number.isInteger(raw[k]) && (raw[k] as number) >= 0 ? (out[k] = raw[k]) : bad(k, 'a non-negative integer');
  for (const k of PASSTHROUGH) if (has(k)) out[k] = raw[k];
  if (has('required')) isStringArray(raw.required) ? (out.required = raw.required) : bad('required', 'a list of strings');
  if (has('x-kubernetes-list-map-keys')) {
    isStringArray(raw['x-kubernetes-list-map-keys']) ? (out['x-kubernetes-list-map-keys'] = raw['x-kubernetes-list-map-keys']) : bad('x-kubernetes-list-map-keys', 'a list of strings');
  }
  if (has('enum')) Array.isArray(raw.enum) ? (out.enum = raw.enum) : bad('enum', 'a list');
  if (has('properties')) {
    if (isObject(raw.properties)) {
      const props: Record<string, StructuralSchema> = {};
      for (const [k, v] of Object.entries(raw.properties)) props[k] = norm(v, `${path}.properties[${k}]`, problems);
      out.properties = props;
    } else bad('properties', 'an object');
  }
  if (has('additionalProperties')) {
    const ap = raw.additionalProperties;
    if (typeof ap === 'boolean') out.additionalProperties = ap;
    else if (isObject(ap)) out.additionalProperties = norm(ap, `${path}.additionalProperties`, problems);
    else bad('additionalProperties', 'a boolean or a schema');
  }
  if (has('items')) {
    if (isObject(raw.items)) out.items = norm(raw.items, `${path}.items`, problems);
    else bad('items', 'a schema object and not an array');
  }
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (!has(k)) continue;
    const list = raw[k];
    if (Array.isArray(list)) out[k] = list.map((s, i) => norm(s, `${path}.${k}[${i}]`, problems));
    else bad(k, 'a list of schemas');
  }
  if (has('not')) out.not = norm(raw.not, `${path}.not`, problems);
  if (has('x-kubernetes-validations')) {
    const rules = raw['x-kubernetes-validations'];
    if (!Array.isArray(rules)) bad('x-kubernetes-validations', 'a list of rules');
    else {
      out['x-kubernetes-validations'] = rules.filter((r, i) => {
        const ok = isObject(r) && typeof r.rule === 'string'
          && ['message', 'messageExpression', 'reason', 'fieldPath'].every((f) => r[f] === undefined || typeof r[f] === 'string')
          && (r.optionalOldSelf === undefined || typeof r.optionalOldSelf === 'boolean');
        if (!ok) problems.push(invalid(`${path}.x-kubernetes-validations[${i}]`, r, 'must be a rule object with a string rule'));
        return ok;
      });
    }
  }
  return out as StructuralSchema;
}

/** A well-typed copy of `raw` and the keywords that had to be dropped. */
export function normalizeSchema(raw: unknown, basePath = 'openAPIV3Schema'): { schema: StructuralSchema; problems: FieldError[] } {
  const problems: FieldError[] = [];
  const schema = norm(raw, basePath, problems);
  return { schema, problems };
}
