import { badRequest, genericInvalid, internalError } from './errors.js';
import { fieldType, itemType, type TypeInfo, type TypeNode } from './type-info.js';
import { clone, has, isObject, put, show, type JsonObject } from './values.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as kube-apiserver applies it
 * (strategicpatch.StrategicMergeMapPatch: parallel deletion lists merged, unmatched nulls ignored).
 * Lists merge by their patchMergeKey where the type says `patchStrategy: merge` and are replaced
 * otherwise; supports `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/<field>`
 * and `$setElementOrder/<field>`, so the three-way patches `kubectl apply` sends work. Pure.
 * Errors carry the status kube-apiserver answers with (interpretStrategicMergePatchError).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, types: TypeInfo): unknown {
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  }
  return mergeMap(isObject(target) ? clone(target) : {}, clone(patch), types);
}

type Kind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'map';
  return typeof v as Kind;
}

function mergeMap(original: JsonObject, patch: JsonObject, t: TypeNode): JsonObject {
  if (has(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return mergeMap({}, patch, t);
    }
    if (directive === 'delete') return {};
    throw internalError(`unknown patch type: ${show(directive)} in map: ${show(patch)}`);
  }
  applyRetainKeys(original, patch);
  mergeElementOrderLists(original, patch, t);

  for (const k of Object.keys(patch)) {
    let key = k;
    let isDeleteList = false;
    if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(k, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    const patchV = patch[k];
    if (patchV === null) {
      delete original[key];
      continue;
    }
    const ft = fieldType(t, key);
    if (!has(original, key) || kindOf(original[key]) !== kindOf(patchV)) {
      if (!isDeleteList) put(original, key, fresh(patchV, ft));
      continue;
    }
    const originalV = original[key];
    if (isObject(originalV)) put(original, key, mergeMap(originalV, patchV as JsonObject, ft));
    else if (Array.isArray(originalV)) put(original, key, mergeSliceHandler(originalV, patchV as unknown[], ft, isDeleteList));
    else put(original, key, patchV);
  }
  return original;
}

/** A value for a key the original lacks: taken from the patch, with its directives applied. */
function fresh(v: unknown, t: TypeNode): unknown {
  if (isObject(v)) return mergeMap({}, v, t);
  if (Array.isArray(v)) return mergeSliceHandler([], v, t, false);
  return v;
}

function extractKey(k: string, prefix: string): string {
  const key = k.slice(prefix.length);
  if (key === '') {
    throw badRequest(prefix === SET_ELEMENT_ORDER ? 'invalid patch format of setElementOrder list' : 'invalid patch format of primitive list');
  }
  return key;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  const keep = new Set(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function mergeKeyOf(t: TypeNode): string {
  return t.kind === 'list' && t.patchStrategy === 'merge' ? t.patchMergeKey ?? '' : '';
}

/** `$setElementOrder/<field>`: merge that list now and order it as the directive says. */
function mergeElementOrderLists(original: JsonObject, patch: JsonObject, t: TypeNode): void {
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[k];
    delete patch[k];
    const key = extractKey(k, SET_ELEMENT_ORDER);
    if (!Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const ft = fieldType(t, key);
    const mergeKey = mergeKeyOf(ft);
    const originalList = has(original, key) ? original[key] : undefined;
    const patchList = has(patch, key) ? patch[key] : undefined;
    if (originalList !== undefined && !Array.isArray(originalList)) throw internalError(`expected a list for ${key}, got ${show(originalList)}`);
    if (patchList !== undefined && patchList !== null && !Array.isArray(patchList)) throw badRequest('invalid patch format of setElementOrder list');
    if (Array.isArray(patchList)) validateAgainstOrder(patchList, order, mergeKey);

    let merged: unknown[];
    if (Array.isArray(originalList) && Array.isArray(patchList)) merged = mergeSliceHandler(originalList, patchList, ft, false);
    else if (Array.isArray(patchList)) merged = mergeSliceHandler([], patchList, ft, false);
    else if (Array.isArray(originalList)) merged = originalList;
    else continue;

    const elementKind = sliceKind([...(Array.isArray(originalList) ? originalList : []), ...(Array.isArray(patchList) ? patchList : [])]);
    if (elementKind !== undefined) {
      const [inOrder, serverOnly] = partition(merged, order, mergeKey);
      merged = normalizeElementOrder(inOrder, serverOnly, order, Array.isArray(originalList) ? originalList : [], mergeKey);
    }
    put(original, key, merged);
    delete patch[key];
  }
}

/** The items of the patch list must appear in the $setElementOrder list, in the same relative order. */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  const items = patchList.filter((v) => !(isObject(v) && has(v, DIRECTIVE)));
  let pi = 0;
  for (let oi = 0; pi < items.length && oi < order.length; oi++) {
    if (sameItem(items[pi], order[oi], mergeKey)) pi++;
  }
  if (pi < items.length) {
    throw internalError(`The order in patch list:\n${show(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${show(order)}\n`);
  }
}

function mergeSliceHandler(original: unknown[], patch: unknown[], t: TypeNode, isDeleteList: boolean): unknown[] {
  if (t.kind === 'list' && t.patchStrategy === 'merge') return mergeSlice(original, patch, t, isDeleteList);
  if (isDeleteList) return original.filter((v) => !patch.includes(v));
  return patch.map((v) => fresh(v, itemType(t)));
}

function sliceKind(items: unknown[]): Kind | undefined {
  let kind: Kind | undefined;
  for (const v of items) {
    const k = kindOf(v);
    if (k === 'list') throw genericInvalid('lists of lists are not supported');
    if (kind !== undefined && k !== kind) throw internalError(`the elements of a list must all have one type: ${show(items)}`);
    kind = k;
  }
  return kind;
}

function mergeSlice(original: unknown[], patch: unknown[], t: TypeNode & { kind: 'list' }, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceKind([...original, ...patch]);
  const mergeKey = t.patchMergeKey ?? '';
  let merged: unknown[];
  let base = original;
  let items = patch;
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.includes(v)) merged.push(v);
  } else {
    if (!mergeKey) throw internalError(`cannot merge lists without merge key: ${show(patch)}`);
    [base, items] = applyListDirectives(original, patch, mergeKey);
    merged = [...base];
    for (const v of items) {
      const item = v as JsonObject;
      if (!has(item, mergeKey)) throw missingMergeKey(item, mergeKey);
      const i = merged.findIndex((o) => isObject(o) && has(o, mergeKey) && o[mergeKey] === item[mergeKey]);
      if (i >= 0) merged[i] = mergeMap(merged[i] as JsonObject, item, t.items);
      else merged.push(mergeMap({}, item, t.items));
    }
  }
  const [inPatch, serverOnly] = partition(merged, items, kind === 'map' ? mergeKey : '');
  return normalizeElementOrder(inPatch, serverOnly, items, base, kind === 'map' ? mergeKey : '');
}

function missingMergeKey(item: unknown, mergeKey: string) {
  return internalError(`map: ${show(item)} does not contain declared merge key: ${mergeKey}`);
}

/** `{"$patch": "delete", <key>: v}` removes the item; `{"$patch": "replace"}` replaces the list. */
function applyListDirectives(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  let base = original;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case 'delete':
        if (!has(item, mergeKey)) throw missingMergeKey(item, mergeKey);
        base = base.filter((o) => !(isObject(o) && o[mergeKey] === item[mergeKey]));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw internalError('merging lists cannot yet be specified in the patch');
      default:
        throw internalError(`unknown patch type: ${show(item[DIRECTIVE])} in map: ${show(item)}`);
    }
  }
  return replace ? [plain, []] : [base, plain];
}

function sameItem(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  return isObject(a) && isObject(b) && has(a, mergeKey) && has(b, mergeKey) && a[mergeKey] === b[mergeKey];
}

function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  return list.findIndex((o) => sameItem(o, item, mergeKey));
}

function partition(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of items) {
    if (mergeKey && !(isObject(v) && has(v, mergeKey))) throw missingMergeKey(v, mergeKey);
    (indexIn(by, v, mergeKey) >= 0 ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

/**
 * strategicpatch.normalizeElementOrder: sort the patch items by the patch (or $setElementOrder)
 * order and the server-only items by the live order, then interleave them, keeping server-only
 * items where they were relative to the items both lists share.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  // Items found in `order` sort by it; the others keep their relative order after them.
  const sortBy = (items: unknown[], order: unknown[]) =>
    items
      .map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey) }))
      .sort((a, b) => {
        if (a.at >= 0 && b.at >= 0) return a.at - b.at;
        if (a.at >= 0 || b.at >= 0) return a.at >= 0 ? -1 : 1;
        return a.i - b.i;
      })
      .map((e) => e.v);
  const right = sortBy(patchItems, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
