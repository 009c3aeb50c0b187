/** A minimal protobuf writer for building test buffers by hand (tests only). */

export function varint(v: bigint | number): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A field: numbers and booleans as varints, strings and byte arrays length-delimited. */
export function field(num: number, value: number | bigint | boolean | string | Uint8Array): Uint8Array {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return Uint8Array.from([...varint(num << 3), ...varint(typeof value === 'boolean' ? Number(value) : value)]);
  }
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  return Uint8Array.from([...varint((num << 3) | 2), ...varint(bytes.length), ...bytes]);
}

/** Concatenates encoded fields into one message. */
export function msg(...fields: Uint8Array[]): Uint8Array {
  return Uint8Array.from(fields.flatMap((f) => [...f]));
}

/** A map<string, V> entry. */
export function entry(num: number, key: string, value: string | Uint8Array | number): Uint8Array {
  return field(num, msg(field(1, key), field(2, value)));
}

/** `k8s\0` + runtime.Unknown around `raw`. */
export function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  return msg(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), field(1, msg(field(1, apiVersion), field(2, kind))), field(2, raw), ...extra);
}
