import { describe, expect, it } from 'vitest';
import { field, msg, varint } from './test-encoder.js';
import { ProtobufDecodeError, Reader, readFields, toSigned64 } from './wire.js';

describe('protobuf wire reader', () => {
  it('reads varints up to 64 bits', () => {
    for (const v of [0n, 1n, 127n, 128n, 300n, 2n ** 32n, 2n ** 64n - 1n]) {
      expect(new Reader(Uint8Array.from(varint(v))).varint()).toBe(v);
    }
  });

  it('reads negative int32/int64 as 10-byte two\'s-complement varints', () => {
    const bytes = varint(-5);
    expect(bytes).toHaveLength(10);
    expect(toSigned64(new Reader(Uint8Array.from(bytes)).varint())).toBe(-5n);
  });

  it('reads all four supported wire types', () => {
    const fixed64 = Uint8Array.of((2 << 3) | 1, 1, 0, 0, 0, 0, 0, 0, 0x80);
    const fixed32 = Uint8Array.of((3 << 3) | 5, 0x78, 0x56, 0x34, 0x12);
    const fields = readFields(msg(field(1, 150), fixed64, fixed32, field(4, 'hi')));
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([[1, 0], [2, 1], [3, 5], [4, 2]]);
    expect(fields[0]!.int).toBe(150n);
    expect(fields[1]!.int).toBe(2n ** 63n + 1n);
    expect(fields[2]!.int).toBe(0x12345678n);
    expect(new TextDecoder().decode(fields[3]!.bytes)).toBe('hi');
  });

  it.each([
    ['a truncated varint', Uint8Array.of(0x08, 0x80), /truncated varint at offset 2/],
    ['a varint over 10 bytes', Uint8Array.of(0x08, ...new Array<number>(10).fill(0xff), 0x01), /longer than 10 bytes/],
    ['a varint over 64 bits', Uint8Array.of(0x08, ...new Array<number>(9).fill(0xff), 0x7f), /overflows 64 bits/],
    ['field number 0', Uint8Array.of(0x00, 0x01), /invalid field number 0 at offset 0/],
    ['a group', Uint8Array.of((1 << 3) | 3), /unsupported wire type 3 for field 1/],
    ['a length past the end', Uint8Array.of(0x0a, 0x05, 0x61), /field 1 at offset 0 declares 5 bytes but only 1 remain/],
    ['a huge declared length', Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), /declares 4294967295 bytes but only 0 remain/],
    ['a truncated fixed32', Uint8Array.of((1 << 3) | 5, 0x01), /runs past the end/],
  ])('rejects %s', (_name, buf, message) => {
    expect(() => readFields(buf)).toThrow(ProtobufDecodeError);
    expect(() => readFields(buf)).toThrow(message);
  });
});
