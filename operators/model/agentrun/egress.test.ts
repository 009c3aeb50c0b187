import { describe, expect, it } from 'vitest';
import { egressAnnotationValue, egressFromAnnotation } from './egress.js';

describe('the agentlab.dev/egress annotation', () => {
  it('is the http tool spec with the defaults applied, and parses back', () => {
    const value = egressAnnotationValue({ allowHosts: ['api.github.com', '*.wikipedia.org'] });
    expect(JSON.parse(value)).toEqual({ allowHosts: ['api.github.com', '*.wikipedia.org'], methods: ['GET'], maxResponseBytes: 1_048_576 });
    expect(egressFromAnnotation(value)).toEqual({ ok: true, policy: { allowHosts: ['api.github.com', '*.wikipedia.org'], methods: ['GET'], maxResponseBytes: 1_048_576 } });
    expect(egressFromAnnotation('{"allowHosts":["a.example"],"methods":["get","post"],"maxResponseBytes":10}')).toEqual({ ok: true, policy: { allowHosts: ['a.example'], methods: ['GET', 'POST'], maxResponseBytes: 10 } });
  });

  it('absent means no egress', () => {
    expect(egressFromAnnotation(undefined)).toBeUndefined();
  });

  it.each([
    ['not json', 'not JSON'],
    ['[]', 'not a JSON object'],
    ['{}', 'allowHosts must be a non-empty list'],
    ['{"allowHosts":[]}', 'allowHosts must be a non-empty list'],
    ['{"allowHosts":[""]}', 'allowHosts must be a non-empty list'],
    ['{"allowHosts":["a"],"methods":"GET"}', 'methods must be a list'],
    ['{"allowHosts":["a"],"methods":["GET /"]}', 'methods must be a list'],
    ['{"allowHosts":["a"],"maxResponseBytes":0}', 'maxResponseBytes must be a positive integer'],
    ['{"allowHosts":["a"],"maxResponseBytes":"10"}', 'maxResponseBytes must be a positive integer'],
  ])('refuses %s (never a wider policy)', (value, why) => {
    const r = egressFromAnnotation(value);
    expect(r?.ok).toBe(false);
    expect(r && !r.ok ? r.error : '').toMatch(new RegExp(`^annotation agentlab\\.dev/egress is invalid: ${why}`));
  });
});
