/**
 * CRD schema checks kube-apiserver makes when a CustomResourceDefinition is created or updated: the
 * structural-schema rules, the supported keywords and extensions, valid patterns and defaults, and
 * x-kubernetes-validations rules that compile. Paths start at `basePath`: kube-apiserver reports
 * "spec.validation.openAPIV3Schema" when every version has the same schema (it hoists it internally,
 * so always for a single-version CRD) and "spec.versions[i].schema.openAPIV3Schema" otherwise.
 */
import { compileCelTree, parseRuleFieldPath, validateCel, type RuleProblem } from './cel.js';
import { goStringSlice } from './go-format.js';
import { ROOT_FIELD, forbidden, formatFieldError, invalid, notSupported, required, type FieldError } from './errors.js';
import { deepCopy, deepEqual } from './json.js';
import { pruneValueInPlace } from './prune.js';
import { normalizeSchema } from './normalize.js';
import { compilePattern } from './pattern.js';
import { isObject, type StructuralSchema, type ValidationRule } from './types.js';
import { validateOpenAPI } from './validate.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const UNSUPPORTED = ['$ref', '$schema', 'id', 'definitions', 'dependencies', 'additionalItems', 'patternProperties'];
const LIST_TYPES = ['atomic', 'set', 'map'];
const MAP_TYPES = ['granular', 'atomic'];
const REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

type Ctx = { errs: FieldError[] };


/** What a schema nested under allOf/anyOf/oneOf/not may not say (validateNestedValueValidation). */
function checkNested(n: StructuralSchema, path: string, errs: FieldError[]): void {
  const rules: [keyof StructuralSchema, string][] = [
    ['type', 'must be empty to be structural'],
    ['additionalProperties', 'must be undefined to be structural'],
    ['default', 'must be undefined to be structural'],
    ['title', 'must be empty to be structural'],
    ['description', 'must be empty to be structural'],
    ['nullable', 'must be false to be structural'],
    ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
    ['x-kubernetes-embedded-resource', 'must be false to be structural'],
    ['x-kubernetes-int-or-string', 'must be false to be structural'],
    ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
    ['x-kubernetes-list-type', 'must be undefined to be structural'],
    ['x-kubernetes-map-type', 'must be undefined to be structural'],
    ['x-kubernetes-validations', 'must be empty to be structural'],
  ];
  for (const [k, detail] of rules) {
    const v = n[k];
    const set = v !== undefined && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0);
    if (set) errs.push(forbidden(`${path}.${k}`, detail));
  }
  if (n.properties && Object.hasOwn(n.properties, 'metadata')) {
    errs.push(forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  }
}

/** The anyOf int-or-string pattern generators emit, which the structural rules explicitly allow. */
function isIntOrStringAnyOf(anyOf: StructuralSchema[] | undefined): boolean {
  if (!anyOf || anyOf.length !== 2) return false;
  const [a, b] = anyOf;
  const only = (x: StructuralSchema, t: string) => x.type === t && Object.keys(x).length === 1;
  return only(a, 'integer') && only(b, 'string');
}

interface NodeOpts {
  root: boolean;
  inValueValidation: boolean;
  kindOfParent: 'property' | 'items' | 'root' | 'additional';
  /** The root's metadata or one of its direct fields. */
  rootMeta?: boolean;
}

function checkNode(s: unknown, path: string, ctx: Ctx, opts: NodeOpts): void {
  const { errs } = ctx;
  if (!isObject(s)) {
    errs.push(invalid(path, s, 'must be an object'));
    return;
  }
  const n = s as unknown as StructuralSchema;
  for (const k of UNSUPPORTED) if (Object.hasOwn(s, k)) errs.push(forbidden(`${path}.${k}`, `${k} is not supported`));
  if ((n.type as string) === 'null') errs.push(forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
  if (n.type !== undefined && !TYPES.includes(n.type)) errs.push(notSupported(`${path}.type`, n.type, TYPES));
  if (!opts.inValueValidation) {
    const embedded = n['x-kubernetes-embedded-resource'] === true;
    if (embedded && n.type !== 'object') {
      const detail = 'must be object if x-kubernetes-embedded-resource is true';
      errs.push(n.type === undefined ? required(`${path}.type`, detail) : invalid(`${path}.type`, n.type, detail));
    } else if (n.type === undefined && !n['x-kubernetes-int-or-string'] && !n['x-kubernetes-preserve-unknown-fields']) {
      const what = opts.root ? 'at the root' : opts.kindOfParent === 'items' ? 'for specified array items' : 'for specified object fields';
      errs.push(required(`${path}.type`, `must not be empty ${what}`));
    }
    if (opts.root && n.type !== undefined && n.type !== 'object') errs.push(invalid(`${path}.type`, n.type, 'must be object at the root'));
    if (opts.root && n.additionalProperties !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (embedded && n.additionalProperties !== undefined) errs.push(forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
    if (opts.root || embedded) {
      for (const k of ['kind', 'apiVersion'] as const) {
        const p = n.properties?.[k];
        if (p && p.type !== 'string') errs.push(invalid(`${path}.properties[${k}].type`, p.type ?? '', 'must be string'));
      }
      const meta = n.properties?.metadata;
      if (meta && meta.type !== 'object') errs.push(invalid(`${path}.properties[metadata].type`, meta.type ?? '', 'must be object'));
    }
    if (embedded && !n['x-kubernetes-preserve-unknown-fields'] && (!n.properties || Object.keys(n.properties).length === 0)) {
      errs.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
    }
    if (n['x-kubernetes-int-or-string'] && n['x-kubernetes-preserve-unknown-fields']) {
      errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
    }
    if (n['x-kubernetes-int-or-string'] && embedded) {
      errs.push(invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
    }
  } else {
    checkNested(n, path, errs);
  }
  if (n['x-kubernetes-int-or-string'] && n.type !== undefined && !opts.inValueValidation) {
    errs.push(invalid(`${path}.type`, n.type, 'must be empty if x-kubernetes-int-or-string is true'));
  }
  if (n['x-kubernetes-preserve-unknown-fields'] === false && !opts.inValueValidation) {
    errs.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  if (n.type === 'array' && n.items === undefined && !opts.inValueValidation) errs.push(required(`${path}.items`, 'must be specified'));
  if (n.properties && Object.keys(n.properties).length > 0 && n.additionalProperties !== undefined && n.additionalProperties !== true) {
    errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (n.additionalProperties === false) errs.push(forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  if (n.uniqueItems === true) errs.push(forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (n.pattern !== undefined) {
    const c = compilePattern(n.pattern);
    if (!c.ok) errs.push(invalid(`${path}.pattern`, n.pattern, `must be a valid regular expression, but isn't: ${c.error}`));
  }
  checkListAndMapTypes(n, path, errs);
  for (const [i, rule] of (n['x-kubernetes-validations'] ?? []).entries()) checkRuleFields(rule, n, `${path}.x-kubernetes-validations[${i}]`, errs);
  // Defaults in the root's metadata get their own "must not be set" errors (checkRootMetadata).
  if (n.default !== undefined && !opts.inValueValidation && !opts.rootMeta) checkDefault(n, path, errs);

  for (const [k, p] of Object.entries(n.properties ?? {})) {
    const rootMeta = (opts.root && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) || (opts.rootMeta === true && path.endsWith('.properties[metadata]'));
    checkNode(p, `${path}.properties[${k}]`, ctx, { root: false, inValueValidation: opts.inValueValidation, kindOfParent: 'property', rootMeta });
  }
  if (isObject(n.additionalProperties)) {
    checkNode(n.additionalProperties, `${path}.additionalProperties`, ctx, { root: false, inValueValidation: opts.inValueValidation, kindOfParent: 'additional' });
  }
  if (n.items !== undefined) {
    if (Array.isArray(n.items)) errs.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
    else checkNode(n.items, `${path}.items`, ctx, { root: false, inValueValidation: opts.inValueValidation, kindOfParent: 'items' });
  }
  const intOrString = n['x-kubernetes-int-or-string'] === true;
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (intOrString && k === 'anyOf' && isIntOrStringAnyOf(n.anyOf)) continue;
    (n[k] ?? []).forEach((sub, i) => {
      if (intOrString && k === 'allOf' && i === 0 && isIntOrStringAnyOf(sub.anyOf)) {
        const { anyOf: _allowed, ...rest } = sub;
        checkNode(rest, `${path}.${k}[${i}]`, ctx, { root: false, inValueValidation: true, kindOfParent: 'property' });
        return;
      }
      checkNode(sub, `${path}.${k}[${i}]`, ctx, { root: false, inValueValidation: true, kindOfParent: 'property' });
    });
  }
  if (n.not !== undefined) checkNode(n.not, `${path}.not`, ctx, { root: false, inValueValidation: true, kindOfParent: 'property' });
  if (opts.root) checkRootMetadata(n, path, errs);
}

const NEWLINES = /[\n\r]+/;

/** The per-rule field checks (the rule's compilation is checked afterwards, see checkSchema). */
function checkRuleFields(rule: ValidationRule, n: StructuralSchema, at: string, errs: FieldError[]): void {
  const msg = (rule.message ?? '').trim();
  if (rule.rule.trim() === '') errs.push(required(`${at}.rule`, 'rule is not specified'));
  else if ((rule.message ?? '').length > 0 && msg === '') errs.push(invalid(`${at}.message`, rule.message, 'message must be non-empty if specified'));
  else if (NEWLINES.test(msg)) errs.push(invalid(`${at}.message`, rule.message, 'message must not contain line breaks'));
  else if (NEWLINES.test(rule.rule.trim()) && msg === '') errs.push(required(`${at}.message`, 'message must be specified if rule contains line breaks'));
  if ((rule.messageExpression ?? '').length > 0 && rule.messageExpression!.trim() === '') {
    errs.push(required(`${at}.messageExpression`, 'messageExpression must be non-empty if specified'));
  }
  if (rule.reason !== undefined && !REASONS.includes(rule.reason)) errs.push(notSupported(`${at}.reason`, rule.reason, REASONS));
  if (rule.fieldPath !== undefined && rule.fieldPath.length > 0) {
    if (rule.fieldPath.trim() === '') errs.push(invalid(`${at}.fieldPath`, rule.fieldPath, 'fieldPath must be non-empty if specified'));
    if (NEWLINES.test(rule.fieldPath)) errs.push(invalid(`${at}.fieldPath`, rule.fieldPath, 'fieldPath must not contain line breaks'));
    if ('error' in parseRuleFieldPath(rule.fieldPath, n)) errs.push(invalid(`${at}.fieldPath`, rule.fieldPath, 'fieldPath must be a valid path'));
  }
}

/** x-kubernetes-list-type / -list-map-keys / -map-type rules of ValidateCustomResourceDefinitionOpenAPISchema. */
function checkListAndMapTypes(n: StructuralSchema, path: string, errs: FieldError[]): void {
  const lt = n['x-kubernetes-list-type'];
  const keys = n['x-kubernetes-list-map-keys'] ?? [];
  const mt = n['x-kubernetes-map-type'];
  if (mt !== undefined && n.type !== 'object') {
    const detail = 'must be object if x-kubernetes-map-type is specified';
    errs.push(n.type === undefined ? required(`${path}.type`, detail) : invalid(`${path}.type`, n.type, detail));
  }
  if (mt !== undefined && !MAP_TYPES.includes(mt)) errs.push(notSupported(`${path}.x-kubernetes-map-type`, mt, MAP_TYPES));
  if (lt !== undefined && n.type !== 'array') {
    const detail = 'must be array if x-kubernetes-list-type is specified';
    errs.push(n.type === undefined ? required(`${path}.type`, detail) : invalid(`${path}.type`, n.type, detail));
  } else if (lt === 'set' && n.items) {
    const item = n.items;
    if (item.type === 'array' && item['x-kubernetes-list-type'] !== undefined && item['x-kubernetes-list-type'] !== 'atomic') {
      errs.push(invalid(`${path}.items.x-kubernetes-list-type`, item['x-kubernetes-list-type'], 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
    if (item.type === 'object' && item['x-kubernetes-map-type'] !== 'atomic') {
      // kube-apiserver prints the item's list type here (nil): keep its text.
      errs.push(invalid(`${path}.items.x-kubernetes-map-type`, item['x-kubernetes-list-type'] ?? null, 'must be atomic as item of a list with x-kubernetes-list-type=set'));
    }
  }
  if (lt !== undefined && !LIST_TYPES.includes(lt)) errs.push(notSupported(`${path}.x-kubernetes-list-type`, lt, LIST_TYPES));
  if (keys.length > 0) {
    if (lt === undefined) errs.push(required(`${path}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (lt !== 'map') errs.push(invalid(`${path}.x-kubernetes-list-type`, lt, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (lt === 'map') {
    if (keys.length === 0) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (!n.items) errs.push(required(`${path}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    else if (n.items.type !== 'object') {
      errs.push(invalid(`${path}.items.type`, n.items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    } else {
      const seen = new Set<string>();
      for (const k of keys) {
        const ks = n.items.properties?.[k];
        if (!ks) errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, goStringSlice(keys), 'entries must all be names of item properties'));
        else if (ks.type === 'array' || ks.type === 'object') {
          errs.push(invalid(`${path}.items.properties[${k}].type`, n.items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        }
        if (seen.has(k)) errs.push(invalid(`${path}.x-kubernetes-list-map-keys`, goStringSlice(keys), 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  // validateMapListKeysMapSet
  if ((lt === 'set' || lt === 'map') && n.items) {
    if (n.items.nullable) errs.push(forbidden(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${lt}`));
    if (lt === 'map') {
      for (const k of keys) {
        const ks = n.items.properties?.[k];
        if (!ks) continue;
        if (!(n.items.required ?? []).includes(k) && ks.default === undefined) {
          errs.push(required(`${path}.items.properties[${k}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
        }
        if (ks.nullable) errs.push(forbidden(`${path}.items.properties[${k}].nullable`, 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
      }
    }
  }
}

function under(base: string, e: FieldError): FieldError {
  return { ...e, field: e.field === ROOT_FIELD ? base : `${base}.${e.field}` };
}

/** structuraldefaulting.ValidateDefaults: a default must be pruned, valid, and satisfy the node's rules. */
function checkDefault(n: StructuralSchema, path: string, errs: FieldError[]): void {
  const { default: value, ...rest } = n;
  const at = `${path}.default`;
  if (isObject(value) || Array.isArray(value)) {
    const copy = deepCopy(value) as Record<string, unknown>;
    pruneValueInPlace(copy, rest);
    if (!deepEqual(copy, value)) {
      errs.push(invalid(at, value, 'must not have unknown fields'));
      return;
    }
  }
  const schemaErrs = validateOpenAPI({ ...rest, 'x-kubernetes-validations': undefined }, value).map((e) => under(at, e));
  if (schemaErrs.length > 0) {
    errs.push(...schemaErrs);
    return;
  }
  const tree = compileCelTree(rest, [], '', rest['x-kubernetes-embedded-resource'] === true);
  if (!tree) return;
  // A default must hold with itself as oldSelf and, for optionalOldSelf rules, with no old value at all.
  const celErrs = validateCel(tree, value, value, false);
  errs.push(...(celErrs.length > 0 ? celErrs : validateCel(tree, value, undefined, false)).map((e) => under(at, e)));
}

/**
 * Metadata at the root may only restrict name and generateName (validateStructuralMetadataInvariants);
 * defaults there are refused separately.
 */
function checkRootMetadata(n: StructuralSchema, path: string, errs: FieldError[]): void {
  for (const k of ['apiVersion', 'kind'] as const) {
    if (n.properties?.[k]?.default !== undefined) errs.push(forbidden(`${path}.properties[${k}].default`, `must not be set in top-level ${k}`));
  }
  const meta = n.properties?.metadata;
  if (!meta) return;
  const mp = `${path}.properties[metadata]`;
  if (meta.default !== undefined) errs.push(forbidden(`${mp}.default`, 'must not be set in top-level metadata'));
  for (const [k, p] of Object.entries(meta.properties ?? {})) {
    if (p.default !== undefined) errs.push(forbidden(`${mp}.properties[${k}].default`, 'must not be set in top-level metadata'));
  }
  const props = Object.keys(meta.properties ?? {});
  const onlyNames = props.every((k) => k === 'name' || k === 'generateName');
  const rest = Object.keys(meta).filter((k) => k !== 'type' && k !== 'default' && k !== 'properties');
  if (!onlyNames || rest.length > 0) {
    errs.push(forbidden(mp, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
}

/** All problems kube-apiserver would report for this openAPIV3Schema, or [] when it is acceptable. */
export function checkSchema(openAPIV3Schema: unknown, basePath = 'openAPIV3Schema'): FieldError[] {
  const normalized = normalizeSchema(openAPIV3Schema, basePath);
  if (normalized.problems.length > 0) return normalized.problems;
  const ctx: Ctx = { errs: [] };
  checkNode(normalized.schema, basePath, ctx, { root: true, inValueValidation: false, kindOfParent: 'root' });
  // Sorted by message, as ValidateStructural sorts (Go map order would otherwise vary).
  if (ctx.errs.length > 0) return ctx.errs.map((e) => [formatFieldError(e), e] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  const problems: RuleProblem[] = [];
  compileCelTree(normalized.schema, problems, basePath);
  for (const p of problems) ctx.errs.push(invalid(p.schemaPath, p.value, p.message));
  return ctx.errs;
}
