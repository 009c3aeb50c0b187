import { describe, expect, it } from 'vitest';
import { checkContentEncoding, jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from './body.js';
import type { RouterError } from './errors.js';

const refusal = (f: () => unknown): Pick<RouterError, 'status' | 'code' | 'message'> => {
  try {
    f();
  } catch (e) {
    const r = e as RouterError;
    return { status: r.status, code: r.code, message: r.message };
  }
  throw new Error('expected a refusal');
};

describe('parseJsonBody', () => {
  it('reads a UTF-8 JSON object, with or without a byte order mark', () => {
    expect(parseJsonBody(Buffer.from('{"model":"chat","x":"ø"}'))).toEqual({ model: 'chat', x: 'ø' });
    expect(parseJsonBody(Buffer.from('\ufeff{"a":1}'))).toEqual({ a: 1 });
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    const bytes = Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expect(refusal(() => parseJsonBody(bytes))).toMatchObject({ status: 400, code: 'invalid_utf8', message: expect.stringContaining('not valid UTF-8') });
  });

  it('refuses non-JSON and non-objects', () => {
    expect(refusal(() => parseJsonBody(Buffer.from('model=chat')))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(refusal(() => parseJsonBody(Buffer.from('[1]')))).toMatchObject({ status: 400, message: 'request body must be a JSON object' });
  });

  it('refuses nesting deeper than the limit before parsing, and accepts the limit', () => {
    const nested = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    expect(refusal(() => parseJsonBody(Buffer.from(nested(100_000))))).toMatchObject({ status: 400, code: 'too_deep' });
    expect(() => parseJsonBody(Buffer.from(nested(MAX_JSON_DEPTH)))).not.toThrow();
  });
});

describe('jsonDepth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{\\"[["}')).toBe(1);
    expect(jsonDepth('"x"')).toBe(0);
  });
});

describe('checkContentEncoding', () => {
  it('accepts none or identity and refuses compression with 415', () => {
    expect(() => checkContentEncoding(undefined)).not.toThrow();
    expect(() => checkContentEncoding('identity')).not.toThrow();
    expect(refusal(() => checkContentEncoding('gzip'))).toMatchObject({ status: 415, code: 'unsupported_encoding' });
  });
});
