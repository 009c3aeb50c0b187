/**
 * Descriptor-driven protobuf -> JSON: the object Go's encoding/json would produce from the same
 * struct. Zero values of plain fields are dropped (omitempty); pointer fields keep theirs.
 */
import type { FieldDesc, MessageDesc, ValueKind } from './descriptor.js';
import { ProtobufDecodeError, WireType, readFields, toSigned64, type Field } from './wire.js';

/** A field this decoder has no descriptor for: the request is valid, the embedded server just cannot read it. */
export class ProtobufUnsupportedError extends Error {
  override name = 'ProtobufUnsupportedError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const utf8 = new TextDecoder('utf-8');

export function decodeMessage(desc: MessageDesc, buf: Uint8Array, path = ''): JsonObject {
  const out: JsonObject = {};
  for (const f of fieldsAt(buf, `${desc.name}${path ? ` at ${path}` : ''}`)) {
    const fd = desc.fields.get(f.number);
    if (!fd) {
      throw new ProtobufUnsupportedError(`field ${f.number} of ${desc.name}${path ? ` (at ${path})` : ''} is not supported by the embedded API server's protobuf decoder`);
    }
    const at = path ? `${path}.${fd.json}` : fd.json;
    if (fd.map) { decodeMapEntry(fd, f, at, out); continue; }
    if (fd.repeated) { decodeRepeated(fd, f, at, out); continue; }
    if (fd.inline) {
      if (typeof fd.kind !== 'object') throw new Error(`descriptor ${desc.name}.${fd.json}: only messages can be inlined`);
      Object.assign(out, decodeMessage(fd.kind, bytesOf(f, at), path));
      continue;
    }
    const v = decodeValue(fd.kind, f, at);
    if (v === undefined || (!fd.keep && isZero(fd.kind, v))) { delete out[fd.json]; continue; }
    out[fd.json] = v;
  }
  for (const fd of desc.fields.values()) if (fd.nullable && !(fd.json in out)) out[fd.json] = null;
  return out;
}

/** readFields, with `where` (a message name or field path) in front of any error. */
function fieldsAt(buf: Uint8Array, where: string): Field[] {
  try {
    return readFields(buf);
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw new ProtobufDecodeError(`${where}: ${err.message}`);
    throw err;
  }
}

function isZero(kind: ValueKind, v: Json): boolean {
  if (typeof kind === 'object') return false; // Go's omitempty never drops a struct
  return v === '' || v === 0 || v === false;
}

function decodeRepeated(fd: FieldDesc, f: Field, at: string, out: JsonObject): void {
  const list = (Array.isArray(out[fd.json]) ? out[fd.json] : (out[fd.json] = [])) as Json[];
  // proto3-style packed encoding of numeric lists: one length-delimited run of varints.
  if ((fd.kind === 'int32' || fd.kind === 'int64' || fd.kind === 'bool') && f.wireType === WireType.Bytes) {
    const r = fieldsAt(packedAsFields(f.bytes!, at), at);
    for (const v of r) list.push(decodeValue(fd.kind, v, `${at}[${list.length}]`) as Json);
    return;
  }
  list.push(decodeValue(fd.kind, f, `${at}[${list.length}]`) ?? zeroOf(fd.kind));
}

/** Re-tags a packed run of varints as field-1 varints so the ordinary reader can walk it. */
function packedAsFields(bytes: Uint8Array, at: string): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    out.push(0x08);
    let b: number;
    do {
      if (i >= bytes.length) throw new ProtobufDecodeError(`${at}: truncated varint in packed repeated field`);
      b = bytes[i++]!;
      out.push(b);
    } while (b & 0x80);
  }
  return Uint8Array.from(out);
}

function decodeMapEntry(fd: FieldDesc, f: Field, at: string, out: JsonObject): void {
  let key = '';
  let value: Json | undefined;
  for (const e of fieldsAt(bytesOf(f, at), at)) {
    if (e.number === 1) key = utf8.decode(bytesOf(e, `${at} key`));
    else if (e.number === 2) value = decodeValue(fd.kind, e, at);
    else throw new ProtobufDecodeError(`${at}: map entry has unexpected field ${e.number}`);
  }
  const map = (out[fd.json] && typeof out[fd.json] === 'object' ? out[fd.json] : (out[fd.json] = {})) as JsonObject;
  // defineProperty: a ConfigMap key may legally be `__proto__`, which plain assignment would swallow.
  Object.defineProperty(map, key, { value: value ?? zeroOf(fd.kind), enumerable: true, writable: true, configurable: true });
}

function zeroOf(kind: ValueKind): Json {
  switch (kind) {
    case 'string': case 'bytes': return '';
    case 'int32': case 'int64': return 0;
    case 'bool': return false;
    case 'quantity': return '0';
    default: return typeof kind === 'object' ? {} : null;
  }
}

function bytesOf(f: Field, at: string): Uint8Array {
  if (f.wireType !== WireType.Bytes) throw new ProtobufDecodeError(`${at}: expected a length-delimited field, got wire type ${f.wireType}`);
  return f.bytes!;
}

function varintOf(f: Field, at: string): bigint {
  if (f.wireType !== WireType.Varint) throw new ProtobufDecodeError(`${at}: expected a varint, got wire type ${f.wireType}`);
  return f.int!;
}

function int32Of(f: Field, at: string): number {
  const v = toSigned64(varintOf(f, at));
  if (v < -2147483648n || v > 2147483647n) throw new ProtobufDecodeError(`${at}: ${v} does not fit in int32`);
  return Number(v);
}

/** One value; undefined for an empty RawExtension, which Go omits. */
function decodeValue(kind: ValueKind, f: Field, at: string): Json | undefined {
  if (typeof kind === 'object') return decodeMessage(kind, bytesOf(f, at), at);
  switch (kind) {
    case 'string': return utf8.decode(bytesOf(f, at));
    case 'bytes': return Buffer.from(bytesOf(f, at)).toString('base64');
    case 'int32': return int32Of(f, at);
    case 'int64': return Number(toSigned64(varintOf(f, at)));
    case 'bool': return varintOf(f, at) !== 0n;
    case 'time': return decodeTime(bytesOf(f, at), at);
    case 'quantity': return decodeQuantity(bytesOf(f, at), at);
    case 'intstr': return decodeIntOrString(bytesOf(f, at), at);
    case 'rawjson': return decodeRawJson(bytesOf(f, at), at);
  }
}

/** meta/v1 Time {seconds = 1, nanos = 2}, as RFC3339 seconds; empty means the zero time, which Go marshals as null. */
function decodeTime(buf: Uint8Array, at: string): string | null {
  if (buf.length === 0) return null;
  let seconds = 0n;
  let nanos = 0;
  for (const f of fieldsAt(buf, at)) {
    if (f.number === 1) seconds = toSigned64(varintOf(f, at));
    else if (f.number === 2) nanos = int32Of(f, at);
    else throw new ProtobufDecodeError(`${at}: Time has unexpected field ${f.number}`);
  }
  const ms = Number(seconds) * 1000;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999 || nanos < 0 || nanos > 999_999_999) throw new ProtobufDecodeError(`${at}: invalid timestamp ${seconds}s ${nanos}ns`);
  return `${d.toISOString().slice(0, 19)}Z`;
}

function decodeQuantity(buf: Uint8Array, at: string): string {
  let s = '';
  for (const f of fieldsAt(buf, at)) {
    if (f.number === 1) s = utf8.decode(bytesOf(f, at));
    else throw new ProtobufDecodeError(`${at}: Quantity has unexpected field ${f.number}`);
  }
  return s;
}

/** util/intstr IntOrString {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
function decodeIntOrString(buf: Uint8Array, at: string): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  for (const f of fieldsAt(buf, at)) {
    if (f.number === 1) type = Number(toSigned64(varintOf(f, at)));
    else if (f.number === 2) intVal = int32Of(f, at);
    else if (f.number === 3) strVal = utf8.decode(bytesOf(f, at));
    else throw new ProtobufDecodeError(`${at}: IntOrString has unexpected field ${f.number}`);
  }
  if (type === 0) return intVal;
  if (type === 1) return strVal;
  throw new ProtobufDecodeError(`${at}: IntOrString has unknown type ${type}`);
}

/** RawExtension / FieldsV1 {raw = 1}: the raw bytes are JSON. */
function decodeRawJson(buf: Uint8Array, at: string): Json | undefined {
  let raw: Uint8Array | undefined;
  for (const f of fieldsAt(buf, at)) {
    if (f.number === 1) raw = bytesOf(f, at);
    else throw new ProtobufDecodeError(`${at}: unexpected field ${f.number}`);
  }
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(raw)) as Json;
  } catch (err) {
    throw new ProtobufDecodeError(`${at}: raw bytes are not JSON: ${(err as Error).message}`);
  }
}
