/**
 * Protocol buffers wire format, read side: varints, fixed 64/32-bit and length-delimited fields.
 * Every read is bounds-checked; a malformed buffer throws ProtobufDecodeError naming the offset.
 */

export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

export const enum WireType { Varint = 0, Fixed64 = 1, Bytes = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 }

export interface Field {
  number: number;
  wireType: WireType;
  /** Varint and fixed fields: the raw unsigned value. */
  int?: bigint;
  /** Length-delimited fields: the payload (a view into the decoded buffer). */
  bytes?: Uint8Array;
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean { return this.pos >= this.buf.length; }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError(`truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (result >= 1n << 64n) throw new ProtobufDecodeError(`varint overflows 64 bits at offset ${this.pos - 1}`);
        return result;
      }
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  private take(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) throw new ProtobufDecodeError(`field of ${n} bytes at offset ${this.pos} runs past the end of the buffer (${this.buf.length} bytes)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private fixed(n: 4 | 8): bigint {
    const b = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }

  /** The next field, or a ProtobufDecodeError for a bad tag, an unsupported group or a truncation. */
  field(): Field {
    const at = this.pos;
    const tag = this.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n) as WireType;
    if (number < 1 || number > 536_870_911) throw new ProtobufDecodeError(`invalid field number ${number} at offset ${at}`);
    switch (wireType) {
      case WireType.Varint: return { number, wireType, int: this.varint() };
      case WireType.Fixed64: return { number, wireType, int: this.fixed(8) };
      case WireType.Fixed32: return { number, wireType, int: this.fixed(4) };
      case WireType.Bytes: {
        const len = this.varint();
        const remaining = this.buf.length - this.pos;
        if (len > BigInt(remaining)) {
          throw new ProtobufDecodeError(`field ${number} at offset ${at} declares ${len} bytes but only ${remaining} remain`);
        }
        return { number, wireType, bytes: this.take(Number(len)) };
      }
      default: throw new ProtobufDecodeError(`unsupported wire type ${wireType} for field ${number} at offset ${at}`);
    }
  }
}

/** All fields of one message, in wire order. */
export function readFields(buf: Uint8Array): Field[] {
  const r = new Reader(buf);
  const out: Field[] = [];
  while (!r.done) out.push(r.field());
  return out;
}

/** Two's-complement reinterpretation of a 64-bit varint (int64/int32 fields encode negatives as 10-byte varints). */
export function toSigned64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
