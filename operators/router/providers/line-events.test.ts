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
