import { describe, it, expect } from 'vitest';
import { TokenIndex, identityFromSecret, redactTokenSecret, TOKEN_SECRET_TYPE, tokenRunKey } from './tokens.js';

const token = 'tok-0123456789abcdef';
const secret = (annotations: Record<string, string> = {}, t = token) => ({
  type: TOKEN_SECRET_TYPE,
  metadata: { name: 'run-a-token', namespace: 'finance', labels: { 'agentlab.dev/run': 'run-a' }, annotations },
  data: { token: Buffer.from(t).toString('base64') },
});

describe('TokenIndex', () => {
  it('authenticates a live token and maps it to namespace and run', () => {
    const idx = new TokenIndex();
    idx.upsert(secret({ 'agentlab.dev/max-tokens': '5000' }));
    expect(idx.authenticate(`Bearer ${token}`, 0)).toEqual({ ok: true, identity: { namespace: 'finance', kind: 'AgentRun', run: 'run-a', secret: 'run-a-token', revoked: false, sensitive: false, maxTokens: 5000 } });
  });

  it('knows the run object a token Secret is owned by, until the run\'s last token is gone', () => {
    const idx = new TokenIndex();
    const owned = { ...secret(), metadata: { ...secret().metadata, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', name: 'run-a', uid: 'u1', controller: true }] } };
    idx.upsert(owned);
    expect(idx.authenticate(`Bearer ${token}`, 0)).toMatchObject({ ok: true, identity: { owner: { kind: 'AgentRun', uid: 'u1' } } });
    expect(idx.runOwner('finance', 'AgentRun', 'run-a')).toEqual({ kind: 'AgentRun', uid: 'u1' });
    idx.remove(owned);
    expect(idx.runOwner('finance', 'AgentRun', 'run-a')).toBeUndefined();
    idx.upsert(secret());
    expect(idx.runOwner('finance', 'AgentRun', 'run-a')).toBeUndefined();
  });

  it('keeps an AgentRun and a Flow of the same name apart: each its own kind, owner and run account', () => {
    const idx = new TokenIndex();
    const owned = (kind: string, uid: string, t: string, name: string) => ({ ...secret({}, t), metadata: { ...secret().metadata, name, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind, name: 'run-a', uid, controller: true }] } });
    idx.upsert(owned('AgentRun', 'u1', token, 'run-a-router-token'));
    idx.upsert(owned('Flow', 'u2', 'flow-token-0123456789', 'run-a-router-token-flow'));
    expect(idx.authenticate(`Bearer ${token}`, 0)).toMatchObject({ ok: true, identity: { kind: 'AgentRun', run: 'run-a' } });
    expect(idx.authenticate('Bearer flow-token-0123456789', 0)).toMatchObject({ ok: true, identity: { kind: 'Flow', run: 'run-a' } });
    expect([idx.runOwner('finance', 'AgentRun', 'run-a'), idx.runOwner('finance', 'Flow', 'run-a')]).toEqual([{ kind: 'AgentRun', uid: 'u1' }, { kind: 'Flow', uid: 'u2' }]);
    idx.remove(owned('Flow', 'u2', 'flow-token-0123456789', 'run-a-router-token-flow'));
    expect([idx.hasRun('finance', 'AgentRun', 'run-a'), idx.hasRun('finance', 'Flow', 'run-a')]).toEqual([true, false]);
    // A token without an owner counts as an AgentRun's.
    expect(identityFromSecret(secret())?.identity.kind).toBe('AgentRun');
  });

  it('names the run from the agentlab.dev/run annotation when the name is too long for a label (over 63 characters)', () => {
    // A Flow or HardwareTask name may be up to 253 characters; a label value at most 63. Before, such a
    // Secret had no run label and the router took the Secret's name for the run's: its usage landed in
    // a ConfigMap the controllers never read and its token limit counted under another account.
    const run = `nightly-${'x'.repeat(70)}`;
    const long = { ...secret(), metadata: { name: `${run}-router-token-flow`, namespace: 'finance', labels: { 'agentlab.dev/router-token': 'true' }, annotations: { 'agentlab.dev/run': run }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: run, uid: 'u9', controller: true }] } };
    expect(identityFromSecret(long)?.identity).toMatchObject({ kind: 'Flow', run, secret: `${run}-router-token-flow` });
    expect(tokenRunKey(long)).toBe(`finance/Flow/${run}`);
    const idx = new TokenIndex();
    idx.upsert(long);
    expect(idx.hasRun('finance', 'Flow', run)).toBe(true);
    // The label still names the run of a Secret without the annotation (hand-made, or written before).
    expect(identityFromSecret(secret())?.identity.run).toBe('run-a');
  });

  it.each([
    [undefined, 'missing bearer token (Authorization: Bearer <token>)'],
    ['Basic abc', 'missing bearer token (Authorization: Bearer <token>)'],
    ['Bearer nope-nope-nope-nope', 'unknown or deleted token'],
  ])('refuses %s', (h, reason) => {
    const idx = new TokenIndex();
    idx.upsert(secret());
    expect(idx.authenticate(h, 0)).toEqual({ ok: false, reason });
  });

  it('refuses revoked, expired, deleted and rotated tokens', () => {
    const idx = new TokenIndex();
    idx.upsert(secret({ 'agentlab.dev/revoked': 'true' }));
    expect(idx.authenticate(`Bearer ${token}`, 0)).toMatchObject({ ok: false, reason: 'token of run finance/run-a was revoked' });
    idx.upsert(secret({ 'agentlab.dev/expires-at': '2026-01-01T00:00:00Z' }));
    expect(idx.authenticate(`Bearer ${token}`, Date.parse('2026-01-01T00:00:01Z'))).toMatchObject({ ok: false, reason: 'token of run finance/run-a has expired' });
    idx.upsert(secret({ 'agentlab.dev/expires-at': 'garbage' }));
    expect(idx.authenticate(`Bearer ${token}`, 0)).toMatchObject({ ok: false });
    idx.upsert(secret({}, 'a-new-token-0123456789'));
    expect(idx.authenticate(`Bearer ${token}`, 0)).toMatchObject({ ok: false, reason: 'unknown or deleted token' });
    idx.remove(secret());
    expect(idx.size).toBe(0);
  });

  it('keeps only a digest of the token in the cache', () => {
    const r = redactTokenSecret(secret());
    expect(r.data).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain(Buffer.from(token).toString('base64'));
    const idx = new TokenIndex();
    idx.upsert(r);
    expect(idx.authenticate(`Bearer ${token}`, 0).ok).toBe(true);
  });

  it('ignores Secrets of other types and short tokens', () => {
    expect(identityFromSecret(secret({}, 'short'))).toBeUndefined();
    expect(identityFromSecret({ ...secret(), type: 'Opaque' })).toBeUndefined();
  });

  it('reads the run\'s egress policy from agentlab.dev/egress (absent: none; garbled: an error, never a policy)', () => {
    expect(identityFromSecret(secret())?.identity.egress).toBeUndefined();
    expect(identityFromSecret(secret({ 'agentlab.dev/egress': '{"allowHosts":["api.github.com"]}' }))?.identity.egress).toEqual({ ok: true, policy: { allowHosts: ['api.github.com'], methods: ['GET'], maxResponseBytes: 1_048_576 } });
    expect(identityFromSecret(secret({ 'agentlab.dev/egress': '{"allowHosts":"*"}' }))?.identity.egress).toMatchObject({ ok: false });
  });

  it('knows which runs have a token Secret, revoked ones included, until the last one is removed', () => {
    const idx = new TokenIndex();
    idx.upsert(secret({ 'agentlab.dev/revoked': 'true' }));
    expect(idx.hasRun('finance', 'AgentRun', 'run-a')).toBe(true);
    const second = { ...secret({}, 'another-token-0123456789'), metadata: { ...secret().metadata, name: 'run-a-token-2' } };
    idx.upsert(second);
    idx.remove(secret());
    expect(idx.hasRun('finance', 'AgentRun', 'run-a')).toBe(true);
    idx.remove(second);
    expect(idx.hasRun('finance', 'AgentRun', 'run-a')).toBe(false);
    expect(idx.hasRun('other', 'AgentRun', 'run-a')).toBe(false);
  });
});

