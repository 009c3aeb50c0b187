import { describe, expect, it } from 'vitest';
import { IdempotencyTable, parseIdempotencyKey, requestFingerprint, type StoredResponse } from './idempotency.js';

const ok = (body: string): StoredResponse => ({ status: 200, contentType: 'application/json', body });

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('IdempotencyTable', () => {
  it('a repeat while the first runs waits for it; the work runs once', async () => {
    const t = new IdempotencyTable();
    const d = deferred<StoredResponse>();
    let calls = 0;
    const exec = () => {
      calls++;
      return d.promise;
    };
    const first = t.run('ns/run', 'k', 'f', exec);
    const second = t.run('ns/run', 'k', 'f', exec);
    d.resolve(ok('answer'));
    expect(await first).toEqual({ kind: 'first', response: ok('answer') });
    expect(await second).toEqual({ kind: 'joined', response: ok('answer') });
    expect(calls).toBe(1);
  });

  it('a repeat after the first finished gets the same status and body replayed', async () => {
    const t = new IdempotencyTable();
    let calls = 0;
    const exec = async () => {
      calls++;
      return { status: 503, contentType: 'application/json', body: `{"n":${calls}}` };
    };
    await t.run('s', 'k', 'f', exec);
    expect(await t.run('s', 'k', 'f', exec)).toEqual({ kind: 'replayed', response: { status: 503, contentType: 'application/json', body: '{"n":1}' } });
    expect(calls).toBe(1);
  });

  it('a repeat with another body is a mismatch, before and after the first finished', async () => {
    const t = new IdempotencyTable();
    const d = deferred<StoredResponse>();
    const first = t.run('s', 'k', 'f1', () => d.promise);
    expect(await t.run('s', 'k', 'f2', async () => ok('x'))).toEqual({ kind: 'mismatch' });
    d.resolve(ok('a'));
    await first;
    expect(await t.run('s', 'k', 'f2', async () => ok('x'))).toEqual({ kind: 'mismatch' });
  });

  it('finished entries expire after the ttl; then the key runs again', async () => {
    let now = 1000;
    const t = new IdempotencyTable({ ttlMs: 60_000, now: () => now });
    let calls = 0;
    const exec = async () => ok(String(++calls));
    await t.run('s', 'k', 'f', exec);
    now += 59_999;
    expect((await t.run('s', 'k', 'f', exec)).kind).toBe('replayed');
    now += 2;
    expect(await t.run('s', 'k', 'f', exec)).toEqual({ kind: 'first', response: ok('2') });
  });

  it('is bounded in entries (least recently used finished entries go first) and in bytes', async () => {
    const t = new IdempotencyTable({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) await t.run('s', k, 'f', async () => ok(k));
    await t.run('s', 'a', 'f', async () => ok('again')); // a is now the most recently used
    await t.run('s', 'd', 'f', async () => ok('d'));
    expect(t.size).toBe(3);
    expect((await t.run('s', 'a', 'f', async () => ok('new'))).kind).toBe('replayed');
    expect(await t.run('s', 'b', 'f', async () => ok('new'))).toEqual({ kind: 'first', response: ok('new') });

    const small = new IdempotencyTable({ maxBytes: 1000 });
    for (let i = 0; i < 50; i++) await small.run('s', `k${i}`, 'f', async () => ok('x'.repeat(300)));
    expect(small.size).toBeLessThanOrEqual(3);
    for (let i = 0; i < 10_000; i++) await t.run('s', `many${i}`, 'f', async () => ok('y'));
    expect(t.size).toBe(3);
  });

  it('keeps in-flight entries past the bound (a join must still find them)', async () => {
    const t = new IdempotencyTable({ maxEntries: 1 });
    const d = deferred<StoredResponse>();
    const first = t.run('s', 'slow', 'f', () => d.promise);
    await t.run('s', 'other', 'f', async () => ok('o'));
    const joined = t.run('s', 'slow', 'f', async () => ok('twice'));
    d.resolve(ok('once'));
    expect(await first).toEqual({ kind: 'first', response: ok('once') });
    expect(await joined).toEqual({ kind: 'joined', response: ok('once') });
  });

  it('scopes keys by caller: the same key of another run is another entry', async () => {
    const t = new IdempotencyTable();
    await t.run('ns/flow-a', 'k', 'f', async () => ok('a'));
    expect(await t.run('ns/flow-b', 'k', 'f', async () => ok('b'))).toEqual({ kind: 'first', response: ok('b') });
    expect(await t.run('other/flow-a', 'k', 'other-body', async () => ok('c'))).toEqual({ kind: 'first', response: ok('c') });
  });

  it('keeps nothing when the work throws: the next request runs it again', async () => {
    const t = new IdempotencyTable();
    await expect(t.run('s', 'k', 'f', async () => {
      throw new Error('bug');
    })).rejects.toThrow('bug');
    expect(await t.run('s', 'k', 'f', async () => ok('then'))).toEqual({ kind: 'first', response: ok('then') });
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    [undefined, {}],
    ['"uid-1/node/2"', { key: 'uid-1/node/2' }],
    ['uid-1/node/2', { key: 'uid-1/node/2' }],
  ])('%s', (h, want) => expect(parseIdempotencyKey(h)).toEqual(want));

  it.each(['', '""', 'a b', 'x'.repeat(256), 'caf\u00e9', '"a"b"'])('refuses %j with a message naming the header', (h) => {
    expect(parseIdempotencyKey(h).error).toMatch(/^Idempotency-Key: /);
  });

  it('refuses the header sent twice', () => expect(parseIdempotencyKey(['a', 'b']).error).toMatch(/once/));
});

describe('requestFingerprint', () => {
  it('differs by body and by route, and is stable', () => {
    const a = requestFingerprint('POST /v1/chat/completions', { model: 'm', messages: [] });
    expect(requestFingerprint('POST /v1/chat/completions', { model: 'm', messages: [] })).toBe(a);
    expect(requestFingerprint('POST /v1/chat/completions', { model: 'n', messages: [] })).not.toBe(a);
    expect(requestFingerprint('POST /api/chat', { model: 'm', messages: [] })).not.toBe(a);
  });
});
