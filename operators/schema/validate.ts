/**
 * OpenAPI v3 value validation with kube-openapi's semantics (the validator kube-apiserver runs on every
 * custom resource write): the same checks in the same order, the same messages, and the same mapping to
 * field errors as apiextensions' kubeOpenAPIResultToFieldErrors. On update, errors in a part of the object
 * that did not change are dropped (CRD validation ratcheting, on by default since 1.30).
 */
import { invalid, notSupported, required, tooLong, tooMany, typeInvalid, type FieldError } from './errors.js';
import { checkFormat, isSupportedFormat } from './formats.js';
import { goFloat, goNumber, goQuote } from './go-format.js';
import { deepEqual, isFloat64AJsonInteger, jsonTypeOf } from './json.js';
import { compilePattern } from './pattern.js';
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

type Code =
  | 'type' | 'required' | 'tooLong' | 'tooShort' | 'pattern' | 'enum' | 'multipleOf' | 'max' | 'min'
  | 'unique' | 'maxItems' | 'minItems' | 'tooFewProps' | 'tooManyProps' | 'unallowedProp' | 'composite';

interface KError {
  code: Code;
  name: string;
  message: string;
  value?: unknown;
  values?: unknown[];
  valid?: number;
}

interface Result {
  errors: KError[];
  matchCount: number;
}

const IN = 'body';

function msg(name: string, rest: string): string {
  return `${name} in ${IN} ${rest}`;
}

function num(n: number, asInt: boolean): string {
  return asInt ? goNumber(Math.trunc(n)) : goFloat(n);
}

function schemaTypes(s: StructuralSchema): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

/** The format after apiextensions strips the ones it does not support. */
function effectiveFormat(s: StructuralSchema): string {
  return s.format && isSupportedFormat(s.format) ? s.format : '';
}

function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function typeCheck(s: StructuralSchema, path: string, v: unknown): KError | undefined {
  const types = schemaTypes(s);
  const format = effectiveFormat(s);
  if (types.length === 0 && format === '') return undefined;
  const typeName = types.join(',');
  if (v === null || v === undefined) {
    if (types.length > 0 && !s.nullable) {
      return { code: 'type', name: path, value: 'null', message: msg(path, `must be of type ${typeName}: "null"`) };
    }
    return undefined;
  }
  const schType = jsonTypeOf(v);
  const dataFormat = schType === 'integer' ? 'int64' : schType === 'number' ? 'float64' : '';
  const isFloatInt = schType === 'number' && typeof v === 'number' && isFloat64AJsonInteger(v) && types.includes('integer');
  const isIntFloat = schType === 'integer' && types.includes('number');
  const matches = types.includes(schType) || isFloatInt || isIntFloat;
  if (schType !== 'string' && schType !== 'array' && format !== '' && !(matches || dataFormat === format)) {
    return { code: 'type', name: path, value: dataFormat, message: typeFailMessage(path, format, dataFormat) };
  }
  if (!(types.includes('number') || types.includes('integer')) && format !== '' && (schType === 'string' || schType === 'array')) {
    return undefined;
  }
  if (!matches) return { code: 'type', name: path, value: schType, message: typeFailMessage(path, typeName, schType) };
  return undefined;
}

function typeFailMessage(path: string, typeName: string, value: string): string {
  return msg(path, `must be of type ${typeName}: ${goQuote(value)}`);
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function stringChecks(s: StructuralSchema, path: string, v: string): KError | undefined {
  if (s.maxLength !== undefined && runeCount(v) > s.maxLength) {
    return { code: 'tooLong', name: path, value: v, valid: s.maxLength, message: msg(path, `should be at most ${s.maxLength} chars long`) };
  }
  if (s.minLength !== undefined && runeCount(v) < s.minLength) {
    return { code: 'tooShort', name: path, value: v, message: msg(path, `should be at least ${s.minLength} chars long`) };
  }
  if (s.pattern !== undefined && s.pattern !== '') {
    const re = compilePattern(s.pattern);
    if (!re.ok) {
      return { code: 'pattern', name: path, value: v, message: msg(path, `should match '${s.pattern}, but pattern is invalid: ${re.error}'`) };
    }
    if (!re.regex.test(v)) return { code: 'pattern', name: path, value: v, message: msg(path, `should match '${s.pattern}'`) };
  }
  return undefined;
}

function formatCheck(s: StructuralSchema, path: string, v: string): KError | undefined {
  const format = effectiveFormat(s);
  if (format === '' || checkFormat(format, v)) return undefined;
  return { code: 'type', name: path, value: v, message: typeFailMessage(path, format, v) };
}

function isJSONInteger(f: number): boolean {
  return Number.isFinite(f) && Math.abs(f - Math.round(f)) < 1e-9 * Math.max(1, Math.abs(f));
}

function numberChecks(s: StructuralSchema, path: string, v: number): KError[] {
  const asInt = Number.isInteger(v);
  const out: KError[] = [];
  if (s.multipleOf !== undefined) {
    const factor = s.multipleOf;
    if (factor < 0) {
      out.push({ code: 'multipleOf', name: path, value: factor, message: `factor MultipleOf declared for ${path} must be positive: ${num(factor, asInt)}` });
    } else if (asInt) {
      const f = Math.trunc(factor);
      if (f !== 0 && v % f !== 0) out.push({ code: 'multipleOf', name: path, value: v, message: msg(path, `should be a multiple of ${num(f, true)}`) });
    } else {
      const mult = factor < 1 ? (1 / factor) * v : v / factor;
      if (!isJSONInteger(mult)) out.push({ code: 'multipleOf', name: path, value: v, message: msg(path, `should be a multiple of ${goFloat(factor)}`) });
    }
  }
  if (s.minimum !== undefined) {
    const min = asInt ? Math.trunc(s.minimum) : s.minimum;
    const ex = s.exclusiveMinimum === true;
    if ((!ex && v < min) || (ex && v <= min)) {
      out.push({ code: 'min', name: path, value: v, message: msg(path, `should be greater than ${ex ? '' : 'or equal to '}${num(min, asInt)}`) });
    }
  }
  if (s.maximum !== undefined) {
    const max = asInt ? Math.trunc(s.maximum) : s.maximum;
    const ex = s.exclusiveMaximum === true;
    if ((!ex && v > max) || (ex && v >= max)) {
      out.push({ code: 'max', name: path, value: v, message: msg(path, `should be less than ${ex ? '' : 'or equal to '}${num(max, asInt)}`) });
    }
  }
  return out;
}

function enumCheck(s: StructuralSchema, path: string, v: unknown): KError | undefined {
  if (!s.enum || s.enum.length === 0) return undefined;
  if (v !== null && v !== undefined && s.enum.some((e) => deepEqual(e, v))) return undefined;
  return { code: 'enum', name: path, value: v ?? null, values: s.enum, message: msg(path, 'should be one of the enum values') };
}

/** Correlation of the old value for ratcheting: only object keys and list-type=map items correlate. */
interface Old {
  has: boolean;
  value: unknown;
}
const NO_OLD: Old = { has: false, value: undefined };

function listMapKey(s: StructuralSchema, item: unknown): string | undefined {
  const keys = s['x-kubernetes-list-map-keys'];
  if (!keys || !isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k] ?? null));
}

function correlatedItem(s: StructuralSchema, item: unknown, old: Old): Old {
  if (!old.has || !Array.isArray(old.value) || s['x-kubernetes-list-type'] !== 'map') return NO_OLD;
  const key = listMapKey(s, item);
  if (key === undefined) return NO_OLD;
  const found = old.value.find((o) => listMapKey(s, o) === key);
  return found === undefined ? NO_OLD : { has: true, value: found };
}

function correlatedKey(old: Old, key: string): Old {
  if (!old.has || !isObject(old.value) || !Object.hasOwn(old.value, key)) return NO_OLD;
  return { has: true, value: old.value[key] };
}

function validateNode(s: StructuralSchema, path: string, v: unknown, old: Old): Result {
  const res = validateUnratcheted(s, path, v, old);
  if (res.errors.length > 0 && old.has && deepEqual(old.value, v)) return { errors: [], matchCount: res.matchCount };
  return res;
}

// Helpers at module level rather than closures made for every node: under tsx (esbuild keepNames),
// each named closure costs a defineProperty call, and these ran for every node of every object validated.
function addError(res: Result, e: KError | undefined): void {
  if (e) res.errors.push(e);
}

function mergeResult(into: Result, r: Result): void {
  into.errors.push(...r.errors);
  into.matchCount += r.matchCount;
}

function pushComposite(res: Result, path: string, message: string): void {
  res.errors.push({ code: 'composite', name: path, message });
}

function validateUnratcheted(s: StructuralSchema, path: string, v: unknown, old: Old): Result {
  const res: Result = { errors: [], matchCount: 0 };
  if (v === null || v === undefined) {
    addError(res, typeCheck(s, path, v));
    addError(res, enumCheck(s, path, v));
    return res;
  }
  addError(res, typeCheck(s, path, v));
  res.matchCount++;
  mergeResult(res, validateComposition(s, path, v, old));
  if (typeof v === 'string') {
    addError(res, stringChecks(s, path, v));
    addError(res, formatCheck(s, path, v));
  }
  if (typeof v === 'number') res.errors.push(...numberChecks(s, path, v));
  if (Array.isArray(v)) mergeResult(res, validateArray(s, path, v, old));
  addError(res, enumCheck(s, path, v));
  if (isObject(v)) mergeResult(res, validateObject(s, path, v, old));
  res.matchCount++;
  return res;
}

function validateArray(s: StructuralSchema, path: string, v: unknown[], old: Old): Result {
  const res: Result = { errors: [], matchCount: 0 };
  if (s.items) {
    for (let i = 0; i < v.length; i++) {
      const r = validateNode(s.items, `${path}[${i}]`, v[i], correlatedItem(s, v[i], old));
      res.errors.push(...r.errors);
      res.matchCount += r.matchCount;
    }
  }
  if (s.minItems !== undefined && v.length < s.minItems) {
    res.errors.push({ code: 'minItems', name: path, value: v.length, message: msg(path, `should have at least ${s.minItems} items`) });
  }
  if (s.maxItems !== undefined && v.length > s.maxItems) {
    res.errors.push({ code: 'maxItems', name: path, value: v.length, valid: s.maxItems, message: msg(path, `should have at most ${s.maxItems} items`) });
  }
  if (s.uniqueItems && v.some((x, i) => v.slice(0, i).some((y) => deepEqual(x, y)))) {
    res.errors.push({ code: 'unique', name: path, message: msg(path, "shouldn't contain duplicates") });
  }
  res.matchCount++;
  return res;
}

function validateObject(s: StructuralSchema, path: string, v: Record<string, unknown>, old: Old): Result {
  const res: Result = { errors: [], matchCount: 0 };
  const keys = Object.keys(v);
  if (s.minProperties !== undefined && keys.length < s.minProperties) {
    res.errors.push({ code: 'tooFewProps', name: path, value: keys.length, message: msg(path, `should have at least ${s.minProperties} properties`) });
    return res;
  }
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
    res.errors.push({ code: 'tooManyProps', name: path, value: keys.length, valid: s.maxProperties, message: msg(path, `should have at most ${s.maxProperties} properties`) });
    return res;
  }
  const props = s.properties ?? {};
  if (s.additionalProperties === false) {
    for (const k of keys) {
      if (!Object.hasOwn(props, k)) {
        res.errors.push({ code: 'unallowedProp', name: path, value: k, message: `${path}.${k} in ${IN} is a forbidden property` });
      }
    }
  } else {
    const ap = additionalSchema(s);
    if (ap) {
      for (const k of keys) {
        if (!Object.hasOwn(props, k)) mergeResult(res, validateNode(ap, `${path}.${k}`, v[k], correlatedKey(old, k)));
      }
    }
  }
  for (const [name, ps] of Object.entries(props)) {
    if (Object.hasOwn(v, name)) mergeResult(res, validateNode(ps, child(path, name), v[name], correlatedKey(old, name)));
  }
  for (const k of s.required ?? []) {
    if (!Object.hasOwn(v, k)) res.errors.push({ code: 'required', name: `${path}.${k}`, message: msg(`${path}.${k}`, 'is required') });
  }
  return res;
}

function validateComposition(s: StructuralSchema, path: string, v: unknown, old: Old): Result {
  const main: Result = { errors: [], matchCount: 0 };
  if (s.anyOf && s.anyOf.length > 0) {
    let best: Result | undefined;
    let ok = false;
    for (const sub of s.anyOf) {
      const r = validateNode(sub, path, v, old);
      if (r.errors.length === 0) {
        ok = true;
        best = undefined;
        mergeResult(main, r);
        break;
      }
      if (!best || r.matchCount > best.matchCount) best = r;
    }
    if (!ok) pushComposite(main, path, `${goQuote(path)} must validate at least one schema (anyOf)`);
    if (best) mergeResult(main, best);
  }
  if (s.oneOf && s.oneOf.length > 0) {
    let best: Result | undefined;
    let first: Result | undefined;
    let validated = 0;
    for (const sub of s.oneOf) {
      const r = validateNode(sub, path, v, old);
      if (r.errors.length === 0) {
        validated++;
        best = undefined;
        first ??= r;
        continue;
      }
      if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      pushComposite(main, path, `${goQuote(path)} must validate one and only one schema (oneOf). ${validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`}`);
      if (best) mergeResult(main, best);
    } else if (first) mergeResult(main, first);
  }
  if (s.allOf && s.allOf.length > 0) {
    let validated = 0;
    for (const sub of s.allOf) {
      const r = validateNode(sub, path, v, old);
      if (r.errors.length === 0) validated++;
      mergeResult(main, r);
    }
    if (validated !== s.allOf.length) {
      pushComposite(main, path, `${goQuote(path)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}`);
    }
  }
  if (s.not) {
    if (validateNode(s.not, path, v, NO_OLD).errors.length === 0) pushComposite(main, path, `${goQuote(path)} must not validate the schema (not)`);
  }
  main.matchCount++;
  return main;
}

/** kubeOpenAPIResultToFieldErrors: kube-openapi errors become field errors with the Kubernetes types. */
function toFieldError(e: KError): FieldError {
  if (e.code === 'composite') return invalid('', '', e.message);
  const path = e.name.startsWith('.') ? e.name.slice(1) : e.name;
  const value = e.value === undefined || e.value === null ? '' : e.value;
  switch (e.code) {
    case 'required':
      return required(path);
    case 'enum':
      return notSupported(path, e.value, (e.values ?? []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))));
    case 'tooLong':
      return tooLong(path, e.valid ?? -1);
    case 'maxItems':
    case 'tooManyProps':
      return tooMany(path, typeof e.value === 'number' ? e.value : -1, e.valid ?? -1);
    case 'type':
      return typeInvalid(path, value, e.message);
    default:
      return invalid(path, value, e.message);
  }
}

/** Validates a decoded object against an openAPIV3Schema; `old` enables ratcheting of unchanged values. */
export function validateOpenAPI(schema: StructuralSchema, obj: unknown, old?: unknown): FieldError[] {
  const r = validateNode(schema, '', obj, old === undefined ? NO_OLD : { has: true, value: old });
  return r.errors.map(toFieldError);
}
