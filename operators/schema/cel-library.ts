/**
 * The Kubernetes CEL libraries CRD rules commonly use, on top of @bufbuild/cel's standard library and
 * strings extension: lists (isSorted, sum, min, max, indexOf, lastIndexOf), regex (find, findAll), URLs,
 * quantities, sets, and the optional type that optionalOldSelf rules receive.
 */
import {
  CelScalar, celEnv, celFunc, celList, celMap, celMethod, isCelList, isCelMap, listType, parse, plan,
  type CelFunc, type CelInput, type CelList, type CelMap, type CelValue,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { compilePattern } from './pattern.js';

const { BOOL, DYN, INT, STRING, DOUBLE } = CelScalar;
const LIST = listType(DYN);

function items(l: CelList): CelValue[] {
  return [...l];
}

function compare(a: CelValue, b: CelValue): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const qa = quantities.get(a as object);
  const qb = quantities.get(b as object);
  if (qa && qb) return compareQuantity(qa, qb);
  throw new Error('no such overload');
}

function equals(a: CelValue, b: CelValue): boolean {
  try {
    return compare(a, b) === 0;
  } catch {
    return a === b;
  }
}

const lists: CelFunc[] = [
  celMethod('isSorted', LIST, [], BOOL, function () {
    const xs = items(this);
    for (let i = 1; i < xs.length; i++) if (compare(xs[i - 1], xs[i]) > 0) return false;
    return true;
  }),
  celMethod('sum', LIST, [], DYN, function () {
    const xs = items(this);
    if (xs.length === 0) return 0n;
    if (xs.every((x) => typeof x === 'bigint')) return (xs as bigint[]).reduce((a, b) => a + b, 0n);
    return xs.reduce<number>((a, b) => a + Number(b), 0);
  }),
  celMethod('min', LIST, [], DYN, function () {
    const xs = items(this);
    if (xs.length === 0) throw new Error('min(list) argument must not be empty');
    return xs.reduce((a, b) => (compare(b, a) < 0 ? b : a)) as CelInput;
  }),
  celMethod('max', LIST, [], DYN, function () {
    const xs = items(this);
    if (xs.length === 0) throw new Error('max(list) argument must not be empty');
    return xs.reduce((a, b) => (compare(b, a) > 0 ? b : a)) as CelInput;
  }),
  celMethod('indexOf', LIST, [DYN], INT, function (x) {
    return BigInt(items(this).findIndex((y) => equals(x, y)));
  }),
  celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
    const xs = items(this);
    for (let i = xs.length - 1; i >= 0; i--) if (equals(x, xs[i])) return BigInt(i);
    return -1n;
  }),
];

function regexOf(pattern: string, global: boolean): RegExp {
  const c = compilePattern(pattern);
  if (!c.ok) throw new Error(c.error);
  return new RegExp(c.regex.source, c.regex.flags + (global ? 'g' : ''));
}

const regex: CelFunc[] = [
  celMethod('find', STRING, [STRING], STRING, function (p) {
    return regexOf(p, false).exec(this)?.[0] ?? '';
  }),
  celMethod('findAll', STRING, [STRING], LIST, function (p) {
    return celList([...this.matchAll(regexOf(p, true))].map((m) => m[0]));
  }),
  celMethod('findAll', STRING, [STRING, INT], LIST, function (p, n) {
    const all = [...this.matchAll(regexOf(p, true))].map((m) => m[0]);
    return celList(n < 0n ? all : all.slice(0, Number(n)));
  }),
];

/** URLs: url(string) and its getters, backed by WHATWG URL parsing (absolute URLs and absolute paths). */
const urls = new WeakMap<object, URL>();
function parseURL(s: string): URL | undefined {
  try {
    return s.startsWith('/') ? new URL(s, 'relative:///') : new URL(s);
  } catch {
    return undefined;
  }
}
function urlOf(v: CelValue): URL {
  const u = urls.get(v as object);
  if (!u) throw new Error('no such overload');
  return u;
}
const urlLib: CelFunc[] = [
  celFunc('isURL', [STRING], BOOL, (s) => parseURL(s) !== undefined),
  celFunc('url', [STRING], DYN, (s) => {
    const u = parseURL(s);
    if (!u) throw new Error(`URL parse error during conversion from string: ${s}`);
    const m = celMap(new Map([['__url__', s]]));
    urls.set(m, u);
    return m;
  }),
  celMethod('getScheme', DYN, [], STRING, function () {
    const u = urlOf(this);
    return u.protocol === 'relative:' ? '' : u.protocol.replace(/:$/, '');
  }),
  celMethod('getHost', DYN, [], STRING, function () {
    return urlOf(this).host;
  }),
  celMethod('getHostname', DYN, [], STRING, function () {
    return urlOf(this).hostname.replace(/^\[(.*)\]$/, '$1');
  }),
  celMethod('getPort', DYN, [], STRING, function () {
    return urlOf(this).port;
  }),
  celMethod('getEscapedPath', DYN, [], STRING, function () {
    return urlOf(this).pathname;
  }),
  celMethod('getQuery', DYN, [], DYN, function () {
    const q = new Map<string, CelInput>();
    for (const [k, v] of urlOf(this).searchParams) q.set(k, [...((q.get(k) as string[] | undefined) ?? []), v]);
    return celMap(q);
  }),
];

/** Kubernetes resource.Quantity, held exactly as a rational number value = num / 10^scale. */
interface Quantity {
  num: bigint;
  scale: number;
}
const quantities = new WeakMap<object, Quantity>();
const QUANTITY = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const BINARY: Record<string, bigint> = { Ki: 2n ** 10n, Mi: 2n ** 20n, Gi: 2n ** 30n, Ti: 2n ** 40n, Pi: 2n ** 50n, Ei: 2n ** 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

export function parseQuantity(s: string): Quantity | undefined {
  const m = QUANTITY.exec(s);
  if (!m) return undefined;
  const [int, frac = ''] = m[1].replace(/^\+/, '').split('.');
  let num = BigInt((int === '' || int === '-' ? `${int}0` : int) + frac);
  let scale = frac.length;
  const suffix = m[2] ?? '';
  if (Object.hasOwn(BINARY, suffix)) num *= BINARY[suffix];
  else if (/^[eE]/.test(suffix)) scale -= Number(suffix.slice(1));
  else scale -= DECIMAL[suffix];
  if (scale < 0) {
    num *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { num, scale };
}

function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.num * 10n ** BigInt(scale - a.scale), b.num * 10n ** BigInt(scale - b.scale), scale];
}
function compareQuantity(a: Quantity, b: Quantity): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}
function wrapQuantity(q: Quantity): CelMap {
  const m = celMap(new Map([['__quantity__', `${q.num}e-${q.scale}`]]));
  quantities.set(m, q);
  return m;
}
function quantityOf(v: CelValue): Quantity {
  if (typeof v === 'bigint') return { num: v, scale: 0 };
  const q = quantities.get(v as object);
  if (!q) throw new Error('no such overload');
  return q;
}
const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);

const quantityLib: CelFunc[] = [
  celFunc('isQuantity', [STRING], BOOL, (s) => parseQuantity(s) !== undefined),
  celFunc('quantity', [STRING], DYN, (s) => {
    const q = parseQuantity(s);
    if (!q) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    return wrapQuantity(q);
  }),
  celMethod('compareTo', DYN, [DYN], INT, function (o) {
    return BigInt(compareQuantity(quantityOf(this), quantityOf(o)));
  }),
  celMethod('isLessThan', DYN, [DYN], BOOL, function (o) {
    return compareQuantity(quantityOf(this), quantityOf(o)) < 0;
  }),
  celMethod('isGreaterThan', DYN, [DYN], BOOL, function (o) {
    return compareQuantity(quantityOf(this), quantityOf(o)) > 0;
  }),
  celMethod('add', DYN, [DYN], DYN, function (o) {
    const [x, y, scale] = align(quantityOf(this), quantityOf(o));
    return wrapQuantity({ num: x + y, scale });
  }),
  celMethod('sub', DYN, [DYN], DYN, function (o) {
    const [x, y, scale] = align(quantityOf(this), quantityOf(o));
    return wrapQuantity({ num: x - y, scale });
  }),
  celMethod('sign', DYN, [], INT, function () {
    const q = quantityOf(this);
    return q.num > 0n ? 1n : q.num < 0n ? -1n : 0n;
  }),
  celMethod('isInteger', DYN, [], BOOL, function () {
    const q = quantityOf(this);
    const d = 10n ** BigInt(q.scale);
    return q.num % d === 0n && q.num / d <= MAX_INT64 && q.num / d >= MIN_INT64;
  }),
  celMethod('asInteger', DYN, [], INT, function () {
    const q = quantityOf(this);
    const d = 10n ** BigInt(q.scale);
    if (q.num % d !== 0n || q.num / d > MAX_INT64 || q.num / d < MIN_INT64) {
      throw new Error('cannot convert value to integer');
    }
    return q.num / d;
  }),
  celMethod('asApproximateFloat', DYN, [], DOUBLE, function () {
    const q = quantityOf(this);
    return Number(q.num) / 10 ** q.scale;
  }),
];

const sets: CelFunc[] = [
  celFunc('sets.contains', [LIST, LIST], BOOL, (a, b) => items(b).every((x) => items(a).some((y) => equals(x, y)))),
  celFunc('sets.equivalent', [LIST, LIST], BOOL,
    (a, b) => items(b).every((x) => items(a).some((y) => equals(x, y))) && items(a).every((x) => items(b).some((y) => equals(x, y)))),
  celFunc('sets.intersects', [LIST, LIST], BOOL, (a, b) => items(a).some((x) => items(b).some((y) => equals(x, y)))),
];

/** CEL optional values, as optionalOldSelf rules see oldSelf. */
const optionals = new WeakMap<object, { value?: CelValue }>();
export function optionalOf(value: CelInput | undefined): CelMap {
  const m = celMap(new Map([['__optional__', value !== undefined]]));
  optionals.set(m, value === undefined ? {} : { value: value as CelValue });
  return m;
}
function optionalState(v: CelValue): { value?: CelValue } {
  const o = optionals.get(v as object);
  if (!o) throw new Error('no such overload');
  return o;
}
/** x.?f: an optional of x's field f (none when absent); on an optional x, none stays none. */
function optionalField(x: CelValue, f: string): CelMap {
  let target: CelValue | undefined = x;
  const o = optionals.get(x as object);
  if (o) target = 'value' in o ? o.value : undefined;
  if (target === undefined || !isCelMap(target) || quantities.has(target) || urls.has(target)) return optionalOf(undefined);
  const v = target.get(f);
  return optionalOf(v === undefined ? undefined : (v as CelInput));
}

const optionalLib: CelFunc[] = [
  celFunc('optional.field', [DYN, STRING], DYN, (x, f) => optionalField(x, f)),
  celFunc('optional.none', [], DYN, () => optionalOf(undefined)),
  celFunc('optional.of', [DYN], DYN, (v) => optionalOf(v as CelInput)),
  celMethod('hasValue', DYN, [], BOOL, function () {
    return 'value' in optionalState(this);
  }),
  celMethod('value', DYN, [], DYN, function () {
    const o = optionalState(this);
    if (!('value' in o)) throw new Error('optional.none() dereference');
    return o.value as CelInput;
  }),
  celMethod('orValue', DYN, [DYN], DYN, function (d) {
    const o = optionalState(this);
    return ('value' in o ? o.value : d) as CelInput;
  }),
];

/**
 * Lists with x-kubernetes-list-type set or map compare without regard to order in Kubernetes CEL
 * (`self.tags == oldSelf.tags` holds after a reorder); toCel marks them here.
 */
const unorderedLists = new WeakSet<object>();
export function unorderedList(items: CelInput[]): CelList {
  const l = celList(items);
  unorderedLists.add(l);
  return l;
}

const standardEquals = plan(celEnv({ variables: { a: DYN, b: DYN } }), parse('a == b'));

function celEquals(a: CelValue, b: CelValue): boolean {
  if (typeof a === 'string' || typeof a === 'boolean' || a === null) return a === b;
  if (isCelList(a) && isCelList(b)) {
    if (a.size !== b.size) return false;
    const xs = items(a);
    const ys = items(b);
    if (unorderedLists.has(a) || unorderedLists.has(b)) return xs.every((x) => ys.some((y) => celEquals(x, y)));
    return xs.every((x, i) => celEquals(x, ys[i]));
  }
  const tagged = (v: CelValue) => quantities.has(v as object) || urls.has(v as object) || optionals.has(v as object);
  if (isCelMap(a) && isCelMap(b) && !tagged(a) && !tagged(b)) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      const w = b.get(k);
      if (w === undefined || !celEquals(v, w)) return false;
    }
    return true;
  }
  if (quantities.has(a as object) && quantities.has(b as object)) return compareQuantity(quantityOf(a), quantityOf(b)) === 0;
  return standardEquals({ a: a as CelInput, b: b as CelInput }) === true;
}

const equality: CelFunc[] = [
  celFunc('_==_', [DYN, DYN], BOOL, (a, b) => celEquals(a, b)),
  celFunc('_!=_', [DYN, DYN], BOOL, (a, b) => !celEquals(a, b)),
];

export const KUBERNETES_CEL_FUNCS: CelFunc[] = [...strings, ...lists, ...regex, ...urlLib, ...quantityLib, ...sets, ...optionalLib, ...equality];
