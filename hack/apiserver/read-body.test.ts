import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { MAX_POST_HANDLER_DRAIN, readBody } from './read-body.js';

function request(headers: Record<string, string>): PassThrough & { headers: Record<string, string> } {
  return Object.assign(new PassThrough(), { headers });
}

async function overLimit(declared: number | undefined, limit: number): Promise<ApiError> {
  const req = request(declared === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(declared) });
  const body = readBody(req as unknown as IncomingMessage, limit);
  req.write(Buffer.alloc(limit + 1));
  return body.then(() => { throw new Error('expected a 413'); }, (e: ApiError) => e);
}

describe('readBody', () => {
  it('returns a body within the limit', async () => {
    const req = request({ 'content-length': '6' });
    const body = readBody(req as unknown as IncomingMessage, 10);
    req.end(Buffer.from('abcdef'));
    expect((await body).toString()).toBe('abcdef');
  });

  it('is 413 RequestEntityTooLarge past the limit, keeping the connection when the rest is small', async () => {
    const err = await overLimit(1100, 1000);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(413);
    expect(err.status.reason).toBe('RequestEntityTooLarge');
    expect(err.status.message).toBe('Request entity too large: limit is 1000');
    expect(err.headers.Connection).toBeUndefined();
    expect((await overLimit(undefined, 1000)).headers.Connection).toBeUndefined();
  });

  it('closes the connection when more than 256 KiB are declared to remain, as Go net/http does', async () => {
    expect((await overLimit(1000 + 1 + MAX_POST_HANDLER_DRAIN, 1000)).headers.Connection).toBeUndefined();
    expect((await overLimit(1000 + 1 + MAX_POST_HANDLER_DRAIN + 1, 1000)).headers.Connection).toBe('close');
  });
});
