import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { MAX_POST_HANDLER_DRAIN, readBody } from './read-body.js';

function request(headers: Record<string, string>): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

async function settled(p: Promise<Buffer>): Promise<'pending' | Buffer | ApiError> {
  const pending = Symbol('pending');
  const r = await Promise.race([p.catch((e: ApiError) => e), new Promise<typeof pending>((resolve) => setTimeout(() => resolve(pending), 10))]);
  return r === pending ? 'pending' : r;
}

describe('readBody', () => {
  it('returns a body within the limit', async () => {
    const req = request({ 'content-length': '6' });
    const body = readBody(req as unknown as IncomingMessage, 10);
    req.end(Buffer.from('abcdef'));
    expect((await body).toString()).toBe('abcdef');
  });

  it('answers 413 only after limit+1 bytes, even when Content-Length is already over the limit', async () => {
    const limit = 1000;
    const req = request({ 'content-length': String(limit + 100) });
    const body = readBody(req as unknown as IncomingMessage, limit);
    req.write(Buffer.alloc(limit));
    expect(await settled(body)).toBe('pending');
    req.write(Buffer.alloc(1));
    const err = await settled(body);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(413);
    expect((err as ApiError).status.reason).toBe('RequestEntityTooLarge');
    expect((err as ApiError).status.message).toBe('Request entity too large: limit is 1000');
    // 99 bytes are left: drained, so the connection stays open.
    expect((err as ApiError).headers.Connection).toBeUndefined();
  });

  it('closes the connection when more than 256 KiB are declared to remain, as Go net/http does', async () => {
    const limit = 1000;
    const req = request({ 'content-length': String(limit + 1 + MAX_POST_HANDLER_DRAIN + 1) });
    const body = readBody(req as unknown as IncomingMessage, limit);
    req.write(Buffer.alloc(limit + 1));
    const err = (await settled(body)) as ApiError;
    expect(err.code).toBe(413);
    expect(err.headers.Connection).toBe('close');
  });

  it('fails a chunked body once it passes the limit, keeping the connection', async () => {
    const req = request({ 'transfer-encoding': 'chunked' });
    const body = readBody(req as unknown as IncomingMessage, 10);
    req.write(Buffer.alloc(6));
    expect(await settled(body)).toBe('pending');
    req.write(Buffer.alloc(6));
    const err = (await settled(body)) as ApiError;
    expect(err.code).toBe(413);
    expect(err.headers.Connection).toBeUndefined();
  });

  it('passes a stream error on', async () => {
    const req = request({});
    const body = readBody(req as unknown as IncomingMessage, 10);
    req.destroy(new Error('socket hang up'));
    await expect(body).rejects.toThrow('socket hang up');
  });
});
