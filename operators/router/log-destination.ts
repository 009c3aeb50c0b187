import pino from 'pino';

/** Bytes of log lines gathered before one write. */
export const LOG_BATCH_BYTES = 64 * 1024;
/** The longest a log line waits for its write. */
export const LOG_FLUSH_MS = 1000;

/** What pino needs of the router's log destination (and what shutdown and tests call). */
export interface RouterLogDestination {
  write(line: string): boolean;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  end(): void;
}

type Sonic = ReturnType<typeof pino.destination>;

/**
 * The lines of a batch are encoded into one buffer as they come and handed to pino's SonicBoom as
 * one string. SonicBoom's own batching (`minLength`) costs per line: it measures the UTF-8 length
 * of the whole pending batch on every write, flattening it (a copy of up to the batch per line).
 * Encoded at once, a line's string dies young and the batch lives outside the JavaScript heap,
 * where an array of ~200 lines' strings waited in it for their write, copied by each scavenge
 * (5.58 -> 5.15 µs of CPU per logged request side by side in a microbenchmark with a live heap).
 */
class BatchedLines implements RouterLogDestination {
  private batch = Buffer.allocUnsafe(LOG_BATCH_BYTES);
  private used = 0;
  private readonly timer: NodeJS.Timeout;
  // At exit the lines still gathered here go out synchronously (SonicBoom's own exit flush
  // covers only what it has been handed).
  private readonly onExit = () => {
    try {
      this.flushSync();
    } catch {
      // The file was never opened, or the descriptor is gone: nothing can be written now.
    }
  };

  constructor(private readonly sonic: Sonic) {
    this.timer = setInterval(() => this.handOver(), LOG_FLUSH_MS);
    this.timer.unref();
    process.once('exit', this.onExit);
  }

  write(line: string): boolean {
    // At most 3 bytes of UTF-8 per UTF-16 unit: a line that might not fit goes after the batch.
    if (this.used + 3 * line.length > LOG_BATCH_BYTES) {
      this.handOver();
      if (3 * line.length > LOG_BATCH_BYTES) {
        this.sonic.write(line);
        return true;
      }
    }
    this.used += this.batch.write(line, this.used, 'utf8');
    return true;
  }

  flush(cb?: (err?: Error) => void): void {
    this.handOver();
    this.sonic.flush(cb);
  }

  /**
   * Writes every line not yet written, at once. A batch already handed to an asynchronous write
   * is not waited for (it cannot be, synchronously): it lands when that write completes, after
   * the lines written here. No line is lost either way, and at exit none is in flight: the router
   * exits when its event loop is empty, so its last asynchronous write has completed.
   */
  flushSync(): void {
    this.handOver();
    this.sonic.flushSync();
  }

  end(): void {
    clearInterval(this.timer);
    process.off('exit', this.onExit);
    this.handOver();
    this.sonic.end();
  }

  private handOver(): void {
    if (this.used === 0) return;
    const data = this.batch.toString('utf8', 0, this.used);
    this.used = 0;
    this.sonic.write(data);
  }
}

/**
 * Where the lane router writes its JSON log lines (one per model request): the file descriptor or
 * path, written asynchronously in batches of up to LOG_BATCH_BYTES, at least every LOG_FLUSH_MS
 * and at exit. A write per line (pino's default) was the largest single share of the router's CPU
 * per request (13 % at 32 streams in bench:router). Each asynchronous write also wakes a libuv
 * thread-pool thread; with 64 KiB batches that is one write per ~200 requests, so it delays fewer
 * than 1 % of them (the one-stream p99), where 4 KiB batches meant one per ~12.
 * A process killed with SIGKILL loses at most the last second of lines.
 */
export function routerLogDestination(dest: number | string): RouterLogDestination {
  return new BatchedLines(pino.destination({ dest, sync: false }));
}
