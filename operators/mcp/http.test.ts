import { describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { checkRequest, defaultAllowedHosts, hostnameOf, tokenKubeConfig } from './http.js';

const loopback = defaultAllowedHosts('127.0.0.1');

describe('checkRequest', () => {
  it.each([
    ['a loopback Host with a bearer token', { host: '127.0.0.1:8090', authorization: 'Bearer abc' }, undefined],
    ['localhost and IPv6 loopback', { host: '[::1]:8090', authorization: 'bearer abc' }, undefined],
    ['a rebinding Host', { host: 'evil.example:8090', authorization: 'Bearer abc' }, 403],
    ['no Host', { authorization: 'Bearer abc' }, 403],
    ['a foreign Origin', { host: 'localhost:8090', origin: 'http://evil.example', authorization: 'Bearer abc' }, 403],
    ['a loopback Origin', { host: 'localhost:8090', origin: 'http://localhost:3000', authorization: 'Bearer abc' }, undefined],
    ['no token', { host: 'localhost:8090' }, 401],
    ['basic auth', { host: 'localhost:8090', authorization: 'Basic YTpi' }, 401],
  ])('%s', (_, headers, status) => {
    expect(checkRequest(headers, loopback)?.status).toBe(status);
  });

  it('asks for a bearer token with WWW-Authenticate and names the flag for another host', () => {
    expect(checkRequest({ host: 'localhost' }, loopback)?.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="agentlab-mcp"' });
    expect(checkRequest({ host: 'mcp.home.arpa:8090', authorization: 'Bearer x' }, loopback)?.message).toContain('--allowed-hosts mcp.home.arpa');
  });
});

describe('hosts', () => {
  it('allows loopback, and a specific bind address', () => {
    expect(defaultAllowedHosts('0.0.0.0')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(defaultAllowedHosts('192.168.1.5')).toContain('192.168.1.5');
    expect(hostnameOf('LOCALHOST:80')).toBe('localhost');
    expect(hostnameOf('http://[::1]:3000', true)).toBe('[::1]');
  });
});

describe('tokenKubeConfig', () => {
  it('keeps the cluster and replaces every credential with the token', () => {
    const base = new KubeConfig();
    base.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://10.0.0.1:6443', caData: 'Q0E=' }],
      users: [{ name: 'admin', token: 'admin-token', certData: 'x', keyData: 'y' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'admin' }],
      currentContext: 'ctx',
    });
    const kc = tokenKubeConfig(base, 'person-token');
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://10.0.0.1:6443', caData: 'Q0E=' });
    expect(kc.getCurrentUser()).toEqual({ name: 'mcp-session', token: 'person-token' });
  });
});
