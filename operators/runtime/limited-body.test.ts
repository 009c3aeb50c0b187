import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLimitedBody, type LimitedBody } from './limited-body.js';

function request(headers: Record<string, string>): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

/** The promise's outcome if it settles within 10 ms, else 'pending'. */
async function settled(p: Promise<LimitedBody>): Promise<'pending' | LimitedBody | Error> {
  const pending = Symbol('pending');
  const r = await Promise.race([p.catch((e: Error) => e), new Promise<typeof pending>((resolve) => setTimeout(() => resolve(pending), 10))]);
  return r === pending ? 'pending' : r;
}

describe('readLimitedBody', () => {
  it('returns a body within the limit, across chunks', async () => {
    const req = request({ 'content-length': '6' });
    const body = readLimitedBody(req as unknown as IncomingMessage, 10);
    req.write(Buffer.from('abc'));
    req.end(Buffer.from('def'));
    const r = await body;
    expect(r.ok && r.body.toString()).toBe('abcdef');
  });

  it('reports an over-large body only after limit+1 bytes, even when Content-Length is already over the limit', async () => {
    const limit = 1000;
    const req = request({ 'content-length': String(limit + 100) });
    const body = readLimitedBody(req as unknown as IncomingMessage, limit);
    req.write(Buffer.alloc(limit));
    expect(await settled(body)).toBe('pending');
    req.write(Buffer.alloc(1));
    expect(await settled(body)).toEqual({ ok: false, remaining: 99 });
    // The rest still flows (the caller drains it): nothing stops the stream.
    expect(req.readableFlowing).toBe(true);
  });

  it('reports a chunked body once it passes the limit, its remainder unknown', async () => {
    const req = request({ 'transfer-encoding': 'chunked' });
    const body = readLimitedBody(req as unknown as IncomingMessage, 10);
    req.write(Buffer.alloc(6));
    expect(await settled(body)).toBe('pending');
    req.write(Buffer.alloc(6));
    const r = await settled(body);
    expect(r).toMatchObject({ ok: false });
    expect((r as { remaining: number }).remaining).toBeNaN();
  });

  it('rejects on a stream error', async () => {
    const req = request({});
    const body = readLimitedBody(req as unknown as IncomingMessage, 10);
    req.destroy(new Error('socket hang up'));
    await expect(body).rejects.toThrow('socket hang up');
  });
});
