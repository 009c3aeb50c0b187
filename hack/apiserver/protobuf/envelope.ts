/**
 * The Kubernetes protobuf envelope (k8s.io/apimachinery/pkg/runtime/serializer/protobuf):
 * the 4-byte magic `k8s\0`, then a runtime.Unknown message
 * {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}
 * whose `raw` is the object's own generated protobuf.
 */
import { ProtobufDecodeError, WireType, readFields, type Field } from './wire.js';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

const utf8 = new TextDecoder('utf-8');

function str(f: Field, what: string): string {
  if (f.wireType !== WireType.Bytes) throw new ProtobufDecodeError(`${what}: expected a length-delimited field, got wire type ${f.wireType}`);
  return utf8.decode(f.bytes!);
}

export function unwrapEnvelope(body: Uint8Array): Unknown {
  if (body.length < PROTOBUF_MAGIC.length || PROTOBUF_MAGIC.some((b, i) => body[i] !== b)) {
    // kube-apiserver's wording (runtime/serializer/protobuf).
    throw new ProtobufDecodeError(`provided data does not appear to be a protobuf message, expected prefix [${PROTOBUF_MAGIC.join(' ')}]`);
  }
  const u: Unknown = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  for (const f of readFields(body.subarray(PROTOBUF_MAGIC.length))) {
    switch (f.number) {
      case 1: {
        if (f.wireType !== WireType.Bytes) throw new ProtobufDecodeError(`runtime.Unknown typeMeta: expected a message, got wire type ${f.wireType}`);
        for (const t of readFields(f.bytes!)) {
          if (t.number === 1) u.apiVersion = str(t, 'typeMeta.apiVersion');
          else if (t.number === 2) u.kind = str(t, 'typeMeta.kind');
          else throw new ProtobufDecodeError(`runtime.TypeMeta has unexpected field ${t.number}`);
        }
        break;
      }
      case 2:
        if (f.wireType !== WireType.Bytes) throw new ProtobufDecodeError(`runtime.Unknown raw: expected bytes, got wire type ${f.wireType}`);
        u.raw = f.bytes!;
        break;
      case 3: u.contentEncoding = str(f, 'runtime.Unknown contentEncoding'); break;
      case 4: u.contentType = str(f, 'runtime.Unknown contentType'); break;
      default: throw new ProtobufDecodeError(`runtime.Unknown has unexpected field ${f.number}`);
    }
  }
  return u;
}
