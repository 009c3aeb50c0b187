// The benchmark's watch reader: one watch over a plain TCP socket, read into one reused buffer
// (net's `onread`), its HTTP/1.1 chunked body split into event lines by `WatchLineReader`.
// Node's http client costs about 25 µs of CPU per event (parser, streams, a Buffer per read);
// 100 watches read by one process then queue behind each other, and the figure measures the
// client. This costs the read and a few comparisons per event. Measuring only: the operator and the
// tests use real clients.
import net from 'node:net';

/** Splits a watch response (status line, headers, chunked body) into the event lines of its body. */
export class WatchLineReader {
  private state: 'head' | 'size' | 'data' | 'data-end' | 'done' = 'head';
  private head = '';
  /** The chunk size line read so far: its value and number of hex digits, whether an extension (`;...`) began. */
  private size = 0;
  private sizeDigits = 0;
  private sizeExtension = false;
  /** Whitespace followed the digits: only whitespace or an extension may come now. */
  private sizeEndSeen = false;
  /** The line's text from its first bad byte on, for the error. */
  private badSize: string | undefined;
  private remaining = 0;
  private partial: Buffer[] = [];

  /**
   * @param onLine gets each body line without its newline; the bytes may be a view of the buffer
   *   passed to `push`, valid only during the call.
   */
  constructor(private readonly onLine: (line: Buffer) => void) {}

  /** Whether the response head has been read (and was a 200 with a chunked body). */
  get opened(): boolean {
    return this.state !== 'head';
  }

  /** Whether the body's last chunk (size 0) has been read. */
  get ended(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes `start` to `end` of `buf`. Throws on a response that is not a 200 with a chunked body. */
  push(buf: Buffer, start = 0, end = buf.length): void {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case 'head': {
          const nl = buf.indexOf(10, i);
          const stop = nl < 0 || nl >= end ? end : nl + 1;
          this.head += buf.toString('latin1', i, stop);
          i = stop;
          if (this.head.endsWith('\r\n\r\n')) this.startBody();
          break;
        }
        case 'size': {
          // `<hex>[;extensions]\r\n`, read a byte at a time into a number. Building the line as a
          // string, then split, trim and a regular expression, made the reader 2-4 µs per event
          // instead of 0.6 (a loop of pushes of one 700-byte event): 100 events are read per write.
          const c = buf[i++];
          if (c !== 10) {
            this.sizeByte(c);
            break;
          }
          if (this.badSize !== undefined || this.sizeDigits === 0) {
            throw new Error(`watch stream: bad chunk size line ${JSON.stringify(this.badSize ?? '')}`);
          }
          this.remaining = this.size;
          this.size = 0;
          this.sizeDigits = 0;
          this.sizeExtension = false;
          this.sizeEndSeen = false;
          this.state = this.remaining === 0 ? 'done' : 'data';
          break;
        }
        case 'data': {
          const stop = Math.min(end, i + this.remaining);
          this.body(buf, i, stop);
          this.remaining -= stop - i;
          i = stop;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end':
          // The CRLF after a chunk's data.
          if (buf[i++] === 10) this.state = 'size';
          break;
        case 'done':
          return;
      }
    }
  }

  private sizeByte(c: number): void {
    if (this.badSize !== undefined) {
      this.badSize += String.fromCharCode(c);
      return;
    }
    if (this.sizeExtension) return;
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit >= 0 && !this.sizeEndSeen) {
      this.size = this.size * 16 + digit;
      this.sizeDigits++;
    } else if (c === 59) this.sizeExtension = true;
    else if (c === 13 || c === 32 || c === 9) this.sizeEndSeen = this.sizeDigits > 0;
    else this.badSize = `${this.sizeDigits > 0 ? this.size.toString(16) : ''}${String.fromCharCode(c)}`;
  }

  private startBody(): void {
    const [status, ...headers] = this.head.trimEnd().split('\r\n');
    const code = Number(status.split(' ')[1]);
    if (code !== 200) throw new Error(`watch stream: HTTP ${code} (${status})`);
    const chunked = headers.some((h) => /^transfer-encoding:\s*chunked\s*$/i.test(h));
    if (!chunked) throw new Error('watch stream: the response body is not chunked');
    this.state = 'size';
  }

  private body(buf: Buffer, start: number, end: number): void {
    let s = start;
    for (let nl = buf.indexOf(10, s); nl >= 0 && nl < end; nl = buf.indexOf(10, s)) {
      if (this.partial.length > 0) {
        this.partial.push(buf.subarray(s, nl));
        const line = Buffer.concat(this.partial);
        this.partial = [];
        if (line.length > 0) this.onLine(line);
      } else if (nl > s) this.onLine(buf.subarray(s, nl));
      s = nl + 1;
    }
    // The rest of a line continued in a later chunk or read: copied, the buffer is reused.
    if (s < end) this.partial.push(Buffer.from(buf.subarray(s, end)));
  }
}

/**
 * Opens a watch on `url` (http only) and calls `onLine(line, at)` for every event line, `at` being
 * `clock()` when the read that completed it returned. Resolves with a function that closes it once
 * the response head has arrived with a 200.
 */
export function openWatch(url: URL, token: string, clock: () => number, onLine: (line: Buffer, at: number) => void): Promise<() => void> {
  if (url.protocol !== 'http:') return Promise.reject(new Error(`watch stream: ${url.protocol} is not supported; the benchmark reads watches over plain http`));
  return new Promise((resolve, reject) => {
    let at = 0;
    let opened = false;
    const reader = new WatchLineReader((line) => onLine(line, at));
    const readBuffer = Buffer.allocUnsafe(256 * 1024);
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: readBuffer,
        callback: (nread) => {
          at = clock();
          try {
            reader.push(readBuffer, 0, nread);
          } catch (err) {
            socket.destroy();
            if (!opened) reject(err);
            return false;
          }
          if (!opened && reader.opened) {
            opened = true;
            resolve(() => socket.destroy());
          }
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('error', (err) => {
      if (!opened) reject(err);
    });
    socket.on('connect', () => {
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nAccept: application/json\r\n\r\n`);
    });
  });
}
