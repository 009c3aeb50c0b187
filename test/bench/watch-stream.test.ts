// The benchmark's watch reader must give back exactly the event lines the server sent, however
// the bytes are split into reads and chunks; a wrong split would make the figures measure nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatchLineReader } from './watch-stream.js';

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

/** `body` framed as HTTP/1.1 chunks cut at `cuts` (byte offsets), then the last chunk. */
function chunked(body: Buffer, cuts: number[]): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (const to of [...new Set(cuts)].sort((a, b) => a - b).concat(body.length)) {
    if (to <= from) continue;
    const data = body.subarray(from, to);
    parts.push(Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n'));
    from = to;
  }
  return Buffer.concat([Buffer.from(HEAD), ...parts, Buffer.from('0\r\n\r\n')]);
}

function read(stream: Buffer, reads: number[]): { lines: string[]; ended: boolean } {
  const lines: string[] = [];
  // The reader may hand out views of the pushed buffer: copy it for each read, as a socket reuses its buffer.
  const reader = new WatchLineReader((line) => lines.push(line.toString('utf8')));
  let from = 0;
  for (const to of [...new Set(reads)].sort((a, b) => a - b).concat(stream.length)) {
    if (to <= from) continue;
    const buf = Buffer.alloc(to - from + 8, 0xff);
    stream.copy(buf, 4, from, to);
    reader.push(buf, 4, 4 + to - from);
    buf.fill(0xff);
    from = to;
  }
  return { lines, ended: reader.ended };
}

describe('WatchLineReader', () => {
  it('gives back every event line however the stream is cut into chunks and reads', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '{', '"', ' ', '🙂', '\r'), minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(400)), fc.array(fc.nat(600)), (lines, chunkCuts, readCuts) => {
        const body = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const stream = chunked(body, chunkCuts.map((c) => c % (body.length + 1)));
        const got = read(stream, readCuts.map((c) => c % (stream.length + 1)));
        expect(got.lines).toEqual(lines);
        expect(got.ended).toBe(true);
      }),
    );
  });

  it('reads one event per chunk, as the API server writes them, without copying', () => {
    const lines: Buffer[] = [];
    const reader = new WatchLineReader((l) => lines.push(l));
    const event = '{"type":"MODIFIED","object":{"metadata":{"resourceVersion":"7"}}}\n';
    const stream = Buffer.from(`${HEAD}${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`);
    reader.push(stream);
    expect(lines.map((l) => l.toString())).toEqual([event.trimEnd()]);
    expect(lines[0]!.buffer).toBe(stream.buffer);
    expect(reader.ended).toBe(false);
  });

  it('reads chunk sizes in either case, with extensions and trailing whitespace; refuses other bytes', () => {
    const lines: string[] = [];
    const reader = new WatchLineReader((l) => lines.push(l.toString()));
    const a = `${'a'.repeat(25)}\n`;
    const b = `${'b'.repeat(9)}\n`;
    reader.push(Buffer.from(`${HEAD}1A;name=value\r\n${a}\r\n00a \r\n${b}\r\n0\r\n\r\n`));
    expect(lines).toEqual(['a'.repeat(25), 'b'.repeat(9)]);
    expect(reader.ended).toBe(true);
    for (const bad of ['1 2', '', ' ', '1g', '-1']) {
      expect(() => new WatchLineReader(() => {}).push(Buffer.from(`${HEAD}${bad}\r\n`)), bad).toThrow('bad chunk size line');
    }
  });

  it('refuses a response that is not a 200 with a chunked body', () => {
    expect(() => new WatchLineReader(() => {}).push(Buffer.from('HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n\r\n'))).toThrow('HTTP 410');
    expect(() => new WatchLineReader(() => {}).push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'))).toThrow('not chunked');
    const reader = new WatchLineReader(() => {});
    expect(() => reader.push(Buffer.from(`${HEAD}zz\r\n`))).toThrow('bad chunk size line "zz\\r"');
  });
});
