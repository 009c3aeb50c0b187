import type { IncomingMessage } from 'node:http';
import { stripCR, UpstreamFailure } from './http.js';
import type { PushedEvents } from './types.js';

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };
/** A queue this long means the consumer stopped reading for now: the response is paused until it catches up. */
const HIGH_WATER = 8;

const interrupted = () => new UpstreamFailure('Interrupted', 'the provider closed the stream mid-answer');

/**
 * A response read line by line as chunks arrive, its lines turned into events at once: `onLine`
 * pushes a line's events to `out` and returns true once the answer is complete. The events of
 * the lines one chunk brought come out together, as one batch, when that chunk arrives (no
 * buffering beyond one partial line); a failure on a later line comes after the batch of the
 * lines before it, and a stream that ends before the answer is complete fails with `incomplete()`.
 *
 * Pushed rather than pulled: the response flows ('data' events, as a pipe reads it) and each
 * chunk's batch settles the consumer's pending next() directly. An async generator over
 * 'readable' and read() took two promise round trips and two generator resumptions per chunk
 * (12 µs of the router's CPU per 14-chunk answer, issue 16). A consumer that falls behind
 * pauses the response, so memory stays bounded.
 *
 * Leaving early (for-await's return(), after the final event or on a failure of the consumer)
 * drains what is left of the response, so the keep-alive connection to the provider is reused.
 *
 * `consume` hands the batches over synchronously instead, in the 'data' event that brought them:
 * no promise and no async-function resumption per chunk, which an answer pays once per token.
 */
export class LineEventStream<E> implements AsyncIterableIterator<E[]>, PushedEvents<E> {
  private rest = '';
  private readonly queue: E[][] = [];
  private resolve: ((r: IteratorResult<E[]>) => void) | undefined = undefined;
  private reject: ((err: unknown) => void) | undefined = undefined;
  private failure: unknown = undefined;
  private failed = false;
  private finished = false;
  private complete = false;
  private detached = false;
  /** consume()'s handler and its promise, once it is called. */
  private onBatch: ((batch: E[]) => boolean) | undefined = undefined;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined = undefined;
  private readonly onData = (chunk: string) => this.data(chunk);
  private readonly onEnd = () => this.end();
  private readonly onError = () => this.fail(interrupted());
  private readonly onClose = () => {
    if (!this.res.complete) this.fail(interrupted());
  };

  constructor(
    private readonly res: IncomingMessage,
    private readonly onLine: (line: string, out: E[]) => boolean,
    private readonly incomplete: () => Error,
  ) {
    res.setEncoding('utf8');
    res.on('data', this.onData);
    res.on('end', this.onEnd);
    res.on('error', this.onError);
    res.on('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<E[]>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()!;
      if (this.queue.length === 0 && this.res.isPaused() && !this.detached) this.res.resume();
      return Promise.resolve({ value, done: false });
    }
    if (this.failed) {
      this.detach();
      return Promise.reject(this.failure);
    }
    if (this.finished) {
      this.detach();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The consumer stopped (for-await left early): no more events, the rest of the response is drained. */
  return(): Promise<IteratorResult<E[]>> {
    this.finished = true;
    this.queue.length = 0;
    this.detach();
    return Promise.resolve(DONE);
  }

  /**
   * Calls `onBatch` with each batch, synchronously, as its chunk arrives (first those that came
   * before this call). Resolves when `onBatch` returns true (it took what it waited for: the rest
   * of the response is drained) or the answer is complete; rejects with the stream's failure, or
   * with what `onBatch` threw (the rest drained). Use this or the async iterator, not both.
   */
  consume(onBatch: (batch: E[]) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        while (this.queue.length > 0) {
          if (onBatch(this.queue.shift()!)) {
            this.return();
            resolve();
            return;
          }
        }
      } catch (err) {
        this.return();
        reject(err);
        return;
      }
      if (this.failed) {
        this.detach();
        reject(this.failure);
      } else if (this.finished) {
        this.detach();
        resolve();
      } else {
        this.onBatch = onBatch;
        this.settle = { resolve, reject };
        if (this.res.isPaused() && !this.detached) this.res.resume();
      }
    });
  }

  private data(chunk: string): void {
    if (this.complete || this.failed) return;
    let start = 0;
    let nl: number;
    const out: E[] = [];
    let threw = false;
    let err: unknown;
    try {
      while ((nl = chunk.indexOf('\n', start)) !== -1) {
        const line = stripCR(start === 0 && this.rest !== '' ? this.rest + chunk.slice(0, nl) : chunk.slice(start, nl));
        if (start === 0) this.rest = '';
        start = nl + 1;
        if ((this.complete = this.onLine(line, out))) break;
      }
    } catch (e) {
      threw = true;
      err = e;
    }
    if (out.length > 0) this.push(out);
    if (threw) this.fail(err);
    else if (this.complete) this.finish();
    else this.rest = start === 0 ? this.rest + chunk : chunk.slice(start);
  }

  private end(): void {
    if (this.complete || this.failed) return;
    const out: E[] = [];
    try {
      if (this.rest.trim() !== '') this.complete = this.onLine(this.rest, out);
    } catch (e) {
      if (out.length > 0) this.push(out);
      this.fail(e);
      return;
    }
    if (out.length > 0) this.push(out);
    if (this.complete) this.finish();
    else this.fail(this.incomplete());
  }

  private push(out: E[]): void {
    const onBatch = this.onBatch;
    if (onBatch !== undefined) {
      let took: boolean;
      try {
        took = onBatch(out);
      } catch (err) {
        this.settleConsumer(err);
        return;
      }
      if (took) this.settleConsumer(undefined);
      return;
    }
    const resolve = this.resolve;
    if (resolve !== undefined) {
      this.resolve = undefined;
      this.reject = undefined;
      resolve({ value: out, done: false });
      return;
    }
    this.queue.push(out);
    if (this.queue.length >= HIGH_WATER) this.res.pause();
  }

  /** consume()'s end: the handler took its last batch (or threw `err`); nothing more is read. */
  private settleConsumer(err: unknown): void {
    const settle = this.settle!;
    this.onBatch = undefined;
    this.settle = undefined;
    this.finished = true;
    this.detach();
    if (err === undefined) settle.resolve();
    else settle.reject(err);
  }

  private finish(): void {
    this.finished = true;
    const settle = this.settle;
    if (settle !== undefined) {
      this.onBatch = undefined;
      this.settle = undefined;
      this.detach();
      settle.resolve();
      return;
    }
    const resolve = this.resolve;
    if (resolve !== undefined) {
      this.resolve = undefined;
      this.reject = undefined;
      this.detach();
      resolve(DONE);
    }
  }

  private fail(err: unknown): void {
    if (this.failed || this.finished) return;
    this.failed = true;
    this.failure = err;
    const settle = this.settle;
    if (settle !== undefined) {
      this.onBatch = undefined;
      this.settle = undefined;
      this.detach();
      settle.reject(err);
      return;
    }
    const reject = this.reject;
    if (reject !== undefined) {
      this.resolve = undefined;
      this.reject = undefined;
      this.detach();
      reject(err);
    }
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    const res = this.res;
    res.off('data', this.onData);
    res.off('end', this.onEnd);
    res.off('error', this.onError);
    res.off('close', this.onClose);
    // Stopped before the response ended: let the rest flow out so the socket goes back to the pool.
    if (!res.readableEnded && !res.destroyed) res.resume();
  }
}

/** The events of a line-oriented answer (NDJSON), a batch per upstream chunk (LineEventStream). */
export function lineEvents<E>(res: IncomingMessage, onLine: (line: string, out: E[]) => boolean, incomplete: () => Error): LineEventStream<E> {
  return new LineEventStream(res, onLine, incomplete);
}
