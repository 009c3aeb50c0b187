import { describe, expect, it } from 'vitest';
import { callRouter, ModelCallError, modelCallKey, parseChatResponse } from './router-call.js';

describe('router calls', () => {
  it('reads answers and the router\'s errors', () => {
    expect(parseChatResponse(200, { choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 2, completion_tokens: 1 } })).toEqual({ answer: 'hi', promptTokens: 2, completionTokens: 1 });
    expect(() => parseChatResponse(403, { error: { message: 'lane private refuses cloud' } })).toThrow('the lane router answered 403: lane private refuses cloud');
  });

  it('retries a 401 while the token is new, and gives up on a timeout with a message', async () => {
    let n = 0;
    const f = (async () => (++n < 3 ? new Response('{"error":{"message":"unknown token"}}', { status: 401 }) : new Response('{"choices":[{"message":{"content":"ok"}}]}'))) as unknown as typeof fetch;
    await expect(callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', fetch: f, timeoutMs: 5000, unauthorizedUntil: Date.now() + 5000, sleep: async () => {} })).resolves.toMatchObject({ answer: 'ok' });
    const slow = ((_: string, init: RequestInit) => new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'TimeoutError' }))))) as unknown as typeof fetch;
    const err = await callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', fetch: slow, timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect((err as Error).message).toBe('no answer within 50ms (the attempt\'s time limit)');
  });

  it("asks again while the namespace is in no lane yet (403 no_lane: a LanePolicy applied with the flow), until the attempt's deadline, then fails with the router's message", async () => {
    const noLane = () => new Response('{"error":{"message":"namespace ai is not bound to any LanePolicy","type":"policy","code":"no_lane"}}', { status: 403 });
    let n = 0;
    const f = (async () => (++n < 4 ? noLane() : new Response('{"choices":[{"message":{"content":"ok"}}]}'))) as unknown as typeof fetch;
    await expect(callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', fetch: f, timeoutMs: 60_000, sleep: async () => {} })).resolves.toMatchObject({ answer: 'ok' });
    expect(n).toBe(4);
    let clock = 1_000_000;
    let asked = 0;
    const never = (async () => { asked++; return noLane(); }) as unknown as typeof fetch;
    const err = await callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', fetch: never, timeoutMs: 9000, now: () => clock, sleep: async (ms) => { clock += ms; } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ status: 403, message: 'the lane router answered 403: namespace ai is not bound to any LanePolicy' });
    expect(asked).toBe(5); // at 0, 2, 4 and 6 s, then 8 s: the next would be past the 9 s deadline
    // Another refusal is final at once.
    let m = 0;
    const refuse = (async () => { m++; return new Response('{"error":{"message":"lane private refuses cloud","code":"lane_policy"}}', { status: 403 }); }) as unknown as typeof fetch;
    await expect(callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', fetch: refuse, timeoutMs: 60_000, sleep: async () => {} })).rejects.toThrow('lane private refuses cloud');
    expect(m).toBe(1);
  });

  it('sends one Idempotency-Key per attempt (uid/node/attempt, an sf-string), the same on every retry of a 401', async () => {
    expect(modelCallKey('7d1c-uid', 'summarize', 2)).toBe('7d1c-uid/summarize/2');
    const seen: (string | null)[] = [];
    let n = 0;
    const f = (async (_: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('idempotency-key'));
      return ++n < 2 ? new Response('{"error":"unknown token"}', { status: 401 }) : new Response('{"choices":[{"message":{"content":"ok"}}]}');
    }) as unknown as typeof fetch;
    await callRouter({ model: 'm', messages: [], stream: false }, { url: 'http://r', token: 't', idempotencyKey: modelCallKey('u', 'n', 1), fetch: f, timeoutMs: 5000, unauthorizedUntil: Date.now() + 5000, sleep: async () => {} });
    expect(seen).toEqual(['"u/n/1"', '"u/n/1"']);
  });
});
