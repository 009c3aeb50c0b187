/**
 * Compact message descriptors: protobuf field number -> JSON field name and value kind, as in
 * the `protobuf:"..."` and `json:"..."` struct tags of k8s.io/api. Just enough to turn the
 * generated protobuf of built-in objects back into the JSON the API server stores.
 */

/** Protobuf scalars; `bytes` becomes base64 in JSON, as Go's encoding/json does for []byte. */
export type ScalarKind = 'string' | 'bytes' | 'int32' | 'int64' | 'bool';
/**
 * apimachinery types with their own JSON form: Time (RFC3339, seconds), Quantity (its string),
 * IntOrString (number or string), and `rawjson` for RawExtension / FieldsV1, whose `raw` bytes
 * are the JSON itself.
 */
export type SpecialKind = 'time' | 'quantity' | 'intstr' | 'rawjson';
export type ValueKind = ScalarKind | SpecialKind | MessageDesc;

export interface FieldDesc {
  json: string;
  kind: ValueKind;
  repeated: boolean;
  /** map<string, kind>: entries are {key = 1, value = 2} messages. */
  map: boolean;
  /**
   * A Go pointer (or a field without omitempty whose zero value matters): present on the wire
   * only when set, so its zero value is kept. Plain Go values are always on the wire and their
   * zero value is dropped, as omitempty does.
   */
  keep: boolean;
  /** An embedded Go struct whose fields JSON flattens into the parent (LocalObjectReference). */
  inline: boolean;
  /** A list without omitempty: absent on the wire means a nil slice, which Go marshals as null. */
  nullable: boolean;
}

export interface MessageDesc {
  /** The protobuf message name, for error messages: `k8s.io.api.core.v1.Container`. */
  name: string;
  fields: ReadonlyMap<number, FieldDesc>;
}

export const REP = 'repeated';
export const MAP = 'map';
export const KEEP = 'keep';
export const INLINE = 'inline';
export const NULLABLE = 'nullable';
type Flag = typeof REP | typeof MAP | typeof KEEP | typeof INLINE | typeof NULLABLE;
export type FieldSpec = readonly [json: string, kind: ValueKind, ...flags: Flag[]];

export function message(name: string, specs: Record<number, FieldSpec>): MessageDesc {
  const fields = new Map<number, FieldDesc>();
  for (const [num, [json, kind, ...flags]] of Object.entries(specs)) {
    fields.set(Number(num), {
      json, kind, repeated: flags.includes(REP), map: flags.includes(MAP), keep: flags.includes(KEEP), inline: flags.includes(INLINE),
      nullable: flags.includes(NULLABLE),
    });
  }
  return { name, fields };
}

/** The common shape of top-level objects: metadata = 1, spec = 2, status = 3. */
export function object(name: string, metadata: MessageDesc, spec: MessageDesc, status?: MessageDesc): MessageDesc {
  const specs: Record<number, FieldSpec> = { 1: ['metadata', metadata], 2: ['spec', spec] };
  if (status) specs[3] = ['status', status];
  return message(name, specs);
}
