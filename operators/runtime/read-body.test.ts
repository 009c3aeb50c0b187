import { PassThrough } from 'node:stream';
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { readBody } from './kube.js';

describe('readBody', () => {
  it('decodes UTF-8 split across chunks (a character cut between two reads stays whole)', async () => {
    const text = JSON.stringify({ items: [{ metadata: { name: 'café', annotations: { note: 'naïve 🤖 résumé' } } }] });
    const bytes = Buffer.from(text, 'utf8');
    const res = new PassThrough();
    const body = readBody(res as unknown as http.IncomingMessage);
    // One byte at a time: every multi-byte character is split.
    for (let i = 0; i < bytes.length; i++) res.write(bytes.subarray(i, i + 1));
    res.end();
    expect(await body).toBe(text);
  });
});
