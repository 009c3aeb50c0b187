import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { routerLogDestination } from './log-destination.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('routerLogDestination', () => {
  it('writes a few lines without waiting for a full batch, and every line of a large burst', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'router-log-'));
    const file = path.join(dir, 'router.log');
    const dest = routerLogDestination(file);
    const log = pino({ level: 'info' }, dest);
    log.info({ requestId: 'a' }, 'request');
    log.info({ requestId: 'b' }, 'request');
    // Far below a batch: the periodic flush writes them (polled, no time asserted).
    for (let i = 0; i < 200 && (await lines(file)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await lines(file)).map((l) => (JSON.parse(l) as { requestId: string }).requestId)).toEqual(['a', 'b']);
    for (let i = 0; i < 1000; i++) log.info({ requestId: `r${i}` }, 'request');
    for (let i = 0; i < 200 && (await lines(file)).length < 1002; i++) await new Promise((r) => setTimeout(r, 50));
    const all = await lines(file);
    expect(all).toHaveLength(1002);
    expect(JSON.parse(all[1001])).toMatchObject({ requestId: 'r999', msg: 'request' });
    dest.end();
  });

  it('writes the lines of an unfinished batch when flushed synchronously (as at exit)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'router-log-'));
    const file = path.join(dir, 'router.log');
    const dest = routerLogDestination(file);
    const log = pino({ level: 'info' }, dest);
    log.info({ requestId: 'a' }, 'request');
    // Once the file is open (the periodic flush wrote the first line), a synchronous flush writes the rest at once.
    for (let i = 0; i < 200 && (await lines(file)).length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 300; i++) log.info({ requestId: `r${i}` }, 'request');
    dest.flushSync();
    const all = await lines(file);
    expect(all).toHaveLength(301);
    expect(JSON.parse(all[300])).toMatchObject({ requestId: 'r299' });
    dest.end();
  });

  it('keeps every character and the order of lines across batch ends, a line larger than a batch included', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'router-log-'));
    const file = path.join(dir, 'router.log');
    const dest = routerLogDestination(file);
    const log = pino({ level: 'info' }, dest);
    const text = (i: number) => `héllo ✓ 😀 ${i} ${'ü'.repeat(i % 97)}`;
    const huge = `${'😀'.repeat(12_000)}é`; // 96 KB of UTF-8: more than one batch
    log.info({ requestId: 'first' }, 'request');
    for (let i = 0; i < 200 && (await lines(file)).length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 600; i++) {
      log.info({ requestId: `r${i}`, note: i === 300 ? huge : text(i) }, 'request');
    }
    // The batches go out asynchronously, one after the other (polled, no time asserted).
    for (let i = 0; i < 200 && (await lines(file)).length < 601; i++) await new Promise((r) => setTimeout(r, 50));
    const all = await lines(file);
    expect(all.shift()).toContain('"first"');
    expect(all).toHaveLength(600);
    all.forEach((l, i) => expect(JSON.parse(l)).toMatchObject({ requestId: `r${i}`, note: i === 300 ? huge : text(i) }));
    dest.end();
  });

  it('loses no line when flushed synchronously while a batch is being written asynchronously', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'router-log-'));
    const file = path.join(dir, 'router.log');
    const dest = routerLogDestination(file);
    const log = pino({ level: 'info' }, dest);
    log.info({ requestId: 'first' }, 'request');
    for (let i = 0; i < 200 && (await lines(file)).length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    // Several batches: the first ones are handed to asynchronous writes before the flush.
    for (let i = 0; i < 3000; i++) log.info({ requestId: `r${i}`, note: 'x'.repeat(100) }, 'request');
    dest.flushSync();
    for (let i = 0; i < 200 && (await lines(file)).length < 3001; i++) await new Promise((r) => setTimeout(r, 50));
    const ids = (await lines(file)).map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(ids).toHaveLength(3001);
    expect(new Set(ids)).toEqual(new Set(['first', ...Array.from({ length: 3000 }, (_, i) => `r${i}`)]));
    dest.end();
  });
});
