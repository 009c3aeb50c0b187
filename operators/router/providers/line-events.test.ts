import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { lineEvents } from './line-events.js';

/** A stand-in for a provider's response: a stream with IncomingMessage's `complete` flag. */
function response(): PassThrough & { complete: boolean } {
  return Object.assign(new PassThrough(), { complete: false });
}

/** Each line becomes one event; the line "END" completes the answer, "BAD" fails it. */
const onLine = (line: string, out: string[]) => {
  if (line === 'BAD') throw new Error('bad line');
  if (line === '') return false;
  out.push(line);
  return line === 'END';
};
const incomplete = () => new Error('incomplete');

const tick = () => new Promise((r) => setImmediate(r));

async function collect(it: AsyncIterable<string[]>): Promise<{ batches: string[][]; error?: string }> {
  const batches: string[][] = [];
  try {
    for await (const b of it) batches.push(b);
  } catch (e) {
    return { batches, error: (e as Error).message };
  }
  return { batches };
}

describe('lineEvents', () => {
  it('gives one batch per chunk, joining lines split across chunks and dropping CRs', async () => {
    const res = response();
    const got = collect(lineEvents(res as unknown as IncomingMessage, onLine, incomplete));
    res.write('a\nb\r\nc');
    await tick();
    res.write('d\n');
    await tick();
    res.write('END\nafter the end\n');
    res.complete = true;
    res.end();
    expect(await got).toEqual({ batches: [['a', 'b'], ['cd'], ['END']] });
  });

  it('hands a batch out as its chunk arrives, before the next chunk (no buffering)', async () => {
    const res = response();
    const it = lineEvents(res as unknown as IncomingMessage, onLine, incomplete);
    const first = it.next();
    res.write('one\n');
    expect(await first).toEqual({ value: ['one'], done: false });
    const second = it.next();
    let settled = false;
    void second.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    res.write('END\n');
    expect(await second).toEqual({ value: ['END'], done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('completes on a last line without a newline', async () => {
    const res = response();
    const got = collect(lineEvents(res as unknown as IncomingMessage, onLine, incomplete));
    res.write('x\nEND');
    res.complete = true;
    res.end();
    expect(await got).toEqual({ batches: [['x'], ['END']] });
  });

  it('fails a stream that ends before the answer is complete', async () => {
    const res = response();
    const got = collect(lineEvents(res as unknown as IncomingMessage, onLine, incomplete));
    res.write('x\ny\n');
    res.complete = true;
    res.end();
    expect(await got).toEqual({ batches: [['x', 'y']], error: 'incomplete' });
  });

  it('hands out the lines before a bad one, then its failure', async () => {
    const res = response();
    const got = collect(lineEvents(res as unknown as IncomingMessage, onLine, incomplete));
    res.write('x\nBAD\nEND\n');
    expect(await got).toEqual({ batches: [['x']], error: 'bad line' });
  });

  it('fails as Interrupted when the connection closes mid-answer', async () => {
    const res = response();
    const got = collect(lineEvents(res as unknown as IncomingMessage, onLine, incomplete));
    res.write('x\n');
    await tick();
    res.destroy();
    expect(await got).toEqual({ batches: [['x']], error: 'the provider closed the stream mid-answer' });
  });

  it('pauses the response while the consumer is behind and gives every batch in order', async () => {
    const res = response();
    const it = lineEvents(res as unknown as IncomingMessage, onLine, incomplete);
    for (let i = 0; i < 20; i++) {
      res.write(`l${i}\n`);
      await tick();
    }
    expect(res.isPaused()).toBe(true);
    res.write('END\n');
    res.complete = true;
    res.end();
    const got = await collect(it);
    expect(got.error).toBeUndefined();
    expect(got.batches.flat()).toEqual([...Array.from({ length: 20 }, (_, i) => `l${i}`), 'END']);
    expect(res.isPaused()).toBe(false);
  });

  it('drains the rest of the response when the consumer leaves early, so the connection can be reused', async () => {
    const res = response();
    const it = lineEvents(res as unknown as IncomingMessage, onLine, incomplete);
    const ended = new Promise<void>((r) => res.once('end', r));
    res.write('x\n');
    for await (const batch of it) {
      expect(batch).toEqual(['x']);
      break;
    }
    expect(res.listenerCount('data')).toBe(0);
    res.write('more\n'.repeat(10_000));
    res.complete = true;
    res.end();
    await ended;
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});

describe('LineEventStream consume (batches handed over synchronously)', () => {
  /** Collects batches through consume, stopping after the batch holding `stopAt` when given. */
  function consumeAll(res: ReturnType<typeof response>, stopAt?: string, throwAt?: string) {
    const batches: string[][] = [];
    const done = lineEvents(res as unknown as IncomingMessage, onLine, incomplete).consume((b) => {
      if (throwAt && b.includes(throwAt)) throw new Error(`consumer failed at ${throwAt}`);
      batches.push(b);
      return stopAt !== undefined && b.includes(stopAt);
    });
    return { batches, done: done.then(() => 'resolved', (e: Error) => e.message) };
  }

  it('calls the handler in the data event that brought the batch, before any promise job runs', async () => {
    const res = response();
    const c = consumeAll(res);
    // The response starts flowing on the next tick; from then on each write emits its data at once.
    await tick();
    res.write('a\nb\n');
    expect(c.batches).toEqual([['a', 'b']]);
    res.write('c');
    expect(c.batches).toEqual([['a', 'b']]);
    res.write('d\nEND\n');
    expect(c.batches).toEqual([['a', 'b'], ['cd', 'END']]);
    res.complete = true;
    res.end();
    expect(await c.done).toBe('resolved');
  });

  it('hands over first the batches that came before consume, in order', async () => {
    const res = response();
    const stream = lineEvents(res as unknown as IncomingMessage, onLine, incomplete);
    res.write('one\n');
    await tick();
    res.write('two\n');
    await tick();
    const batches: string[][] = [];
    const done = stream.consume((b) => (batches.push(b), b.includes('END')));
    expect(batches).toEqual([['one'], ['two']]);
    res.write('END\n');
    await done;
    expect(batches).toEqual([['one'], ['two'], ['END']]);
  });

  it('resolves once the handler says it took the end, and drains the rest for the connection', async () => {
    const res = response();
    const c = consumeAll(res, 'stop');
    const ended = new Promise<void>((r) => res.once('end', r));
    await tick();
    res.write('x\nstop\n');
    expect(await c.done).toBe('resolved');
    expect(res.listenerCount('data')).toBe(0);
    res.write('more\n'.repeat(10_000));
    res.complete = true;
    res.end();
    await ended;
    expect(c.batches).toEqual([['x', 'stop']]);
  });

  it('rejects with what the handler threw and stops reading', async () => {
    const res = response();
    const c = consumeAll(res, undefined, 'boom');
    await tick();
    res.write('x\n');
    res.write('boom\n');
    expect(await c.done).toBe('consumer failed at boom');
    res.write('y\nEND\n');
    expect(c.batches).toEqual([['x']]);
    expect(res.listenerCount('data')).toBe(0);
  });

  it('rejects a stream that ends before the answer is complete, after its batches', async () => {
    const res = response();
    const c = consumeAll(res);
    await tick();
    res.write('x\n');
    res.complete = true;
    res.end();
    expect(await c.done).toBe('incomplete');
    expect(c.batches).toEqual([['x']]);
  });

  it('hands over the lines before a bad one, then rejects with its failure', async () => {
    const res = response();
    const c = consumeAll(res);
    await tick();
    res.write('x\nBAD\nEND\n');
    expect(await c.done).toBe('bad line');
    expect(c.batches).toEqual([['x']]);
  });

  it('rejects as Interrupted when the connection closes mid-answer, and with a failure that came before consume', async () => {
    const res = response();
    const c = consumeAll(res);
    await tick();
    res.write('x\n');
    res.destroy();
    expect(await c.done).toBe('the provider closed the stream mid-answer');

    const early = response();
    const stream = lineEvents(early as unknown as IncomingMessage, onLine, incomplete);
    early.write('y\n');
    await tick();
    early.destroy();
    await tick();
    const batches: string[][] = [];
    await expect(stream.consume((b) => (batches.push(b), false))).rejects.toThrow('the provider closed the stream mid-answer');
    expect(batches).toEqual([['y']]);
  });

  it('resumes a response paused while nobody consumed, and gives every batch in order', async () => {
    const res = response();
    const stream = lineEvents(res as unknown as IncomingMessage, onLine, incomplete);
    for (let i = 0; i < 20; i++) {
      res.write(`l${i}\n`);
      await tick();
    }
    expect(res.isPaused()).toBe(true);
    const batches: string[][] = [];
    const done = stream.consume((b) => (batches.push(b), b.includes('END')));
    expect(res.isPaused()).toBe(false);
    res.write('END\n');
    res.complete = true;
    res.end();
    await done;
    expect(batches.flat()).toEqual([...Array.from({ length: 20 }, (_, i) => `l${i}`), 'END']);
  });
});

