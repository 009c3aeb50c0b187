import { badRequest, genericInvalid, PatchError } from './errors.js';
import { clone, deepEqual, has, isObject, put, show, type JsonObject } from './values.js';

/** kube-apiserver refuses larger JSON patches with 413 (handlers/patch.go maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export interface JsonPatchOptions {
  /**
   * Cap on the bytes "copy" may add in one patch. A few copies of an array onto itself double it
   * each time, so the request body limit alone does not bound memory. Default 3 MiB.
   */
  maxCopyBytes?: number;
}

interface Operation {
  op: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
  hasValue: boolean;
}

/**
 * JSON patch (RFC 6902), as `Content-Type: application/json-patch+json`. Pure. A patch that is not a
 * list of objects is a 400 (kube-apiserver fails to decode it); a patch that does not apply — a
 * failed `test`, a missing path, an unknown op — is the generic 422 kube-apiserver answers with.
 */
export function applyJsonPatch(target: unknown, ops: unknown, options: JsonPatchOptions = {}): unknown {
  const operations = decode(ops);
  const maxCopy = options.maxCopyBytes ?? 3 * 1024 * 1024;
  let copied = 0;
  let doc = clone(target);
  operations.forEach((op, index) => {
    try {
      const r = applyOne(doc, op, maxCopy - copied);
      doc = r.doc;
      copied += r.copiedBytes;
    } catch (e) {
      if (e instanceof PointerError) throw genericInvalid(`operation ${index} (${show(op.op)}): ${e.message}`);
      throw e;
    }
  });
  return doc;
}

class PointerError extends Error {}

function decode(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) {
    throw badRequest(`json: cannot unmarshal ${goKind(ops)} into Go value of type jsonpatch.Patch`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      413,
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops.map((o) => {
    if (!isObject(o)) {
      throw badRequest(`json: cannot unmarshal ${goKind(o)} into Go value of type jsonpatch.Operation`);
    }
    return { op: o.op, path: o.path, from: o.from, value: o.value, hasValue: has(o, 'value') };
  });
}

function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Parses a JSON pointer (RFC 6901) into its unescaped reference tokens. */
export function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw new PointerError(`missing or non-string path: ${show(pointer)}`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PointerError(`JSON pointer must be empty or start with "/": ${show(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~(?![01])/.test(t)) throw new PointerError(`invalid escape in JSON pointer ${show(pointer)}`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Escapes one reference token for use in a JSON pointer. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PointerError(`invalid array index ${show(token)} in ${pointer}`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) {
    throw new PointerError(`array index ${i} out of bounds (length ${length}) in ${pointer}`);
  }
  return i;
}

function resolveParent(doc: unknown, tokens: string[], pointer: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)];
    else if (isObject(cur) && has(cur, t)) cur = cur[t];
    else throw new PointerError(`doc is missing path: ${pointer}`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PointerError(`doc is missing path: ${pointer}`);
  return cur;
}

function get(doc: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t) || Number(t) >= cur.length) return { found: false };
      cur = cur[Number(t)];
    } else if (isObject(cur) && has(cur, t)) {
      cur = cur[t];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

function add(doc: unknown, tokens: string[], value: unknown, pointer: string): unknown {
  if (tokens.length === 0) return value;
  const parent = resolveParent(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else put(parent as JsonObject, last, value);
  return doc;
}

function remove(doc: unknown, tokens: string[], pointer: string): { doc: unknown; removed: unknown } {
  if (tokens.length === 0) throw new PointerError('cannot remove the whole document');
  const parent = resolveParent(doc, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false, pointer);
    return { doc, removed: parent.splice(i, 1)[0] };
  }
  const obj = parent as JsonObject;
  if (!has(obj, last)) throw new PointerError(`unable to remove nonexistent key: ${last}: missing value`);
  const removed = obj[last];
  delete obj[last];
  return { doc, removed };
}

function applyOne(doc: unknown, op: Operation, copyBudget: number): { doc: unknown; copiedBytes: number } {
  const path = parsePointer(op.path);
  const pointer = op.path as string;
  const value = op.hasValue ? clone(op.value) : null;
  switch (op.op) {
    case 'add':
      return { doc: add(doc, path, value, pointer), copiedBytes: 0 };
    case 'remove':
      return { doc: remove(doc, path, pointer).doc, copiedBytes: 0 };
    case 'replace': {
      if (path.length === 0) return { doc: value, copiedBytes: 0 };
      if (!get(doc, path).found) throw new PointerError(`replace operation does not apply: doc is missing key: ${pointer}`);
      const r = remove(doc, path, pointer);
      return { doc: add(r.doc, path, value, pointer), copiedBytes: 0 };
    }
    case 'move': {
      const from = parsePointer(op.from);
      const fromPointer = op.from as string;
      if (pointer !== fromPointer && pointer.startsWith(fromPointer + '/')) {
        throw new PointerError(`a value cannot be moved into one of its children: from ${fromPointer} to ${pointer}`);
      }
      if (!get(doc, from).found) throw new PointerError(`move operation does not apply: doc is missing from path: ${fromPointer}`);
      const r = remove(doc, from, fromPointer);
      return { doc: add(r.doc, path, r.removed, pointer), copiedBytes: 0 };
    }
    case 'copy': {
      const from = parsePointer(op.from);
      const src = get(doc, from);
      if (!src.found) throw new PointerError(`copy operation does not apply: doc is missing from path: ${op.from as string}`);
      const bytes = JSON.stringify(src.value)?.length ?? 0;
      if (bytes > copyBudget) {
        throw new PointerError(`Unable to complete the copy, the accumulated size increase of copy exceeds the limit`);
      }
      return { doc: add(doc, path, clone(src.value), pointer), copiedBytes: bytes };
    }
    case 'test': {
      const cur = get(doc, path);
      // evanphx/json-patch (used by kube-apiserver): a missing member equals an absent or null value.
      const ok = cur.found ? op.hasValue && deepEqual(cur.value, op.value) : !op.hasValue || op.value === null;
      if (!ok) throw new PointerError(`testing value ${pointer} failed: test failed`);
      return { doc, copiedBytes: 0 };
    }
    default:
      throw new PointerError(`Unexpected kind: ${show(op.op)}`);
  }
}
