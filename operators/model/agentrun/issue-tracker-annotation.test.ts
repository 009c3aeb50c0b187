import { describe, expect, it } from 'vitest';
import { issueTrackerAnnotationValue, issueTrackerFromAnnotation } from './issue-tracker-annotation.js';

describe('the agentlab.dev/issue-tracker annotation', () => {
  it('round-trips a tracker, with and without the optional fields', () => {
    const full = { provider: 'forgejo' as const, baseURL: 'https://git.example.org', repository: 'homelab/infra', issue: 7, secretRef: { name: 'forge-token', key: 'token' }, runUid: '0b7e-11aa' };
    expect(issueTrackerFromAnnotation(issueTrackerAnnotationValue(full))).toEqual({ ok: true, tracker: full });
    const min = { provider: 'github' as const, repository: 'o/r', secretRef: { name: 'gh', key: 'token' } };
    expect(issueTrackerAnnotationValue(min)).toBe('{"provider":"github","repository":"o/r","secretRef":{"name":"gh","key":"token"}}');
    expect(issueTrackerFromAnnotation(issueTrackerAnnotationValue(min))).toEqual({ ok: true, tracker: min });
  });

  it('never carries a token: unknown fields are dropped', () => {
    const r = issueTrackerFromAnnotation('{"provider":"github","repository":"o/r","secretRef":{"name":"gh","key":"token"},"token":"ghp_x"}');
    expect(JSON.stringify(r)).not.toContain('ghp_x');
  });

  it('absent means no github tool', () => {
    expect(issueTrackerFromAnnotation(undefined)).toBeUndefined();
  });

  it.each([
    ['not json', 'not JSON'],
    ['[]', 'not a JSON object'],
    ['{"provider":"gitlab","repository":"o/r","secretRef":{"name":"s","key":"k"}}', 'provider must be'],
    ['{"provider":"github","repository":"o","secretRef":{"name":"s","key":"k"}}', 'repository must be'],
    ['{"provider":"github","repository":"o/r/x","secretRef":{"name":"s","key":"k"}}', 'repository must be'],
    ['{"provider":"github","repository":"o/r","issue":0,"secretRef":{"name":"s","key":"k"}}', 'issue must be a positive integer'],
    ['{"provider":"github","repository":"o/r","issue":"7","secretRef":{"name":"s","key":"k"}}', 'issue must be a positive integer'],
    ['{"provider":"github","repository":"o/r","baseURL":"file:///etc","secretRef":{"name":"s","key":"k"}}', 'baseURL must be http'],
    ['{"provider":"github","repository":"o/r","baseURL":"x","secretRef":{"name":"s","key":"k"}}', 'baseURL is not a URL'],
    ['{"provider":"github","repository":"o/r"}', 'secretRef.name must be'],
    ['{"provider":"github","repository":"o/r","secretRef":{"name":"../x","key":"k"}}', 'secretRef.name must be'],
    ['{"provider":"github","repository":"o/r","secretRef":{"name":"s","key":"a/b"}}', 'secretRef.key must be'],
    ['{"provider":"github","repository":"o/r","secretRef":{"name":"s","key":"k"},"runUid":"a b"}', 'runUid must be'],
  ])('refuses %s, naming the problem', (value, why) => {
    const r = issueTrackerFromAnnotation(value);
    expect(r?.ok).toBe(false);
    expect(r && !r.ok ? r.error : '').toMatch(new RegExp(`^annotation agentlab\\.dev/issue-tracker is invalid: ${why}`));
  });
});
