import { describe, expect, it } from 'vitest';
import { egressFromAnnotation } from '../model/agentrun/egress.js';
import type { LaneSpec } from '../model/lanes/spec.js';
import { forbiddenAddress } from './egress-proxy.js';
import { decideEgress, type EgressTarget } from './egress-policy.js';
import type { Identity } from './tokens.js';

const cloudLane = { name: 'personal', allowCloud: true } as LaneSpec;
const privateLane = { name: 'private', allowCloud: false } as LaneSpec;
const egress = egressFromAnnotation(JSON.stringify({ allowHosts: ['api.github.com', '*.example.com', 'localhost:8080'], methods: ['GET', 'HEAD'], maxResponseBytes: 100 }));
const id = (over: Partial<Identity> = {}): Identity => ({ namespace: 'ns', kind: 'AgentRun', run: 'r', secret: 'r-router-token', revoked: false, sensitive: false, egress, ...over });
const decide = (target: EgressTarget, over: { identity?: Identity; lane?: LaneSpec; laneError?: string; auth?: string } = {}) => decideEgress({
  auth: over.auth ? { ok: false, reason: over.auth } : { ok: true, identity: over.identity ?? id() },
  lane: () => (over.laneError ? { error: over.laneError } : { lane: { ok: true, lane: over.lane ?? cloudLane } }),
  target,
});
const get = (url: string, method = 'GET'): EgressTarget => ({ kind: 'http', url, method });

describe('decideEgress', () => {
  it('allows what the run\'s allowHosts and methods allow, wildcards included', () => {
    expect(decide(get('http://api.github.com/repos'), { identity: id({ sensitive: true }), lane: { ...cloudLane, sensitiveData: 'AllowCloud' } as LaneSpec })).toMatchObject({ allowed: true });
    expect(decide(get('http://api.github.com/repos'))).toMatchObject({ allowed: true, lane: 'personal', host: 'api.github.com', port: 80, method: 'GET' });
    expect(decide(get('http://a.b.example.com/x', 'head'))).toMatchObject({ allowed: true, host: 'a.b.example.com', method: 'HEAD' });
    expect(decide(get('http://localhost:8080/'))).toMatchObject({ allowed: true, port: 8080 });
    expect(decide({ kind: 'connect', authority: 'x.example.com:443' })).toMatchObject({ allowed: true, host: 'x.example.com', port: 443 });
  });

  it.each([
    ['no token', get('http://api.github.com/'), { auth: 'missing bearer token (Authorization: Bearer <token>)' }, 407, 'proxy_auth_required', 'missing bearer token (Proxy-Authorization: Bearer <token>)'],
    ['a revoked token', get('http://api.github.com/'), { auth: 'token of run ns/r was revoked' }, 407, 'proxy_auth_required', 'token of run ns/r was revoked'],
    ['a namespace in no lane', get('http://api.github.com/'), { laneError: 'namespace ns is in no lane' }, 403, 'no_lane', 'namespace ns is in no lane'],
    ['a private lane', get('http://api.github.com/'), { lane: privateLane }, 403, 'private_lane', 'lane private is private (allowCloud: false): http egress is refused for run ns/r'],
    ['a sensitive run in a lane that keeps sensitive data local', get('http://api.github.com/'), { identity: id({ sensitive: true }), lane: { ...cloudLane, sensitiveData: 'LocalOnly' } as LaneSpec }, 403, 'sensitive_run', 'run ns/r is sensitive and lane personal keeps sensitive data local'],
    ['a run without the http tool', get('http://api.github.com/'), { identity: id({ egress: undefined }) }, 403, 'no_egress', 'run ns/r has no http egress (its token Secret has no agentlab.dev/egress annotation: the AgentRun lists no http tool)'],
    ['a garbled policy', get('http://api.github.com/'), { identity: id({ egress: egressFromAnnotation('{') }) }, 403, 'egress_invalid', 'run ns/r: annotation agentlab.dev/egress is invalid: not JSON'],
    ['a host not allowed', get('http://evil.com/'), {}, 403, 'host_not_allowed', 'GET refused: host evil.com is not allowed for this run (allowHosts: api.github.com, *.example.com, localhost:8080)'],
    ['the wildcard\'s own domain', get('http://example.com/'), {}, 403, 'host_not_allowed', 'GET refused: host example.com is not allowed'],
    ['a method not allowed', get('http://api.github.com/', 'POST'), {}, 403, 'method_not_allowed', 'POST refused: method POST is not allowed for this run (allowed: GET, HEAD)'],
    ['another port', get('http://api.github.com:8080/'), {}, 403, 'host_not_allowed', 'host api.github.com:8080 is not allowed'],
    ['https in absolute form', get('https://api.github.com/'), {}, 400, 'use_connect', 'https URLs go through CONNECT'],
    ['a CONNECT to a host not allowed', { kind: 'connect', authority: 'evil.com:443' } as EgressTarget, {}, 403, 'host_not_allowed', 'CONNECT refused: host evil.com is not allowed'],
    ['a CONNECT to another port', { kind: 'connect', authority: 'api.github.com:22' } as EgressTarget, {}, 403, 'host_not_allowed', 'host api.github.com:22 is not allowed'],
    ['a run issued for another lane', get('http://api.github.com/'), { identity: id({ lane: 'enterprise' }) }, 403, 'lane_mismatch', 'run ns/r was issued for lane enterprise, but namespace ns is in lane personal'],
  ] as const)('refuses %s', (_what, target, over, status, code, message) => {
    const d = decide(target, over);
    expect(d).toMatchObject({ allowed: false, status, code });
    expect(d.allowed ? '' : d.message).toContain(message);
  });
});

describe('forbiddenAddress', () => {
  it.each([
    ['169.254.169.254', true], ['0.0.0.0', true], ['224.0.0.1', true], ['::', true], ['fe80::1', true], ['ff02::1', true], ['::ffff:169.254.169.254', true],
    ['127.0.0.1', false], ['10.0.0.1', false], ['192.168.1.10', false], ['93.184.216.34', false], ['::1', false], ['2001:db8::1', false],
  ])('%s -> %s', (address, forbidden) => {
    expect(forbiddenAddress(address)).toBe(forbidden);
  });
});
