import { FieldSet, fieldElement, keyElement, pathString, valueElement, type Path, type PathElement } from './fieldpath.js';
import { fieldType, isAtomic, isNamedField, itemType, type TypeNode } from './type-info.js';
import { deepEqual, has, isObject, put, type JsonObject } from './values.js';

/*
 * The operations of structured-merge-diff's typed values that server-side apply is built from:
 * the field set of a value, merging an applied configuration into a live object, comparing two
 * objects, and removing items. Objects without a list/map type merge per the TypeInfo.
 */

/** An applied configuration whose list items cannot be keyed (missing or duplicate keys). */
export class ListKeyError extends Error {}

/** A granular list's items by path element, and the elements in list order. */
class ListItems extends Map<PathElement, unknown> {
  readonly order: PathElement[] = [];
}

/** The items of a granular list, keyed by path element; the first of duplicates wins unless strict. */
function listItems(t: TypeNode, list: unknown[], path: Path, strict: boolean): ListItems {
  const out = new ListItems();
  list.forEach((item, i) => {
    let pe: PathElement;
    if (t.kind === 'list' && t.listType === 'map') {
      const keys: Record<string, unknown> = {};
      for (const k of t.keys ?? []) {
        const v = isObject(item) && has(item, k) ? item[k] : t.keyDefaults?.[k];
        if (v === undefined || v === null) {
          if (strict) {
            throw new ListKeyError(`${pathString(path)}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
          }
          pe = `i:${i}`;
          out.set(pe, item);
          out.order.push(pe);
          return;
        }
        keys[k] = v;
      }
      pe = keyElement(keys);
    } else {
      pe = valueElement(item);
    }
    if (out.has(pe)) {
      if (strict) throw new ListKeyError(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
      return;
    }
    out.set(pe, item);
    out.order.push(pe);
  });
  return out;
}

function granularObject(t: TypeNode, v: unknown): v is JsonObject {
  return isObject(v) && !isAtomic(t, v);
}

function granularList(t: TypeNode, v: unknown): v is unknown[] {
  return Array.isArray(v) && !isAtomic(t, v);
}

function granularContainer(t: TypeNode): boolean {
  if (t.kind === 'struct' || t.kind === 'map') return !t.atomic;
  return t.kind === 'list' && t.listType !== 'atomic';
}

/** Every leaf and list item of `value` (typed.ToFieldSet). Throws ListKeyError when strict and a list item cannot be keyed. */
export function toFieldSet(value: unknown, t: TypeNode, strict = false): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, type: TypeNode, path: Path) => {
    if (granularObject(type, v)) {
      for (const k of Object.keys(v)) {
        const child = v[k];
        const p = [...path, fieldElement(k)];
        walk(child, fieldType(type, k), p);
        // A struct's named field is owned through its leaves only; a map's keys are owned themselves.
        if (!isNamedField(type, k)) set.insert(p);
      }
    } else if (granularList(type, v)) {
      const items = listItems(type, v, path, strict);
      for (const pe of items.order) {
        const p = [...path, pe];
        walk(items.get(pe), itemType(type), p);
        set.insert(p);
      }
    } else if (path.length && !(v === null && granularContainer(type))) {
      // A null struct, map or granular list holds nothing to own; a null scalar is owned.
      set.insert(path);
    }
  };
  walk(value, t, []);
  return set;
}

/**
 * Merges an applied configuration into a live object (typed.Merge): the configuration's leaves win,
 * nothing is removed, lists keep the live order except where the configuration orders shared items.
 * A null in the configuration removes the value (decoding drops nulls; the path stays owned).
 */
export function mergeValues(lhs: unknown, rhs: unknown, t: TypeNode): unknown {
  // Unchanged subtrees are shared with lhs, not copied.
  if (rhs === undefined) return lhs;
  if (lhs === undefined || lhs === null) return stripNulls(rhs);
  if (granularObject(t, rhs) && isObject(lhs)) {
    const out: JsonObject = {};
    for (const k of Object.keys(lhs)) {
      if (has(rhs, k) && rhs[k] === null) continue;
      put(out, k, mergeValues(lhs[k], has(rhs, k) ? rhs[k] : undefined, fieldType(t, k)));
    }
    for (const k of Object.keys(rhs)) if (!has(lhs, k) && rhs[k] !== null) put(out, k, stripNulls(rhs[k]));
    return out;
  }
  if (granularList(t, rhs) && Array.isArray(lhs)) return mergeLists(lhs, rhs, t);
  return stripNulls(rhs);
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) if (v[k] !== null) put(out, k, stripNulls(v[k]));
  return out;
}

/** structured-merge-diff's list merge: RHS order for shared items, LHS-only items kept in place. */
function mergeLists(lhs: unknown[], rhs: unknown[], t: TypeNode): unknown[] {
  const L = listItems(t, lhs, [], false);
  const R = listItems(t, rhs, [], false);
  const shared = R.order.filter((pe) => L.has(pe));
  let nextShared = shared.shift();
  const mergedR = new Set<PathElement>();
  const out: unknown[] = [];
  const it = itemType(t);
  let l = 0;
  let r = 0;
  while (l < L.order.length || r < R.order.length) {
    if (l < L.order.length && r < R.order.length) {
      const pe = L.order[l];
      if (pe === R.order[r]) {
        mergedR.add(pe);
        out.push(mergeValues(L.get(pe), R.get(pe), it));
        l++;
        r++;
        nextShared = shared.shift();
        continue;
      }
      if (R.has(pe) && nextShared !== undefined && nextShared !== pe) {
        l++;
        continue;
      }
    }
    if (l < L.order.length) {
      const pe = L.order[l];
      if (!R.has(pe)) {
        out.push(L.get(pe));
        l++;
        continue;
      }
      if (mergedR.has(pe)) {
        l++;
        continue;
      }
    }
    if (r < R.order.length) {
      const pe = R.order[r];
      mergedR.add(pe);
      out.push(mergeValues(L.get(pe), R.get(pe), it));
      r++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return out;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

function emptyish(v: unknown): boolean {
  return v === undefined || v === null || (isObject(v) && !Object.keys(v).length) || (Array.isArray(v) && !v.length);
}

/** typed.Compare: the paths `rhs` adds, modifies and removes relative to `lhs`. */
export function compareValues(lhs: unknown, rhs: unknown, t: TypeNode): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, type: TypeNode, path: Path) => {
    if ((type.kind === 'struct' || type.kind === 'list') && type.alwaysPresent && (l === undefined) !== (r === undefined)) {
      if (l === undefined) l = type.kind === 'list' ? [] : {};
      else r = type.kind === 'list' ? [] : {};
    }
    const both = r !== undefined ? r : l;
    const objects = (l === undefined || l === null || isObject(l)) && (r === undefined || r === null || isObject(r));
    const lists = (l === undefined || l === null || Array.isArray(l)) && (r === undefined || r === null || Array.isArray(r));
    const leaf = (emptyish(l) && emptyish(r)) || isAtomic(type, both) || !(objects || lists) || (both === null);
    if (leaf) {
      if (!path.length) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return;
    }
    if (objects) {
      const lo = isObject(l) ? l : {};
      const ro = isObject(r) ? r : {};
      const keys = [...Object.keys(lo), ...Object.keys(ro).filter((k) => !has(lo, k))];
      for (const k of keys) walk(has(lo, k) ? lo[k] : undefined, has(ro, k) ? ro[k] : undefined, fieldType(type, k), [...path, fieldElement(k)]);
    } else {
      const L = listItems(type, Array.isArray(l) ? l : [], path, false);
      const R = listItems(type, Array.isArray(r) ? r : [], path, false);
      const pes = [...L.order, ...R.order.filter((pe) => !L.has(pe))];
      for (const pe of pes) walk(L.has(pe) ? L.get(pe) : undefined, R.has(pe) ? R.get(pe) : undefined, itemType(type), [...path, pe]);
    }
    if (path.length && l === undefined) c.added.insert(path);
    else if (path.length && r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, t, []);
  return c;
}

/** typed.RemoveItems: drops every member of `set` (with what lies below it) from `value`. */
export function removeItems(value: unknown, set: FieldSet, t: TypeNode): unknown {
  if (granularObject(t, value)) {
    const out: JsonObject = {};
    for (const k of Object.keys(value)) {
      const s = set.child(fieldElement(k));
      if (s?.member) continue;
      put(out, k, s ? removeItems(value[k], s, fieldType(t, k)) : value[k]);
    }
    return out;
  }
  if (granularList(t, value)) {
    const items = listItems(t, value, [], false);
    const keep = new Map<unknown, PathElement>([...items.order].map((pe) => [items.get(pe), pe]));
    return value.flatMap((item) => {
      const pe = keep.get(item);
      if (pe === undefined) return [item];
      const s = set.child(pe);
      if (s?.member) return [];
      return [s ? removeItems(item, s, itemType(t)) : item];
    });
  }
  return value;
}

/** fieldpath.Set.EnsureNamedFieldsAreMembers: a struct's named fields on the way to a member become members. */
export function ensureNamedFieldsAreMembers(set: FieldSet, t: TypeNode): FieldSet {
  const out = new FieldSet();
  out.member = set.member;
  for (const [pe, child] of set.children) {
    let ct: TypeNode;
    let named = false;
    if (pe.startsWith('f:')) {
      const name = pe.slice(2);
      ct = fieldType(t, name);
      named = isNamedField(t, name);
    } else {
      ct = itemType(t);
    }
    const c = ensureNamedFieldsAreMembers(child, ct);
    if (named) c.member = true;
    out.children.set(pe, c);
  }
  return out;
}
