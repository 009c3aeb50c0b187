import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: false };

/**
 * Waits until the router has applied a change to the token Secrets of `namespace`: a token made
 * after the change, in the same namespace, is accepted. The router reads token Secrets through one
 * watch (no resync, no polling), whose events come in resourceVersion order, so by then the earlier
 * change is in its token index. (How soon after the write that is, is a speed figure.)
 */
async function routerSawChangesBefore(namespace: string, marker: string): Promise<void> {
  const { token } = await f.issueToken(namespace, marker);
  await cluster.waitFor(async () => (await f.post('/api/chat', token, body)).status === 200, { what: `the router to accept token ${marker}, made after the change`, timeoutMs: 30_000 });
}

describe('router identity', () => {
  it('refuses missing and unknown tokens with 401 in both dialects', async () => {
    const none = await f.post('/api/chat', undefined, body);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string; category: string })).toMatchObject({ category: 'auth', error: expect.stringContaining('missing bearer token') });
    const unknown = await f.post('/v1/chat/completions', 'not-a-token-we-issued-0000', body);
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    expect(f.ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
  });

  it('refuses a revoked token as soon as its watch has delivered the revocation', async () => {
    const { token, secret } = await f.issueToken(f.ns.private, 'run-revoke');
    await cluster.waitFor(async () => (await f.post('/api/chat', token, body)).status === 200, { what: 'token accepted' });
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${f.ns.private}/secrets/${secret}`, contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'agentlab.dev/revoked': 'true' } } } });
    await routerSawChangesBefore(f.ns.private, 'run-revoke-after');
    const r = await f.post('/api/chat', token, body);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: string }).error).toContain('was revoked');
  });

  it('refuses a token as soon as its watch has delivered the deletion of its Secret', async () => {
    const { token, secret } = await f.issueToken(f.ns.enterprise, 'run-delete');
    await cluster.waitFor(async () => (await f.post('/api/chat', token, body)).status === 200, { what: 'token accepted' });
    await cluster.request({ method: 'DELETE', path: `/api/v1/namespaces/${f.ns.enterprise}/secrets/${secret}` });
    await routerSawChangesBefore(f.ns.enterprise, 'run-delete-after');
    expect((await f.post('/api/chat', token, body)).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    // Far enough ahead that the router has the token before it expires, even on a loaded machine.
    const { token } = await f.issueToken(f.ns.private, 'run-expired', { 'agentlab.dev/expires-at': new Date(Date.now() + 10_000).toISOString() });
    await cluster.waitFor(async () => (await f.post('/api/chat', token, body)).status === 200, { what: 'token accepted' });
    const refused = await cluster.waitFor(async () => {
      const r = await f.post('/api/chat', token, body);
      return r.status === 401 ? r : undefined;
    }, { what: 'expiry', timeoutMs: 40_000 });
    expect(((await refused.json()) as { error: string }).error).toContain('has expired');
  });

  it('refuses a run issued for another lane than its namespace is in', async () => {
    const { token } = await f.issueToken(f.ns.private, 'run-wrong-lane', { 'agentlab.dev/lane': f.lane('enterprise') });
    const r = await cluster.waitFor(async () => {
      const x = await f.post('/api/chat', token, body);
      return x.status === 403 ? x : undefined;
    }, { what: 'lane mismatch' });
    expect(((await r.json()) as { code: string }).code).toBe('lane_mismatch');
  });

  it('logs one line per request without tokens, keys or prompts, and keeps run ids out of metrics', async () => {
    const secretPrompt = 'my account number is 12345678';
    const r = await f.post('/v1/chat/completions', f.token.personal, { model: 'chat', messages: [{ role: 'user', content: secretPrompt }] });
    expect(r.status).toBe(200);
    const logs = f.routerLogs.join('');
    for (const t of Object.values(f.token)) expect(logs).not.toContain(t);
    expect(logs).not.toContain(secretPrompt);
    expect(logs).not.toContain('sk-ant-test');
    const line = f.routerLogs.map((l) => JSON.parse(l) as Record<string, unknown>).findLast((l) => l.route === 'POST /v1/chat/completions' && l.run === 'run-personal');
    expect(line).toMatchObject({ lane: f.lane('personal'), namespace: f.ns.personal, provider: 'claude', model: 'claude-sonnet-4-5', outcome: 'success', status: 200 });
    const text = await f.router.registry.metrics();
    expect(text).not.toContain(f.token.private);
    expect(text).not.toMatch(/run-private|run-personal/);
    expect(text).toMatch(/agentlab_llm_tokens_total\{lane="personal-[0-9a-f]+",provider="claude",model="claude-sonnet-4-5",direction="output"\} \d+/);
  });
});
