import { describe, expect, it } from 'vitest';
import { identityFromSecret } from '../../router/tokens.js';
import { DEFAULT_ROUTER } from '../../lanepolicy/desiredNetworkPolicy.js';
import { devRouterDeps, devTokenNamespace, devTokenSecret, routerIntro } from './router-access.js';

const ns = (name: string, labels?: Record<string, string>) => ({ file: 'f.yaml', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } });

describe('dev router access', () => {
  it('points the operator at the router dev started: its namespace, its port, its URL', () => {
    expect(devRouterDeps('http://127.0.0.1:41234')).toEqual({
      router: { namespace: 'agentlab-system', podLabels: DEFAULT_ROUTER.podLabels, port: 41234 },
      routerUrl: 'http://127.0.0.1:41234',
    });
  });

  it('hands the token to the first namespace bound to the private lane', () => {
    expect(devTokenNamespace([ns('ai-models'), ns('personal', { 'agentlab.dev/lane': 'personal' }), ns('homelab-private', { 'agentlab.dev/lane': 'private' })])).toBe('homelab-private');
    expect(devTokenNamespace([ns('personal', { 'agentlab.dev/lane': 'personal' })])).toBeUndefined();
  });

  it('makes a Secret the router accepts as a token of that namespace', () => {
    const token = 'f'.repeat(64);
    const read = identityFromSecret(devTokenSecret('homelab-private', token));
    expect(read?.identity).toMatchObject({ namespace: 'homelab-private', run: 'dev', revoked: false });
    expect(devTokenSecret('x').data.token).not.toBe(devTokenSecret('x').data.token);
  });

  it('prints the URL and a kubectl line that reads the token, never the token itself', () => {
    const lines = routerIntro('http://127.0.0.1:4000', 'homelab-private');
    expect(lines).toContain('  export AGENTLAB_ROUTER_URL=http://127.0.0.1:4000');
    expect(lines.join('\n')).toContain("kubectl -n homelab-private get secret dev-router-token -o jsonpath='{.data.token}' | base64 -d");
    expect(routerIntro('http://127.0.0.1:4000', undefined).join('\n')).toContain('no token');
  });
});
