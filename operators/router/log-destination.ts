import pino from 'pino';

/** Bytes of log lines gathered before one write. */
export const LOG_BATCH_BYTES = 4096;
/** The longest a log line waits for its write. */
export const LOG_FLUSH_MS = 1000;

/**
 * Where the lane router writes its JSON log lines (one per model request): the file descriptor or
 * path, written asynchronously in batches of up to LOG_BATCH_BYTES, at least every LOG_FLUSH_MS
 * and at exit. A write per line (pino's default) was the largest single share of the router's CPU
 * per request (13 % at 32 streams in bench:router); a batch is one write for about ten requests.
 * A process killed with SIGKILL loses at most the last second of lines.
 */
export function routerLogDestination(dest: number | string): ReturnType<typeof pino.destination> {
  return pino.destination({ dest, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
}
