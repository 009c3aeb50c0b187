import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportPayload, sendReport, tokenFromEnv, type Poster } from './report.js';
import type { RunSummary } from './output.js';

const summary: RunSummary = { outcome: 'Succeeded', reason: 'Completed', message: '', result: 'answer with secret-token-123', turns: 2, toolCalls: 1, toolErrors: 0 };
const answer = (status: number): ReturnType<Poster> => Promise.resolve({ status, text: () => Promise.resolve('x') });

describe('runner report', () => {
  it('carries the termination message (secrets redacted) and the event lines', () => {
    const p = reportPayload(summary, ['{"type":"start","turn":0}\n', '{"type":"end","turn":2}\n'], ['secret-token-123']);
    expect(JSON.parse(p.termination)).toMatchObject({ outcome: 'Succeeded', result: 'answer with [redacted]', turns: 2 });
    expect(p.transcript).toBe('{"type":"start","turn":0}\n{"type":"end","turn":2}\n');
  });

  it('cuts a transcript larger than a ConfigMap holds, saying so', () => {
    const line = JSON.stringify({ type: 'assistant', turn: 1, text: 'x'.repeat(4000) });
    const p = reportPayload(summary, Array.from({ length: 400 }, () => line), []);
    expect(Buffer.byteLength(p.transcript)).toBeLessThanOrEqual(900 * 1024);
    expect(p.transcript.trim().split('\n').at(-1)).toMatch(/"type":"truncated"/);
  });

  it('retries until stored, treats 409 as stored and gives up on 401', async () => {
    const seen: number[] = [];
    const statuses = [503, 0, 201];
    const post: Poster = (_u, init) => {
      expect(init.headers.authorization).toBe('Bearer tok');
      const s = statuses[seen.length];
      seen.push(s);
      return s === 0 ? Promise.reject(new Error('ECONNREFUSED')) : answer(s);
    };
    expect(await sendReport('http://r/agentlab/v1/report', 'tok', { termination: '{}', transcript: '' }, { post, sleep: async () => {} })).toEqual({ ok: true, detail: 'HTTP 201' });
    expect(seen).toEqual([503, 0, 201]);
    expect((await sendReport('u', 't', { termination: '{}', transcript: '' }, { post: () => answer(409), sleep: async () => {} })).ok).toBe(true);
    let calls = 0;
    const refused = await sendReport('u', 't', { termination: '{}', transcript: '' }, { post: () => { calls++; return answer(401); }, sleep: async () => {} });
    expect(refused.ok).toBe(false);
    expect(calls).toBe(1);
  });

  it('reads the token from the file the Secret disk holds when the variable is unset', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'report-'));
    await writeFile(path.join(dir, 'token'), 'from-file\n');
    expect(await tokenFromEnv({ AGENTLAB_ROUTER_TOKEN_FILE: path.join(dir, 'token') })).toBe('from-file');
    expect(await tokenFromEnv({ AGENTLAB_ROUTER_TOKEN: 'env', AGENTLAB_ROUTER_TOKEN_FILE: path.join(dir, 'token') })).toBe('env');
    expect(await tokenFromEnv({ AGENTLAB_ROUTER_TOKEN_FILE: path.join(dir, 'missing') })).toBeUndefined();
  });
});
